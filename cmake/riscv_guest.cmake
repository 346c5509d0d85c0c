# Building RISC-V guest programs with the system clang (--target=riscv64) and lld.
#
# add_riscv_guest(NAME SOURCES src... [LINKER_SCRIPT file] [MARCH rv64imac] [CFLAGS ...]
#                 [DEPENDS header...])
# produces ${GLASSVM_GUEST_DIR}/NAME.elf and a target guest-NAME; all guest targets are added
# to the aggregate target `guests`.
find_program(GLASSVM_RISCV_CLANG NAMES clang clang-14 REQUIRED)
set(GLASSVM_GUEST_DIR ${CMAKE_BINARY_DIR}/guests)
file(MAKE_DIRECTORY ${GLASSVM_GUEST_DIR})
set(GLASSVM_GUEST_COMMON ${PROJECT_SOURCE_DIR}/assets/common)
# Every guest depends on all shared headers and sources, so that editing one rebuilds them.
file(GLOB GLASSVM_GUEST_COMMON_FILES CONFIGURE_DEPENDS ${GLASSVM_GUEST_COMMON}/*)
if(NOT TARGET guests)
  add_custom_target(guests ALL)
endif()

function(add_riscv_guest name)
  cmake_parse_arguments(G "" "LINKER_SCRIPT;MARCH;MABI" "SOURCES;CFLAGS;DEPENDS" ${ARGN})
  if(NOT G_MARCH)
    # clang 14 implies Zicsr/Zifencei in rv64i and rejects them spelled out.
    set(G_MARCH rv64imac)
  endif()
  if(NOT G_MABI)
    set(G_MABI lp64)
  endif()
  if(NOT G_LINKER_SCRIPT)
    set(G_LINKER_SCRIPT ${GLASSVM_GUEST_COMMON}/link.ld)
  endif()
  set(srcs)
  foreach(s ${G_SOURCES})
    get_filename_component(abs ${s} ABSOLUTE)
    list(APPEND srcs ${abs})
  endforeach()
  set(out ${GLASSVM_GUEST_DIR}/${name}.elf)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${GLASSVM_RISCV_CLANG} --target=riscv64 -march=${G_MARCH} -mabi=${G_MABI}
            -mcmodel=medany -mno-relax -nostdlib -ffreestanding -fno-builtin -O2 -g
            -fuse-ld=lld -Wl,--no-relax -I${GLASSVM_GUEST_COMMON} ${G_CFLAGS}
            -T ${G_LINKER_SCRIPT} ${srcs} -o ${out}
    DEPENDS ${srcs} ${G_LINKER_SCRIPT} ${GLASSVM_GUEST_COMMON_FILES} ${G_DEPENDS}
    COMMENT "Building RISC-V guest ${name}.elf"
    VERBATIM)
  add_custom_target(guest-${name} DEPENDS ${out})
  add_dependencies(guests guest-${name})
endfunction()
