# Copies the static site into DIST (run by the web_bundle target with cmake -P):
#   index.html glassvm.js style.css      the page (web/), and its download worker
#   fetch_worker.js
#   glassvm-core.js glassvm-core.wasm    the Emscripten module
#   xterm/xterm.js xterm/xterm.css       xterm.js from node_modules (npm ci)
#   guests/demo.elf guests/bench.elf     the bundled guest images
#   guests/teach_*.elf                   the teaching programs (?guest=teach_riscv_iommu.elf), the
#                                        guests of the Lessons panel
#   guests/linux.json guests/linux/      the bundled Linux: its manifest, the kernel and the
#                                        initramfs as committed (gzip; the page unpacks them),
#                                        and prompt.snap, the machine saved at its shell prompt
#   guests/disk.img.gz                   the sample disk (?disk=disk.img.gz; web/disk_image.cmake)
foreach(var DIST CORE_DIR STATIC XTERM_DIR GUEST_DIR LINUX_DIR MANIFEST_DIR DISK_IMAGE
        LINUX_SNAPSHOT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "bundle.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS ${XTERM_DIR}/lib/xterm.js)
  message(FATAL_ERROR "xterm.js is missing in ${XTERM_DIR}: run `npm ci` at the repository top "
                      "(scripts/run does)")
endif()

function(copy_into dir)
  foreach(f ${ARGN})
    if(NOT EXISTS ${f})
      message(FATAL_ERROR "bundle.cmake: ${f} is missing")
    endif()
    get_filename_component(name ${f} NAME)
    file(COPY_FILE ${f} ${dir}/${name} ONLY_IF_DIFFERENT)
  endforeach()
endfunction()

file(MAKE_DIRECTORY ${DIST} ${DIST}/xterm ${DIST}/guests ${DIST}/guests/linux)
set(static_files ${STATIC})
set(page_file ${STATIC})
list(FILTER static_files EXCLUDE REGEX "/index\\.html$")  # written below
list(FILTER page_file INCLUDE REGEX "/index\\.html$")
copy_into(${DIST} ${static_files} ${CORE_DIR}/glassvm-core.js ${CORE_DIR}/glassvm-core.wasm)
copy_into(${DIST}/xterm ${XTERM_DIR}/lib/xterm.js ${XTERM_DIR}/css/xterm.css
          ${XTERM_DIR}/LICENSE)
copy_into(${DIST}/guests ${GUEST_DIR}/demo.elf ${GUEST_DIR}/bench.elf
          ${GUEST_DIR}/teach_riscv_iommu.elf ${GUEST_DIR}/teach_virtio_iommu.elf
          ${GUEST_DIR}/teach_page_fault.elf ${GUEST_DIR}/teach_dma_fault.elf)
copy_into(${DIST}/guests ${MANIFEST_DIR}/linux.json ${DISK_IMAGE})

# index.html names the snapshot the manifest names (relative to guests/), so that the download
# worker starts it without waiting for the manifest (fetch_worker.js); empty when there is none.
file(READ ${MANIFEST_DIR}/linux.json manifest_text)
string(JSON linux_snapshot ERROR_VARIABLE no_snapshot GET "${manifest_text}" snapshot)
if(no_snapshot)
  set(linux_snapshot "")
endif()
file(READ ${page_file} page)
string(REPLACE "%GLASSVM_LINUX_SNAPSHOT%" "${linux_snapshot}" page "${page}")
file(WRITE ${DIST}/index.html.new "${page}")
file(COPY_FILE ${DIST}/index.html.new ${DIST}/index.html ONLY_IF_DIFFERENT)
file(REMOVE ${DIST}/index.html.new)
copy_into(${DIST}/guests/linux ${LINUX_DIR}/Image.gz ${LINUX_DIR}/initramfs.cpio.gz
          ${LINUX_SNAPSHOT})
