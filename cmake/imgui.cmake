# Dear ImGui 1.86, compiled from Debian's source package (fetched into GLASSVM_IMGUI_DIR by
# scripts/lib.sh, never committed). Defines the static library target `imgui`, or switches
# GLASSVM_BUILD_UI off with a message when the sources are missing.
# Under Emscripten it also defines `imgui_backends`: the GLFW and OpenGL3 (WebGL2 / GLSL ES 3.0)
# platform and renderer backends from ${GLASSVM_IMGUI_DIR}/backends, used by web/.
if(EXISTS ${GLASSVM_IMGUI_DIR}/imgui.cpp)
  add_library(imgui STATIC
    ${GLASSVM_IMGUI_DIR}/imgui.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_draw.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_tables.cpp
    ${GLASSVM_IMGUI_DIR}/imgui_widgets.cpp)
  target_include_directories(imgui PUBLIC ${GLASSVM_IMGUI_DIR})
  if(EMSCRIPTEN)
    add_library(imgui_backends STATIC
      ${GLASSVM_IMGUI_DIR}/backends/imgui_impl_glfw.cpp
      ${GLASSVM_IMGUI_DIR}/backends/imgui_impl_opengl3.cpp)
    target_include_directories(imgui_backends PUBLIC ${GLASSVM_IMGUI_DIR}/backends)
    # WebGL2 is OpenGL ES 3.0 (Emscripten ships the GLFW 3 headers; -sUSE_GLFW=3 links its GLFW).
    target_compile_definitions(imgui_backends PUBLIC IMGUI_IMPL_OPENGL_ES3)
    target_link_options(imgui_backends PUBLIC -sUSE_GLFW=3 -sMAX_WEBGL_VERSION=2
                        -sMIN_WEBGL_VERSION=2)
    target_link_libraries(imgui_backends PUBLIC imgui)
  endif()
else()
  message(STATUS "Dear ImGui sources not found in ${GLASSVM_IMGUI_DIR}: ui/ is not built "
                 "(scripts/run and scripts/test fetch them)")
  set(GLASSVM_BUILD_UI OFF)
endif()
