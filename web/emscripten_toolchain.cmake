# Toolchain file for the `web` preset: finds the installed Emscripten (Debian's package puts it
# in /usr/share/emscripten) at configure time and hands over to its own Emscripten.cmake, so the
# preset names no machine-specific path.
find_program(GLASSVM_EM_CONFIG NAMES em-config)
set(_glassvm_em_root "")
if(GLASSVM_EM_CONFIG)
  execute_process(COMMAND ${GLASSVM_EM_CONFIG} EMSCRIPTEN_ROOT
                  OUTPUT_VARIABLE _glassvm_em_root OUTPUT_STRIP_TRAILING_WHITESPACE
                  ERROR_QUIET)
endif()
if(NOT EXISTS "${_glassvm_em_root}/cmake/Modules/Platform/Emscripten.cmake")
  find_program(GLASSVM_EMCC NAMES emcc)
  if(GLASSVM_EMCC)
    get_filename_component(_glassvm_emcc_real ${GLASSVM_EMCC} REALPATH)
    get_filename_component(_glassvm_em_root ${_glassvm_emcc_real} DIRECTORY)
  endif()
endif()
if(NOT EXISTS "${_glassvm_em_root}/cmake/Modules/Platform/Emscripten.cmake")
  message(FATAL_ERROR "Emscripten not found (install Debian's `emscripten` package; "
                      "scripts/run does)")
endif()
# Debian's emscripten needs its node modules (acorn) for optimized links.
if(NOT DEFINED ENV{NODE_PATH})
  set(ENV{NODE_PATH} /usr/share/nodejs)
endif()
include("${_glassvm_em_root}/cmake/Modules/Platform/Emscripten.cmake")
