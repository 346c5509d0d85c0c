# Dear ImGui 1.86, compiled from Debian's source package (fetched into GLASSVM_IMGUI_DIR by
# scripts/lib.sh, never committed). Defines the static library target `imgui`, or switches
# GLASSVM_BUILD_UI off with a message when the sources are missing.
if(EXISTS ${GLASSVM_IMGUI_DIR}/imgui.cpp)
  add_library(imgui STATIC
    ${GLASSVM_IMGUI_DIR}/imgui.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_draw.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_tables.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_widgets.cpp)
  target_include_directories(imgui PUBLIC ${GLASSVM_IMGUI_DIR})
else()
  message(STATUS "Dear ImGui sources not found in ${GLASSVM_IMGUI_DIR}: ui/ is not built "
                 "(scripts/run and scripts/test fetch them)")
  set(GLASSVM_BUILD_UI OFF)
endif()
