# Sources every C guest links: the entry point, the runtime and the DTB walker. Programs that
# take traps in C add ${GLASSVM_GUEST_COMMON}/trap.S and define handle_trap (trap.h).
set(GLASSVM_GUEST_RUNTIME
    ${GLASSVM_GUEST_COMMON}/start.S
    ${GLASSVM_GUEST_COMMON}/rt.c
    ${GLASSVM_GUEST_COMMON}/fdt.c)
