#include "ui/lessons.h"

#include "ui/json_internal.h"

namespace glassvm::ui {

namespace {

// -- Stop conditions ------------------------------------------------------------------------

constexpr uint32_t kEduDmaDeviceId = 9;  ///< edu-dma's requester id on the virt board
/// The Linux lesson's requester ids, as its machine gives them (the device tree's `iommus`):
constexpr uint32_t kVirtioRngDeviceId = 8;  ///< the virtio-rng (-device virtio-rng-device)
constexpr uint32_t kVirtioBlkDeviceId = 7;  ///< the App's disk (virtio-blk, after the list)

/// The next IOMMU event of the given types (of `device`, when set).
StopCondition next_event(bool map, bool unmap, bool deviotlb_unmap,
                         std::optional<uint32_t> device = std::nullopt) {
  StopCondition c;
  c.kind = StopCondition::Kind::IommuEvent;
  c.event.map = map;
  c.event.unmap = unmap;
  c.event.deviotlb_unmap = deviotlb_unmap;
  c.event.device = device;
  return c;
}

/// The next page fault (instruction 12, load 13, store/AMO 15).
StopCondition next_page_fault() {
  StopCondition c;
  c.kind = StopCondition::Kind::Trap;
  c.causes = {12, 13, 15};
  return c;
}

/// Console output containing `text`.
StopCondition console_prints(std::string text) {
  StopCondition c;
  c.kind = StopCondition::Kind::Console;
  c.text = std::move(text);
  return c;
}

/// What every bare-metal lesson ends with: the program's verdict line.
LessonStep verdict_step() {
  return {"The verdict",
          "The program checked every answer against the specification and prints how many "
          "checks held. Run to see the verdict; the program then exits with status 0 if every "
          "check held.",
          console_prints("checks, 0 unexpected")};
}

// -- The lessons ----------------------------------------------------------------------------

Lesson riscv_iommu_lesson() {
  return {
      "riscv-iommu",
      "RISC-V IOMMU: mapping, invalidating, faulting",
      "teach_riscv_iommu.elf",
      {"riscv-iommu-sys", "edu-dma,ats=on"},
      "A bare-metal driver sets up the RISC-V IOMMU for edu-dma, a DMA device: a device "
      "directory, a device context and an Sv39 page table, then copies through it, changes "
      "the mapping, removes it and uses ATS. Watch the console (what the driver writes, what "
      "the hardware answers) and the IOMMU panel's timeline. This IOMMU cannot see page-table "
      "writes, so it never announces a MAP: what it announces are removals (UNMAP), when the "
      "driver invalidates.",
      {
          {"The IOMMU turns on",
           "The driver writes ddtp: translation is on for every device in the directory. The "
           "IOMMU announces an UNMAP of edu-dma's whole address space (0x0-0xffff...): whatever "
           "anyone cached about device 9 before is void.",
           next_event(true, true, true, kEduDmaDeviceId)},
          {"The first DMA",
           "edu-dma copies 48 bytes from IOVA 0x40000000 to 0x40001000. The IOMMU walks the "
           "Sv39 table for each page and caches the leaf in its IOTLB. The console shows the "
           "bytes that arrived.",
           console_prints("destination now holds")},
          {"Changing a mapping: IOTINVAL.VMA",
           "The driver points the PTE of IOVA 0x40000000 at another buffer. The IOTLB still "
           "holds the old translation, so the driver sends IOTINVAL.VMA: the IOMMU drops the "
           "entry and announces an UNMAP of that page. The next copy walks the table again and "
           "reads the new buffer.",
           next_event(false, true, false, kEduDmaDeviceId)},
          {"Unmapping: a fault record",
           "The PTE is cleared and invalidated; the next copy fails. The device reports the "
           "IOVA it could not read, and the IOMMU writes a fault record to the fault queue: "
           "cause 13 (read page fault), TTYP 2 (untranslated read), the device id, iotval = "
           "the IOVA.",
           console_prints("fault record:")},
          {"ATS: the device's own cache",
           "With ATS the device asks the IOMMU for translations and caches them in its ATC. "
           "IOTINVAL.VMA alone leaves the ATC stale; ATS.INVAL reaches the device: a "
           "DEVIOTLB_UNMAP event, delivered to edu-dma's ATC (see the notifier counts).",
           next_event(false, false, true, kEduDmaDeviceId)},
          verdict_step(),
      }};
}

Lesson virtio_iommu_lesson() {
  return {"virtio-iommu",
          "virtio-iommu: ATTACH, MAP and UNMAP requests",
          "teach_virtio_iommu.elf",
          {"virtio-iommu-device", "edu-dma"},
          "A bare-metal driver talks to the virtio-iommu with requests on a virtqueue: ATTACH an "
          "endpoint (edu-dma, endpoint 9) to a domain, MAP and UNMAP ranges of IOVA. Unlike the "
          "RISC-V IOMMU, every mapping is a request the IOMMU sees, so it announces MAPs as well "
          "as UNMAPs. Watch the console and the IOMMU panel's timeline.",
          {
              {"Bypass off: the endpoint is blocked",
               "With bypass = 0 an endpoint in no domain may not reach memory. Turning bypass off "
               "announces an UNMAP of edu-dma's whole address space.",
               next_event(true, true, true, kEduDmaDeviceId)},
              {"ATTACH and MAP",
               "The driver attaches endpoint 9 to a domain and maps the source page for reading: "
               "the IOMMU announces a MAP (IOVA -> physical page, permission r).",
               next_event(true, false, false, kEduDmaDeviceId)},
              {"A mapping changed in place",
               "To point an IOVA at another page the driver sends UNMAP, then MAP: the timeline "
               "shows the UNMAP of the old page, then the MAP of the new one.",
               next_event(false, true, false, kEduDmaDeviceId)},
              {"UNMAP, then a fault",
               "With the source unmapped, the copy faults: the virtio-iommu puts a fault report "
               "(reason MAPPING, the endpoint, the address) on its event queue.",
               console_prints("fault reason=MAPPING")},
              {"DETACH",
               "DETACH removes the endpoint from its domain: the remaining mapping goes with it "
               "(an UNMAP), and the endpoint is blocked again.",
               next_event(false, true, false, kEduDmaDeviceId)},
              verdict_step(),
          }};
}

Lesson page_fault_lesson() {
  return {"page-fault",
          "Page faults: demand paging, A and D",
          "teach_page_fault.elf",
          {},
          "A tiny kernel in S-mode with Sv39 paging. Pages of a window at VA 0x40000000 are "
          "mapped only when first touched: the access faults, the trap handler maps a free frame "
          "and returns to the same instruction. Watch the console, the CPU panel (scause, stval, "
          "sepc, satp) and the translation view.",
          {
              {"The page tables",
               "M-mode maps RAM onto itself, leaves the window's pages 0 and 1 unmapped, maps page "
               "2 without A and D and page 3 read-only, delegates page faults to S-mode (medeleg) "
               "and drops to S-mode with satp = Sv39.",
               console_prints("now in S-mode")},
              {"A and D",
               "A load from page 2 makes the hart set A (accessed) in its PTE; a store sets D "
               "(dirty). A kernel reads them to choose pages to evict and pages to write back.",
               console_prints("after a store, VA 0x40002000")},
              {"A load page fault",
               "The program loads from VA 0x40000000, whose PTE is 0. The hart traps to S-mode "
               "before the load completes: scause = 13 (load page fault), stval = the VA, sepc = "
               "the load. The run stops at the handler's first instruction.",
               next_page_fault()},
              {"Demand paging",
               "The handler sees V = 0: the page is missing. It takes a free frame, writes the PTE "
               "and runs SFENCE.VMA. The translation view now walks VA 0x40000000 to that frame.",
               console_prints("-> mapped VA 0x40000000")},
              {"A store page fault",
               "The same for a store to VA 0x40001000: scause = 15 (store/AMO page fault). After "
               "the handler maps it, the retried store sets A and D.",
               next_page_fault()},
              {"A fault that is not fixed",
               "A store to the read-only page 3 faults too (scause 15), but its PTE is valid: a "
               "protection fault, not a missing page. The handler maps nothing and skips the "
               "store; a kernel would end the process.",
               next_page_fault()},
              verdict_step(),
          }};
}

Lesson dma_fault_lesson() {
  return {
      "dma-fault",
      "A DMA fault and the recovery",
      "teach_dma_fault.elf",
      {"riscv-iommu-sys", "edu-dma"},
      "edu-dma copies into an IOVA the IOMMU's page table does not map. The IOMMU refuses the "
      "write and tells the driver with a fault record and an interrupt; the driver maps the "
      "page, invalidates and retries. Watch the console and the IOMMU panel.",
      {
          {"Set-up",
           "The fault queue (with its interrupt enabled), the command queue, edu-dma's device "
           "context and an Sv39 table that maps the source page but not the destination.",
           console_prints("translation is on")},
          {"The fault",
           "The device reads the source and writes the destination: the IOMMU finds no valid "
           "leaf and refuses the write. The fault record says cause 15 (write page fault), TTYP "
           "3 (untranslated write), device 9, iotval = 0x40001000, and ipsr.fip is raised.",
           console_prints("fault record:")},
          {"The recovery",
           "The driver maps the destination page, then IOTINVAL.VMA and IOFENCE.C. A fault is "
           "never cached, so this invalidation drops nothing and the IOMMU announces nothing.",
           console_prints("finds nothing to drop")},
          {"The retry", "The same copy now completes; the console shows the bytes that arrived.",
           console_prints("destination now holds")},
          {"The tear-down: UNMAP events",
           "Both pages are unmapped and invalidated. This time the IOTLB held both "
           "translations, so each IOTINVAL.VMA announces an UNMAP: the first is IOVA "
           "0x40000000.",
           next_event(false, true, false, kEduDmaDeviceId)},
          verdict_step(),
      }};
}

Lesson linux_lesson() {
  return {
      "linux-iommu",
      "Linux and its disk behind the RISC-V IOMMU",
      "linux",
      {"riscv-iommu-sys", "virtio-rng-device"},
      "Linux boots on a machine with a RISC-V IOMMU, a virtio-rng (device 8) and a disk "
      "(virtio-blk, device 7) behind it. Its riscv-iommu driver puts both in DMA domains: every "
      "buffer a device reads or writes is mapped in the IOMMU's page table for the transfer and "
      "unmapped after it (strict mode). The RISC-V IOMMU cannot see page-table writes, so it "
      "announces no MAP: it announces the UNMAP that follows each transfer, when Linux sends "
      "IOTINVAL.VMA. (virtio-iommu, which is told of every mapping, would show the MAPs too.)",
      {
          {"Linux finds the IOMMU",
           "The device tree names a riscv,iommu node; Linux's driver binds to it and sets up "
           "its queues and device directory.",
           console_prints("riscv,iommu")},
          {"Boot to the prompt",
           "Devices named in the IOMMU's `iommus` join IOMMU groups with DMA domains. Run until "
           "the shell prompt.",
           console_prints("~ # ")},
          {"DMA from the rng",
           "Type in the console: head -c 16 /dev/hwrng | od -x. The rng writes random bytes "
           "into a buffer Linux mapped for it; when Linux unmaps the buffer it invalidates, and "
           "the IOMMU announces an UNMAP for device 8. The run stops at it; resume (or run on) "
           "to see the bytes.",
           next_event(false, true, false, kVirtioRngDeviceId)},
          {"DMA from the disk",
           "Type: echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=4k "
           "count=16 (dropping the caches makes Linux read the disk again). Each request's "
           "buffers are mapped for the transfer and unmapped after it: the run stops at the "
           "first UNMAP of device 7, the disk. The IOMMU panel's timeline shows the rest.",
           next_event(false, true, false, kVirtioBlkDeviceId)},
      },
      8};
}

/// The name of a stop condition's kind in lessons_json.
const char* stop_kind_name(StopCondition::Kind kind) {
  switch (kind) {
    case StopCondition::Kind::None: return "none";
    case StopCondition::Kind::IommuEvent: return "iommu";
    case StopCondition::Kind::Trap: return "trap";
    case StopCondition::Kind::Console: return "console";
  }
  return "none";
}

/// Arms the App's stop for `c` (nothing for Kind::None).
void arm(App& app, const StopCondition& c) {
  switch (c.kind) {
    case StopCondition::Kind::None: break;
    case StopCondition::Kind::IommuEvent: app.set_pause_on_iommu_event(true, c.event); break;
    case StopCondition::Kind::Trap: app.set_pause_on_trap(true, c.causes); break;
    case StopCondition::Kind::Console: app.set_pause_on_console(c.text); break;
  }
}

/// lastStop's fields for `stop` (without braces).
std::string stop_fields(const StopReport& stop) {
  std::string out;
  switch (stop.kind) {
    case StopReport::Kind::IommuEvent:
      if (!stop.event) break;
      out = "\"kind\":\"iommu\",\"seq\":" + std::to_string(stop.event->seq) + ",\"type\":\"" +
            to_string(stop.event->type) + "\",\"device\":" +
            (stop.event->requester_id ? std::to_string(*stop.event->requester_id) : "null") +
            ",\"iova\":\"" + hex64(stop.event->entry.first()) + "\",\"last\":\"" +
            hex64(stop.event->entry.last()) + "\"";
      break;
    case StopReport::Kind::Trap:
      out = "\"kind\":\"trap\",\"cause\":" + std::to_string(stop.trap.cause) + ",\"tval\":\"" +
            hex64(stop.trap.tval) + "\",\"epc\":\"" + hex64(stop.trap.epc) + "\"";
      break;
    case StopReport::Kind::Console:
      out = "\"kind\":\"console\",\"console\":";
      json_append_string(out, stop.console);
      break;
    case StopReport::Kind::None: out = "\"kind\":\"exit\""; break;
  }
  return out;
}

}  // namespace

std::string describe_condition(const StopCondition& stop) {
  switch (stop.kind) {
    case StopCondition::Kind::None: return "nothing: a step to read";
    case StopCondition::Kind::IommuEvent: {
      std::string types;
      const auto add = [&types](bool on, const char* name) {
        if (on) types += (types.empty() ? "" : ", ") + std::string(name);
      };
      add(stop.event.map, "MAP");
      add(stop.event.unmap, "UNMAP");
      add(stop.event.deviotlb_unmap, "DEVIOTLB_UNMAP");
      std::string out = "the next IOMMU event (" + types + ")";
      if (stop.event.device) out += " of device " + std::to_string(*stop.event.device);
      return out;
    }
    case StopCondition::Kind::Trap: {
      if (stop.causes.empty()) return "the next trap";
      std::string out = "the next trap with cause ";
      for (size_t i = 0; i < stop.causes.size(); ++i) {
        if (i) out += i + 1 == stop.causes.size() ? " or " : ", ";
        out += std::to_string(stop.causes[i]);
      }
      return out;
    }
    case StopCondition::Kind::Console: return "console output containing \"" + stop.text + "\"";
  }
  return "";
}

const std::vector<Lesson>& lesson_catalog() {
  static const std::vector<Lesson> catalog = {riscv_iommu_lesson(), virtio_iommu_lesson(),
                                              page_fault_lesson(), dma_fault_lesson(),
                                              linux_lesson()};
  return catalog;
}

const Lesson* find_lesson(std::string_view id) {
  for (const Lesson& l : lesson_catalog())
    if (l.id == id) return &l;
  return nullptr;
}

std::string lessons_json() {
  std::string out = "[";
  for (const Lesson& l : lesson_catalog()) {
    if (out.size() > 1) out += ',';
    out += "{\"id\":";
    json_append_string(out, l.id);
    out += ",\"title\":";
    json_append_string(out, l.title);
    out += ",\"guest\":";
    json_append_string(out, l.guest);
    out += ",\"devices\":[";
    for (size_t i = 0; i < l.devices.size(); ++i) {
      if (i) out += ',';
      json_append_string(out, l.devices[i]);
    }
    out += "],\"intro\":";
    json_append_string(out, l.intro);
    out += ",\"steps\":[";
    for (size_t i = 0; i < l.steps.size(); ++i) {
      if (i) out += ',';
      out += "{\"title\":";
      json_append_string(out, l.steps[i].title);
      out += ",\"text\":";
      json_append_string(out, l.steps[i].text);
      out += ",\"stop\":\"" + std::string(stop_kind_name(l.steps[i].stop.kind)) + "\"}";
    }
    out += "]}";
  }
  return out + "]";
}

const char* lesson_state_name(LessonRunner::State state) {
  switch (state) {
    case LessonRunner::State::Closed: return "closed";
    case LessonRunner::State::Loading: return "loading";
    case LessonRunner::State::Ready: return "ready";
    case LessonRunner::State::Waiting: return "waiting";
    case LessonRunner::State::Stopped: return "stopped";
    case LessonRunner::State::Finished: return "finished";
  }
  return "closed";
}

bool LessonRunner::open(App& app, std::string_view id, std::string& error) {
  const Lesson* lesson = find_lesson(id);
  if (lesson == nullptr) {
    error = "no lesson '" + std::string(id) + "'";
    app.add_message("Lessons: " + error);
    return false;
  }
  app.disarm_stops();
  if (!app.set_devices(lesson->devices, error)) return false;
  if (lesson->disk_mib != 0 && app.disk() == nullptr &&
      !app.set_blank_disk(lesson->disk_mib, error))
    return false;
  lesson_ = lesson;
  step_ = 0;
  state_ = State::Loading;
  epoch_ = 0;
  stop_ = {};
  stop_text_.clear();
  app.add_message("Lesson: " + lesson->title);
  app.choose_guest(lesson->guest);
  poll(app);
  return true;
}

void LessonRunner::close(App& app) {
  if (state_ == State::Waiting) app.disarm_stops();
  lesson_ = nullptr;
  state_ = State::Closed;
}

void LessonRunner::run(App& app) {
  if (state_ == State::Closed || state_ == State::Loading || state_ == State::Finished) return;
  if (state_ == State::Waiting) return;  // armed already
  if (state_ == State::Stopped || lesson_->steps[step_].stop.kind == StopCondition::Kind::None) {
    advance(app);
    if (state_ == State::Finished || lesson_->steps[step_].stop.kind == StopCondition::Kind::None)
      return;
  }
  app.disarm_stops();
  arm(app, lesson_->steps[step_].stop);
  armed_count_ = app.last_stop().count;
  state_ = State::Waiting;
  app.resume();
}

void LessonRunner::next(App& app) {
  if (state_ == State::Closed || state_ == State::Loading || state_ == State::Finished) return;
  app.disarm_stops();
  advance(app);
}

void LessonRunner::advance(App& app) {
  stop_ = {};
  stop_text_.clear();
  if (++step_ >= lesson_->steps.size()) {
    step_ = lesson_->steps.size();
    state_ = State::Finished;
    app.resume();  // the guest runs on to its end
    return;
  }
  state_ = State::Ready;
}

void LessonRunner::poll(App& app) {
  if (lesson_ == nullptr) return;
  if (app.guest_name() != lesson_->guest) {
    if (state_ == State::Waiting) app.disarm_stops();
    state_ = State::Loading;
    return;
  }
  if (app.machine_epoch() != epoch_) {
    // The lesson's guest (re)started: from the first step, paused before its first instruction.
    epoch_ = app.machine_epoch();
    app.disarm_stops();
    app.pause();
    step_ = 0;
    state_ = State::Ready;
    stop_ = {};
    stop_text_.clear();
    return;
  }
  if (state_ != State::Waiting) return;
  if (app.last_stop().count != armed_count_) {
    stop_ = app.last_stop();
    stop_text_ = describe_stop(stop_);
    state_ = State::Stopped;
  } else if (app.machine().exited()) {
    app.disarm_stops();
    stop_ = {};
    stop_.pc = app.machine().cpu().pc();
    stop_text_ = "the guest exited (status " + std::to_string(app.machine().exit_code()) +
                 ") before the step's event";
    state_ = State::Stopped;
  }
}

std::string LessonRunner::state_json() const {
  if (lesson_ == nullptr) {
    return "{\"id\":null,\"title\":\"\",\"step\":0,\"stepCount\":0,\"stepTitle\":\"\",\"text\":"
           "\"\",\"state\":\"closed\",\"waiting\":false,\"stopped\":false,\"lastStop\":null}";
  }
  const bool in_step = step_ < lesson_->steps.size();
  std::string out = "{\"id\":";
  json_append_string(out, lesson_->id);
  out += ",\"title\":";
  json_append_string(out, lesson_->title);
  out += ",\"step\":" + std::to_string(step_) +
         ",\"stepCount\":" + std::to_string(lesson_->steps.size()) + ",\"stepTitle\":";
  json_append_string(out, in_step ? lesson_->steps[step_].title : "");
  out += ",\"text\":";
  json_append_string(out, in_step ? lesson_->steps[step_].text : "");
  out += ",\"state\":\"" + std::string(lesson_state_name(state_)) +
         "\",\"waiting\":" + (state_ == State::Waiting ? "true" : "false") +
         ",\"stopped\":" + (state_ == State::Stopped ? "true" : "false") + ",\"lastStop\":";
  if (state_ != State::Stopped) return out + "null}";
  out += "{" + stop_fields(stop_) + ",\"text\":";
  json_append_string(out, stop_text_);
  out += ",\"pc\":\"" + hex64(stop_.pc) + "\"}}";
  return out;
}

}  // namespace glassvm::ui
