// Headless ImGui frames of a ui::App, for the UI tests: a context with its font atlas built
// and a fake texture, the mouse where the test puts it.
#pragma once

#include "imgui.h"
#include "ui/app.h"

namespace glassvm::ui {

/// Headless ImGui: a context with a built font atlas and no renderer.
class ImGuiFrames {
 public:
  ImGuiFrames() {
    ctx_ = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(1));
  }
  ~ImGuiFrames() { ImGui::DestroyContext(ctx_); }
  /// One frame of `app` on a w x h canvas with the mouse at (mx, my); returns the draw data.
  ImDrawData* frame(App& app, float w, float h, float mx = -1, float my = -1, bool click = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(w, h);
    io.DeltaTime = 1.0f / 60.0f;
    io.MousePos = ImVec2(mx, my);
    io.MouseDown[0] = click;
    ImGui::NewFrame();
    app.draw(w, h);
    ImGui::Render();
    return ImGui::GetDrawData();
  }

 private:
  ImGuiContext* ctx_;
};

}  // namespace glassvm::ui
