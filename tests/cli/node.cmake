# glassvm-node, the command line built by the web preset and run by node (cli/main_node.cpp):
# the native command line's contract again, under node. Included by tests/cli/CMakeLists.txt
# when the browser tests are on (they need the web preset built too); GLASSVM_NODE_JS names it.
# A missing glassvm-node.js fails these tests (node says so), it never skips them.
set(GVN ${GLASSVM_NODE} --no-experimental-fetch ${GLASSVM_NODE_JS})
set(G ${GLASSVM_GUEST_DIR})

function(node_test name status regex)
  add_test(NAME cli_node.${name} COMMAND ${EXPECT} ${status} ${regex} -- ${ARGN})
  set_tests_properties(cli_node.${name} PROPERTIES TIMEOUT 120)
endfunction()

# Bad input: status 2 and a message naming the problem.
node_test(help 0 "--jit=on\\|off" ${GVN} --help)
node_test(unknown_option 2 "unknown option '--frobnicate'" ${GVN} --frobnicate)
node_test(bad_jit_option 2 "'--jit=fast': expected --jit=on or --jit=off" ${GVN} --jit=fast)
node_test(bad_memory_size 2 "-m 12Q: invalid memory size" ${GVN} -m 12Q -bios none -kernel x)
node_test(missing_file 2 "/nonexistent/prog.elf: No such file" ${GVN} -bios none -kernel /nonexistent/prog.elf)
node_test(not_elf 2 "not-elf.bin: .*ELF" ${GVN} -bios none -kernel ${BAD}/not-elf.bin)
node_test(empty_elf 2 "empty.elf: " ${GVN} -bios none -kernel ${BAD}/empty.elf)
node_test(drive_missing_file 2 "/nonexistent/disk.img: No such file" ${GVN} -drive file=/nonexistent/disk.img,format=raw --info-mtree)
node_test(device_unknown 2 "-device nosuch: unknown device 'nosuch'" ${GVN} -device nosuch --info-mtree)
# Files are the host's (NODERAWFS): a relative path works as on the command line.
add_test(NAME cli_node.relative_path
         COMMAND ${EXPECT} 2 "^glassvm: not-elf.bin: " -- ${GVN} -bios none -kernel not-elf.bin
         WORKING_DIRECTORY ${BAD})
# Guest RAM as large as the page allows (the wasm memory grows to 4 GB).
node_test(ram_2g 0 "0000000080000000-00000000ffffffff \\(prio 0, ram\\)" ${GVN} -m 2G --info-mtree)
node_test(ram_too_big 2 "-m: at most 2G of guest RAM in the wasm build" ${GVN} -m 3G --info-mtree)

if(GLASSVM_BUILD_GUESTS)
  node_test(max_insns 3 "stopped after 1000 instructions" ${GVN} -bios none -kernel ${G}/bench.elf --max-insns 1000)
  node_test(max_insns_trap_loop 3 "stopped after 100000 instructions" ${GVN} -bios none -kernel ${G}/board_trap_loop.elf --max-insns 100000)
  # Without a JIT runtime (or with one) the run goes on; --stats adds the JIT's counters when
  # one is installed.
  node_test(jit_off_stats 3 "glassvm: 1000000 instructions, .* M instructions/s" ${GVN} --jit=off --stats -bios none -kernel ${G}/bench.elf --max-insns 1000000)
  # On by default: a compute-bound loop is translated, and the guest's own checksum holds.
  node_test(jit_default_translates 0 "glassvm: JIT: [1-9][0-9]* translations" ${GVN} --stats -bios none -kernel ${G}/jit_bench_int.elf)
  # Nearly all of `branchy` runs translated, although its switch's jump table sends the hot
  # loop to targets the JIT has not seen yet (it learns them as translated code leaves for them).
  add_test(NAME cli_node.jit_coverage_branchy
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/jit_coverage.sh 99 -- ${GVN} --jit=on --stats
                   -bios none -kernel ${G}/jit_bench_branchy.elf)
  set_tests_properties(cli_node.jit_coverage_branchy PROPERTIES TIMEOUT 300)
  node_test(trace_int 0 "riscv_cpu_do_interrupt: hart:0, async:0, cause:0000000000000002" ${GVN} -bios none -kernel ${G}/test_traps.elf -d int)
  add_test(NAME cli_node.tty_console
           COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/tty_console.py ${G}/demo.elf
                   ${GVN})
  set_tests_properties(cli_node.tty_console PROPERTIES TIMEOUT 120)
  node_test(demo_idle_eof 0 "the guest waits for input and standard input is closed" ${GVN} -bios none -kernel ${G}/demo.elf)
  # 2 GiB of guest RAM in use: the guest runs (and exits 0) at the top of the range.
  node_test(ram_2g_guest 0 "Hello from GlassVM over HTIF" ${GVN} -m 2G -bios none -kernel ${G}/test_hello.elf)
  # Programs beyond tests/guest: the same status and console as natively.
  foreach(prog bench_sv39_small teach_page_fault)
    add_test(NAME cli_node.same_as_native_${prog}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                     ${GLASSVM_NODE_JS} -- -bios none -kernel ${G}/${prog}.elf --max-insns 100000000)
    set_tests_properties(cli_node.same_as_native_${prog} PROPERTIES TIMEOUT 120)
  endforeach()
  # A pipe holding far more input than the UART's FIFO and the JS queue (64 KiB): the guest
  # takes it as fast as it reads, idle or not, and powers off after the last line.
  string(REPEAT "echo the quick brown fox jumps over the lazy dog\n" 4000 lines)
  file(WRITE ${BAD}/demo-input.txt "${lines}poweroff\n")
  add_test(NAME cli_node.same_as_native_piped_input
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                   ${GLASSVM_NODE_JS} --stdin ${BAD}/demo-input.txt --
                   -bios none -kernel ${G}/demo.elf --max-insns 2000000000)
  set_tests_properties(cli_node.same_as_native_piped_input PROPERTIES TIMEOUT 120)
  add_test(NAME cli_node.same_as_native_teach_riscv_iommu
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                   ${GLASSVM_NODE_JS} -- -device riscv-iommu-sys -device edu-dma,ats=on
                   -bios none -kernel ${G}/teach_riscv_iommu.elf --max-insns 20000000)
endif()

# The bundled Linux under glassvm-node: to the busybox prompt with commands piped on stdin,
# their output checked, `sleep 1` paced, a virtio-blk disk image read and written through the
# host's files, and poweroff ending node with status 0.
file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/node)
add_test(NAME cli_node.linux_boot
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/linux_boot.py ${GLASSVM_NODE}
                 ${LINUX_DIR}/Image ${LINUX_DIR}/initramfs.cpio.gz --js ${GLASSVM_NODE_JS} --sleep
                 --disk rw --workdir ${CMAKE_CURRENT_BINARY_DIR}/node)
set_tests_properties(cli_node.linux_boot PROPERTIES TIMEOUT 900)

# A snapshot crosses builds: saved by the native glassvm and continued by glassvm-node with the
# JIT, and saved by glassvm-node interpreting and continued natively.
foreach(way native_to_node node_to_native)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/snapshot-${way})
endforeach()
add_test(NAME cli_node.linux_snapshot_native_to_node
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/linux_snapshot.py
                 $<TARGET_FILE:glassvm> ${LINUX_DIR}/Image ${LINUX_DIR}/initramfs.cpio.gz
                 --node ${GLASSVM_NODE} --load-js ${GLASSVM_NODE_JS} --jit on
                 --workdir ${CMAKE_CURRENT_BINARY_DIR}/snapshot-native_to_node)
add_test(NAME cli_node.linux_snapshot_node_to_native
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/linux_snapshot.py
                 $<TARGET_FILE:glassvm> ${LINUX_DIR}/Image ${LINUX_DIR}/initramfs.cpio.gz
                 --node ${GLASSVM_NODE} --save-js ${GLASSVM_NODE_JS} --jit off
                 --workdir ${CMAKE_CURRENT_BINARY_DIR}/snapshot-node_to_native)
set_tests_properties(cli_node.linux_snapshot_native_to_node cli_node.linux_snapshot_node_to_native
                     PROPERTIES TIMEOUT 900)
# The same machine state in both builds: a bare-metal guest, and Linux mid-boot, saved at the
# same instruction by the native interpreter and by the JIT under node, byte for byte.
add_test(NAME cli_node.snapshot_same_as_native_teach_page_fault
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                 ${GLASSVM_NODE_JS} --snapshot -- -bios none -kernel ${G}/teach_page_fault.elf
                 --max-insns 20000000)
add_test(NAME cli_node.snapshot_same_as_native_linux
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                 ${GLASSVM_NODE_JS} --snapshot -- -m 128M -kernel ${LINUX_DIR}/Image
                 -initrd ${LINUX_DIR}/initramfs.cpio.gz -append console=ttyS0
                 --max-insns 40000000)
set_tests_properties(cli_node.snapshot_same_as_native_teach_page_fault
                     cli_node.snapshot_same_as_native_linux PROPERTIES TIMEOUT 300)

# A recorded session crosses builds: recorded natively and replayed by glassvm-node with the
# JIT, and recorded by glassvm-node with the JIT and replayed by the native interpreter, each to
# the state hash the recording printed.
foreach(way native_to_node node_to_native)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/session-${way})
endforeach()
set(_node_cmd "${GLASSVM_NODE} --no-experimental-fetch ${GLASSVM_NODE_JS} --jit=on")
add_test(NAME cli_node.recorded_session_native_to_node
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/recorded_session.py
                 --record $<TARGET_FILE:glassvm> --replay ${_node_cmd}
                 --guest ${G}/demo.elf --workdir ${CMAKE_CURRENT_BINARY_DIR}/session-native_to_node)
add_test(NAME cli_node.recorded_session_node_to_native
         COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/recorded_session.py
                 --record ${_node_cmd} --replay $<TARGET_FILE:glassvm>
                 --guest ${G}/demo.elf --workdir ${CMAKE_CURRENT_BINARY_DIR}/session-node_to_native)
set_tests_properties(cli_node.recorded_session_native_to_node
                     cli_node.recorded_session_node_to_native PROPERTIES TIMEOUT 300)

# Deterministic execution: each bundled guest, with its lesson's devices, reaches the same
# state hash (Machine::state_hash: registers, CSRs, RAM, disks, devices) at the same guest time
# natively and in the wasm build with the JIT.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/demo-session.txt "help\nticks\nbench\necho done\n")
foreach(spec
    "demo|--stdin;${CMAKE_CURRENT_BINARY_DIR}/demo-session.txt;--state-hash;--;-kernel;${G}/demo.elf;--max-insns;30000000"
    "bench|--state-hash;--;-kernel;${G}/bench.elf;--max-insns;30000000"
    "teach_page_fault|--state-hash;--;-kernel;${G}/teach_page_fault.elf;--max-insns;30000000"
    "teach_dma_fault|--state-hash;--;-device;riscv-iommu-sys;-device;edu-dma;-kernel;${G}/teach_dma_fault.elf;--max-insns;30000000"
    "teach_riscv_iommu|--state-hash;--;-device;riscv-iommu-sys;-device;edu-dma,ats=on;-kernel;${G}/teach_riscv_iommu.elf;--max-insns;30000000"
    "teach_virtio_iommu|--state-hash;--;-device;virtio-iommu-device;-device;edu-dma;-kernel;${G}/teach_virtio_iommu.elf;--max-insns;30000000")
  string(REPLACE "|" ";" parts "${spec}")
  list(GET parts 0 guest)
  list(REMOVE_AT parts 0)
  add_test(NAME cli_node.state_hash_same_as_native_${guest}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/same_as_native.sh $<TARGET_FILE:glassvm>
                   ${GLASSVM_NODE_JS} ${parts})
  set_tests_properties(cli_node.state_hash_same_as_native_${guest} PROPERTIES TIMEOUT 300)
endforeach()

# The hostile-guest soak with the JIT on (tests/cli/CMakeLists.txt runs it natively).
file(WRITE ${BAD}/soak-node.img "${soak_disk}")
node_test(soak_jit 0 "soak: [0-9]+ operations: .*\nsoak: survived"
          ${GVN} --jit=on -m 64M -bios none -device riscv-iommu-sys -device edu-dma,ats=on
          -device virtio-rng-device -drive file=${BAD}/soak-node.img,format=raw,if=virtio
          -kernel ${G}/soak.elf -append soak.ops=50000)
