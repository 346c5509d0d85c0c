// The C functions web/exports.cpp exports to the page's JS (web/glassvm.js calls them as
// core._glassvm_*), declared for the native web API fuzz target. The shim's <emscripten.h>
// includes this file, so that exports.cpp's definitions are compiled against these
// declarations: a signature that drifts is a compile error rather than a silent mismatch.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
int glassvm_session_ready();
int glassvm_load_elf(const uint8_t* data, size_t size, const char* name);
int glassvm_load_boot(const uint8_t* kernel, size_t kernel_size, const uint8_t* initrd,
                      size_t initrd_size, const char* append, const char* name);
int glassvm_load_snapshot(const uint8_t* data, size_t size, const char* name);
int glassvm_load_snapshot_held(const uint8_t* data, size_t size, const char* name,
                               const uint8_t* sections, size_t sections_size);
double glassvm_save_snapshot();
const char* glassvm_console_tail();
const uint8_t* glassvm_snapshot_data();
const char* glassvm_share_link();
const uint8_t* glassvm_link_data();
double glassvm_link_size();
const char* glassvm_parse_link(const char* text, const uint8_t* data, size_t size);
int glassvm_open_link(const uint8_t* kernel, size_t kernel_size, const uint8_t* initrd,
                      size_t initrd_size, const char* append, const uint8_t* snapshot,
                      size_t snapshot_size);
void glassvm_mark_guest_bundled();
const char* glassvm_replay_json();
const char* glassvm_state_hash();
const char* glassvm_last_error();
int glassvm_set_ram_mib(double mib);
int glassvm_set_devices(const char* list);
int glassvm_set_disk(const uint8_t* data, size_t size, const char* name);
int glassvm_set_blank_disk(double mib);
void glassvm_remove_disk();
double glassvm_disk_take_changes();
const uint8_t* glassvm_disk_changes_data();
const uint8_t* glassvm_disk_data();
double glassvm_disk_size();
const char* glassvm_disk_json();
const char* glassvm_state_json();
void glassvm_send_input(const uint8_t* data, size_t size);
const char* glassvm_mtree();
const char* glassvm_memory_map_json();
const char* glassvm_registers_json();
const char* glassvm_translate_json(const char* va, const char* access);
const char* glassvm_iommu_events_json(double since);
const char* glassvm_iommu_notifiers_json();
const char* glassvm_iommu_state_json();
const char* glassvm_iommu_mappings_json(double device);
const char* glassvm_translate_iova_json(double device, const char* iova, const char* access);
void glassvm_set_pause_on_iommu_event(int on);
double glassvm_iommu_paused_at();
const char* glassvm_lessons_json();
int glassvm_open_lesson(const char* id);
void glassvm_close_lesson();
const char* glassvm_lesson_state_json();
void glassvm_lesson_run();
void glassvm_lesson_next();
double glassvm_instructions();
double glassvm_ips();
double glassvm_interpreter_ips();
double glassvm_frame_ms();
int glassvm_set_panel_open(const char* name, int open);
const char* glassvm_panels_json();
double glassvm_draw_count();
const char* glassvm_draw_pacing_json();
const char* glassvm_jit_json();
void glassvm_set_jit(int on);
const char* glassvm_jit_translations_json();
int glassvm_select_iommu_event(double seq);
double glassvm_selected_iommu_event();
void glassvm_pause();
void glassvm_resume();
void glassvm_step();
void glassvm_reset();
double glassvm_run_for(double ms);
int glassvm_add_breakpoint(const char* pc_hex);
int glassvm_remove_breakpoint(const char* pc_hex);
const char* glassvm_messages_json();
int glassvm_message_count();
const char* glassvm_host_ram_json();
void glassvm_add_message(const char* text);
}
