# Builds the page's sample disk (run by the web build with cmake -P): a small ext2 image holding
# README, gzipped into OUT. The same inputs give the same bytes: a fixed UUID and directory
# hash seed, mke2fs's clock pinned (E2FSPROGS_FAKE_TIME), the times mkfs.ext2 -d copies from the
# staged files reset with debugfs, and gzip -n (no name or time in the header).
#   MKE2FS DEBUGFS GZIP   the tools (e2fsprogs, gzip)
#   README                the file to put on the disk
#   WORK                  a scratch directory; OUT  the .img.gz to write
foreach(var MKE2FS DEBUGFS GZIP README WORK OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "disk_image.cmake: ${var} is not set")
  endif()
endforeach()

set(kEpoch 1704067200)  # 2024-01-01 00:00:00 UTC
set(kUuid 6c617373-766d-4000-8000-000000000d15)
set(kHashSeed 6c617373-766d-4000-8000-000000000a5e)
set(kSize 4M)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/root)
file(COPY_FILE ${README} ${WORK}/root/README)

# Runs a tool with mke2fs's clock pinned; fails on a non-zero status, or on any line on stderr
# but debugfs's banner (debugfs reports a failed command there and still exits 0).
function(run what)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env E2FSPROGS_FAKE_TIME=${kEpoch} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX REPLACE "^debugfs [^\n]*\n" "" err "${err}")
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
    message(FATAL_ERROR "disk_image.cmake: ${what} failed (${rc}):\n${out}${err}")
  endif()
endfunction()

run("mkfs.ext2" ${MKE2FS} -q -F -t ext2 -b 1024 -N 256 -m 0 -L glassvm -U ${kUuid}
    -E root_owner=0:0,hash_seed=${kHashSeed} -d ${WORK}/root ${WORK}/disk.img ${kSize})
set(cmds "")
foreach(path / /README)
  foreach(field atime ctime mtime)
    string(APPEND cmds "set_inode_field ${path} ${field} @${kEpoch}\n")
  endforeach()
endforeach()
file(WRITE ${WORK}/debugfs.cmds "${cmds}")
run("debugfs" ${DEBUGFS} -w -f ${WORK}/debugfs.cmds ${WORK}/disk.img)
run("gzip" ${GZIP} -9 -n -f ${WORK}/disk.img)
file(COPY_FILE ${WORK}/disk.img.gz ${OUT})
