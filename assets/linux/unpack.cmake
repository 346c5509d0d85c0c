# Unpacks the prebuilt Linux guest at build time (cmake -P; see assets/CMakeLists.txt):
# checks Image.gz and initramfs.cpio.gz against SHA256SUMS, then writes OUT_DIR/Image
# (gunzipped) and OUT_DIR/initramfs.cpio.gz. Needs -DSRC_DIR, -DOUT_DIR and -DGZIP.
cmake_minimum_required(VERSION 3.20)  # the project's minimum; IN_LIST needs policy CMP0057
foreach(var SRC_DIR OUT_DIR GZIP)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "unpack.cmake: pass -D${var}=...")
  endif()
endforeach()

file(STRINGS ${SRC_DIR}/SHA256SUMS sums)
set(checked)
foreach(line IN LISTS sums)
  if(NOT line MATCHES "^([0-9a-f]+) [ *](.+)$")
    message(FATAL_ERROR "${SRC_DIR}/SHA256SUMS: malformed line '${line}'")
  endif()
  set(want ${CMAKE_MATCH_1})
  set(name ${CMAKE_MATCH_2})
  file(SHA256 ${SRC_DIR}/${name} got)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR
      "assets/linux/${name} does not match assets/linux/SHA256SUMS (sha256 ${got}, expected "
      "${want}). Restore it with `git checkout -- assets/linux`, or if you rebuilt it on "
      "purpose, commit the SHA256SUMS that assets/linux/rebuild wrote with it.")
  endif()
  list(APPEND checked ${name})
endforeach()
foreach(name Image.gz initramfs.cpio.gz)
  if(NOT name IN_LIST checked)
    message(FATAL_ERROR "${SRC_DIR}/SHA256SUMS has no line for ${name}")
  endif()
endforeach()

file(MAKE_DIRECTORY ${OUT_DIR})
execute_process(COMMAND ${GZIP} -dc ${SRC_DIR}/Image.gz
  OUTPUT_FILE ${OUT_DIR}/Image.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT_DIR}/Image.tmp)
  message(FATAL_ERROR "gunzip of ${SRC_DIR}/Image.gz failed: ${rc}")
endif()
file(RENAME ${OUT_DIR}/Image.tmp ${OUT_DIR}/Image)
configure_file(${SRC_DIR}/initramfs.cpio.gz ${OUT_DIR}/initramfs.cpio.gz COPYONLY)
