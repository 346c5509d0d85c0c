# zlib, for snapshots (engine/base/snapshot.cpp). Defines the target `glassvm_zlib`.
#
# Natively it is Debian's libz (zlib1g-dev). Emscripten's Debian cache is frozen and holds no
# zlib port, so the web build compiles the sources of Debian's zlib source package, fetched into
# GLASSVM_ZLIB_DIR by scripts/lib.sh (ensure_zlib_source), never committed.
set(GLASSVM_ZLIB_DIR "${PROJECT_SOURCE_DIR}/.cache/zlib" CACHE PATH
    "zlib sources for the web build (from Debian's source package; scripts/lib.sh fetches them)")
if(EMSCRIPTEN)
  if(NOT EXISTS ${GLASSVM_ZLIB_DIR}/inflate.c)
    message(FATAL_ERROR "no zlib sources in ${GLASSVM_ZLIB_DIR}: run scripts/test or scripts/run, "
                        "which fetch Debian's zlib source package there")
  endif()
  add_library(glassvm_zlib STATIC
    ${GLASSVM_ZLIB_DIR}/adler32.c ${GLASSVM_ZLIB_DIR}/crc32.c ${GLASSVM_ZLIB_DIR}/deflate.c
    ${GLASSVM_ZLIB_DIR}/inffast.c ${GLASSVM_ZLIB_DIR}/inflate.c ${GLASSVM_ZLIB_DIR}/inftrees.c
    ${GLASSVM_ZLIB_DIR}/trees.c ${GLASSVM_ZLIB_DIR}/zutil.c)
  target_include_directories(glassvm_zlib SYSTEM PUBLIC ${GLASSVM_ZLIB_DIR})
  target_compile_options(glassvm_zlib PRIVATE -w)
else()
  find_package(ZLIB REQUIRED)
  add_library(glassvm_zlib INTERFACE)
  target_link_libraries(glassvm_zlib INTERFACE ZLIB::ZLIB)
endif()
