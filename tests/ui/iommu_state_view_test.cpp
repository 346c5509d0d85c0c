// The IOMMU panel's state views (ui/iommu_state_view.h) on the teaching programs, step by
// step: after each step of the lesson the contexts, the mapping table, the IOVA walk and the
// fault history say what the program did, with the addresses the program printed; and reading
// them changes nothing the guest could see.
#include "ui/iommu_state_view.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "engine/board/machine.h"
#include "iommu/riscv_iommu_device.h"
#include "iommu/virtio_iommu_device.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/ui/guest_files.h"
#include "ui/iommu_events.h"
#include "ui/json_internal.h"

namespace glassvm::ui {
namespace {

using namespace riscv_iommu;

/// The first match of `pattern` in `text` (its groups as numbers, in `base`); fails the test
/// when there is none.
std::vector<uint64_t> scan(const std::string& text, const std::string& pattern, int base = 16) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(text, m, std::regex(pattern))) << pattern << "\n" << text;
  std::vector<uint64_t> out;
  for (size_t i = 1; i < m.size(); ++i) out.push_back(std::stoull(m[i].str(), nullptr, base));
  return out;
}

std::string hx(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

const IommuField* find_field(const std::vector<IommuField>& fields, const std::string& name) {
  for (const IommuField& f : fields)
    if (f.name == name) return &f;
  ADD_FAILURE() << "no field " << name;
  return nullptr;
}

const IommuContextView* find_context(const IommuStateView& v, uint32_t device) {
  for (const IommuContextView& c : v.contexts)
    if (c.device == device) return &c;
  ADD_FAILURE() << "no context for device " << device;
  return nullptr;
}

class IommuStateViewTest : public glassvm::testing::IommuBoardTest {
 protected:
  void build(std::vector<std::string> devices, const std::string& guest) {
    ASSERT_NO_FATAL_FAILURE(IommuBoardTest::build(std::move(devices)));
    std::string error;
    ASSERT_TRUE(m->load_kernel(glassvm::testing::read_guest(guest), guest, error)) << error;
    log = watch_iommu_events(*m);
    ASSERT_NE(log, nullptr);
  }
  /// Runs the lesson in small slices until its output holds `text` (a step's heading: what the
  /// step before it did is done, what the step itself does has not started).
  void run_until(const std::string& text) {
    for (int i = 0; i < 2'000'000 && host.output.find(text) == std::string::npos; ++i) {
      ASSERT_FALSE(m->exited()) << "the lesson ended before \"" << text << "\"\n" << host.output;
      m->run(64);
    }
    ASSERT_NE(host.output.find(text), std::string::npos) << host.output;
  }
  void run_to_end() {
    for (int i = 0; i < 200 && !m->exited(); ++i) m->run(100'000);
    ASSERT_TRUE(m->exited());
    ASSERT_EQ(m->exit_code(), 0) << host.output;
  }
  /// `len` bytes of guest memory at `pa`, as text.
  std::string guest_text(uint64_t pa, size_t len) {
    std::string out;
    for (size_t i = 0; i < len; ++i) {
      const char c = static_cast<char>(ld(pa + i, 1));
      if (c == 0) break;
      out += c;
    }
    return out;
  }

  /// Every view and its JSON, as the panel and the JS API read them.
  void read_every_view(uint32_t device, uint64_t mapped, uint64_t unmapped) {
    (void)iommu_state_view(*m);
    (void)iommu_state_json(*m);
    for (std::optional<uint32_t> d : {std::optional<uint32_t>{}, std::optional<uint32_t>{device}}) {
      (void)iommu_mappings(*m, d, 1000);
      (void)iommu_mappings_json(*m, d, 1000);
    }
    for (uint64_t iova : {mapped, unmapped}) {
      for (IommuAccessFlags a : {kIommuRead, kIommuWrite}) {
        (void)iova_walk_view(*m, device, iova, a);
        (void)iova_walk_json(*m, device, iova, a);
      }
    }
  }

  std::unique_ptr<IommuEventLog> log;
};

// ---------------------------------------------------------------------------------------------
// riscv-iommu: assets/teach/riscv_iommu.c
// ---------------------------------------------------------------------------------------------

/// What a RISC-V IOMMU shows the guest and the page, for the nothing-changes check.
auto riscv_snapshot(RiscvIommu& io, const IommuEventLog& log) {
  const RiscvIommu::Stats& s = io.stats();
  return std::make_tuple(log.last_seq(), io.iotlb_size(), s.iotlb_hits, s.iotlb_misses,
                         s.page_walks, s.ddt_walks, s.faults_recorded, s.faults_dropped, s.commands,
                         io.peek_register(FQT), io.peek_register(FQH), io.peek_register(IPSR),
                         io.peek_register(CQH), io.fault_history().size());
}

TEST_F(IommuStateViewTest, RiscvLessonStepByStep) {
  ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}, "teach_riscv_iommu.elf"));
  RiscvIommu& io = device<RiscvIommuDevice>().iommu();

  // Before the driver sets ddtp: Off, every device refused.
  ASSERT_NO_FATAL_FAILURE(run_until("== 2."));
  const uint32_t did =
      static_cast<uint32_t>(scan(host.output, R"(iommus = <\d+ (\d+)>)", 10).at(0));
  IommuStateView state = iommu_state_view(*m);
  EXPECT_EQ(state.model, "riscv-iommu");
  const IommuContextView* ctx = find_context(state, did);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->error, "all inbound transactions disallowed");
  EXPECT_NE(ctx->name.find("edu-dma"), std::string::npos) << ctx->name;

  // Step 3 done: a one-level directory, edu-dma's context, two pages mapped.
  ASSERT_NO_FATAL_FAILURE(run_until("== 4."));
  const std::vector<uint64_t> t = scan(
      host.output,
      R"(Sv39 root at 0x([0-9a-f]+): IOVA 0x([0-9a-f]+) -> buffer A 0x([0-9a-f]+), IOVA 0x([0-9a-f]+) -> destination 0x([0-9a-f]+))");
  const uint64_t root = t[0], iova_src = t[1], buf_a = t[2], iova_dst = t[3], buf_dst = t[4];
  const uint64_t dc_addr =
      scan(host.output, R"(device context \d+ at 0x([0-9a-f]+): tc = 0x([0-9a-f]+))").at(0);
  const uint64_t pscid = scan(host.output, R"(ta.PSCID = (\d+))", 10).at(0);
  state = iommu_state_view(*m);
  ctx = find_context(state, did);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->error, "");
  EXPECT_EQ(ctx->context_addr, dc_addr);
  EXPECT_EQ(ctx->summary, "Sv39, PSCID " + std::to_string(pscid) + ", root " + hx(root) + ", ATS");
  EXPECT_EQ(find_field(ctx->fields, "tc.V")->value, 1u);
  EXPECT_EQ(find_field(ctx->fields, "tc.EN_ATS")->meaning, "ATS enabled");
  EXPECT_EQ(find_field(ctx->fields, "tc.DTF")->value, 0u);
  EXPECT_EQ(find_field(ctx->fields, "fsc.MODE")->meaning, "Sv39");
  EXPECT_EQ(find_field(ctx->fields, "fsc.PPN")->value, root >> 12);
  EXPECT_EQ(find_field(ctx->fields, "ta.PSCID")->value, pscid);
  EXPECT_EQ(find_field(ctx->fields, "iohgatp.MODE")->value, 0u);
  EXPECT_EQ(find_field(state.registers, "ddtp")->meaning.rfind("mode 1LVL", 0), 0u);
  EXPECT_NE(find_field(state.registers, "fqcsr")->meaning.find("fqon"), std::string::npos);

  std::vector<IommuMappingRow> rows = iommu_mappings(*m, did, 100);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].iova, iova_src);
  EXPECT_EQ(rows[0].last, iova_src + 0xfff);
  EXPECT_EQ(rows[0].pa, buf_a);
  EXPECT_EQ(rows[0].perm, kIommuRw);
  EXPECT_EQ(rows[1].iova, iova_dst);
  EXPECT_EQ(rows[1].pa, buf_dst);
  EXPECT_EQ(iommu_mappings(*m, std::nullopt, 100).size(), 2u);  // edu-dma is the only device
  EXPECT_TRUE(iommu_mappings(*m, did + 1, 100).empty());
  bool truncated = false;
  EXPECT_EQ(iommu_mappings(*m, did, 1, &truncated).size(), 1u);
  EXPECT_TRUE(truncated);

  IovaWalkView walk = iova_walk_view(*m, did, iova_src + 0x10, kIommuRead);
  EXPECT_TRUE(walk.ok) << walk.result;
  EXPECT_EQ(walk.pa, buf_a + 0x10);
  EXPECT_EQ(walk.page_size, 0x1000u);
  EXPECT_EQ(walk.iotlb_hit, std::optional<bool>(false));  // no DMA yet
  // ddtp, the context's four doublewords, three PTEs.
  ASSERT_EQ(walk.steps.size(), 8u);
  EXPECT_EQ(walk.steps[0].what, "ddtp");
  EXPECT_EQ(walk.steps[1].what, "device context tc");
  EXPECT_EQ(walk.steps[1].addr, dc_addr);
  EXPECT_EQ(walk.steps[4].what, "device context fsc");
  EXPECT_EQ(walk.steps[5].what, "PTE level 2");
  EXPECT_EQ(walk.steps[5].addr, root + ((iova_src >> 30) & 511) * 8);
  EXPECT_EQ(walk.steps[7].bits, "DA-U-WRV");  // the lesson's leaf: V R W U A D
  EXPECT_NE(walk.steps[7].meaning.find("leaf: a 4 KiB page at 0x"), std::string::npos);

  // Step 4 done: the DMA went where the walk says, and the IOTLB now holds the page.
  ASSERT_NO_FATAL_FAILURE(run_until("== 5."));
  walk = iova_walk_view(*m, did, iova_dst, kIommuWrite);
  ASSERT_TRUE(walk.ok) << walk.result;
  EXPECT_EQ(walk.pa, buf_dst);
  EXPECT_EQ(guest_text(walk.pa, 64), "Hello from buffer A, through the IOMMU!");
  EXPECT_EQ(walk.iotlb_hit, std::optional<bool>(true));
  const std::string walk_json = iova_walk_json(*m, did, iova_dst, kIommuWrite);
  EXPECT_NE(walk_json.find("\"ok\":true,\"pa\":\"" + hex64(buf_dst) + "\",\"pageSize\":4096"),
            std::string::npos)
      << walk_json;
  EXPECT_NE(walk_json.find("\"iotlbHit\":true"), std::string::npos) << walk_json;

  // Reading every view changes nothing: no event, no IOTLB fill or hit, no walk counted, no
  // fault record.
  const auto before = riscv_snapshot(io, *log);
  read_every_view(did, iova_src, 0x7000'0000);
  EXPECT_EQ(riscv_snapshot(io, *log), before);

  // Step 5 done: the same IOVA leads to buffer B.
  ASSERT_NO_FATAL_FAILURE(run_until("== 6."));
  const uint64_t buf_b = scan(host.output, R"(now points at buffer B 0x([0-9a-f]+))").at(0);
  rows = iommu_mappings(*m, did, 100);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].iova, iova_src);
  EXPECT_EQ(rows[0].pa, buf_b);
  EXPECT_TRUE(iommu_state_view(*m).faults.empty());

  // Step 6 done: the page is gone; a read of it faults as the lesson's DMA did, and the fault
  // history holds the record the program read from the queue.
  ASSERT_NO_FATAL_FAILURE(run_until("== 7."));
  rows = iommu_mappings(*m, did, 100);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].iova, iova_dst);
  walk = iova_walk_view(*m, did, iova_src, kIommuRead);
  EXPECT_FALSE(walk.ok);
  EXPECT_EQ(walk.result, "read page fault (cause 13)");
  ASSERT_FALSE(walk.steps.empty());
  EXPECT_EQ(walk.steps.back().what, "PTE level 0");
  EXPECT_NE(walk.steps.back().meaning.find("the walk stops here: read page fault"),
            std::string::npos)
      << walk.steps.back().meaning;
  EXPECT_EQ(iova_walk_view(*m, did, iova_src, kIommuWrite).result,
            "write/AMO page fault (cause 15)");
  state = iommu_state_view(*m);
  ASSERT_EQ(state.faults.size(), 1u);
  const IommuFaultRow& f = state.faults[0];
  EXPECT_EQ(f.seq, 1u);
  EXPECT_EQ(f.cause, 13u);
  EXPECT_EQ(f.text, "read page fault");
  EXPECT_EQ(f.type, "untranslated read");
  EXPECT_EQ(f.device, did);
  EXPECT_EQ(f.iova, iova_src);
  EXPECT_TRUE(f.delivered);
  EXPECT_GT(f.time_ns, 0u);
  EXPECT_EQ(state.faults_dropped, 0u);
  const std::string json = iommu_state_json(*m);
  EXPECT_NE(json.find("\"faults\":[{\"seq\":1,\"timeNs\":" + std::to_string(f.time_ns) +
                      ",\"device\":" + std::to_string(did) +
                      ",\"cause\":13,\"text\":\"read page fault\",\"type\":\"untranslated "
                      "read\",\"iova\":\"" +
                      hex64(iova_src) + "\""),
            std::string::npos)
      << json;
  EXPECT_EQ(iommu_mappings_json(*m, did, 100),
            "{\"truncated\":false,\"mappings\":[{\"device\":" + std::to_string(did) +
                ",\"iova\":\"" + hex64(iova_dst) + "\",\"last\":\"" + hex64(iova_dst + 0xfff) +
                "\",\"pa\":\"" + hex64(buf_dst) + "\",\"perm\":\"rw\",\"domain\":null}]}");

  // Step 7 (ATS): the ATS request for the unmapped page is no fault record.
  ASSERT_NO_FATAL_FAILURE(run_to_end());
  EXPECT_EQ(iommu_state_view(*m).faults.size(), 1u);
  EXPECT_TRUE(iommu_mappings(*m, did, 100).size() == 1u);
}

TEST_F(IommuStateViewTest, DmaWithTranslationOffIsADroppedFaultInTheHistory) {
  // No lesson: edu-dma copies while ddtp is Off and the fault queue is off.
  ASSERT_NO_FATAL_FAILURE(IommuBoardTest::build({"riscv-iommu-sys", "edu-dma"}));
  IovaWalkView walk = iova_walk_view(*m, 99, 0x1000, kIommuRead);
  EXPECT_FALSE(walk.ok);
  EXPECT_EQ(walk.result, "all inbound transactions disallowed (cause 256)");
  ASSERT_EQ(walk.steps.size(), 1u);
  EXPECT_EQ(walk.steps[0].what, "ddtp");
  RiscvIommu& io = device<RiscvIommuDevice>().iommu();
  const uint32_t did = device<RiscvIommuDevice>().dma_masters().at(0).first;
  MemTxAttrs attrs;
  attrs.requester_id = did;
  uint64_t v = 0;
  AddressSpace& as = device<RiscvIommuDevice>().dma_address_space(did, "");  // edu-dma's
  EXPECT_EQ(as.load(0x8000'1000, 4, v, attrs), MemTxResult::IommuFault);
  const IommuStateView state = iommu_state_view(*m);
  ASSERT_EQ(state.faults.size(), 1u);
  EXPECT_EQ(state.faults[0].cause, kCauseAllInboundDisallowed);
  EXPECT_EQ(state.faults[0].text, "all inbound transactions disallowed");
  EXPECT_EQ(state.faults[0].device, did);
  EXPECT_EQ(state.faults[0].iova, 0x8000'1000u);
  EXPECT_FALSE(state.faults[0].delivered);
  EXPECT_EQ(state.faults_dropped, 1u);
  EXPECT_EQ(io.stats().faults_dropped, 1u);
}

TEST_F(IommuStateViewTest, NoIommuNoState) {
  ASSERT_NO_FATAL_FAILURE(IommuBoardTest::build({"edu-dma"}));
  EXPECT_EQ(iommu_state_view(*m).model, "");
  EXPECT_EQ(iommu_state_json(*m),
            "{\"model\":\"\",\"registers\":[],\"contexts\":[],\"faults\":[],\"faultsDropped\":0}");
  EXPECT_EQ(iommu_mappings_json(*m, std::nullopt, 10), "{\"truncated\":false,\"mappings\":[]}");
  EXPECT_FALSE(iova_walk_view(*m, 1, 0, kIommuRead).ok);
}

// ---------------------------------------------------------------------------------------------
// virtio-iommu: assets/teach/virtio_iommu.c
// ---------------------------------------------------------------------------------------------

auto virtio_snapshot(VirtioIommu& io, const IommuEventLog& log) {
  return std::make_tuple(log.last_seq(), io.mapping_count(), io.faults_reported(),
                         io.faults_dropped(), io.fault_history().size(), io.bypass());
}

TEST_F(IommuStateViewTest, VirtioLessonStepByStep) {
  ASSERT_NO_FATAL_FAILURE(build({"virtio-iommu-device", "edu-dma"}, "teach_virtio_iommu.elf"));
  VirtioIommu& io = device<VirtioIommuDevice>().iommu();

  // Step 7 done: bypass 0, the endpoint in no domain, its DMA a DOMAIN fault.
  ASSERT_NO_FATAL_FAILURE(run_until("== 8."));
  const uint32_t ep =
      static_cast<uint32_t>(scan(host.output, R"(iommus = <\d+ (\d+)>: phandle)", 10).at(0));
  IommuStateView state = iommu_state_view(*m);
  EXPECT_EQ(state.model, "virtio-iommu");
  EXPECT_EQ(find_field(state.registers, "bypass")->value, 0u);
  const IommuContextView* ctx = find_context(state, ep);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->summary, "not attached, bypass 0: every DMA faults");
  EXPECT_NE(ctx->error.find("DOMAIN"), std::string::npos);
  ASSERT_EQ(state.faults.size(), 1u);
  EXPECT_EQ(state.faults[0].cause, VirtioIommu::kFaultRDomain);
  EXPECT_EQ(state.faults[0].device, ep);
  EXPECT_EQ(state.faults[0].iova, 0x400000u);
  EXPECT_EQ(state.faults[0].type, "read|address valid");
  EXPECT_TRUE(state.faults[0].delivered);
  EXPECT_TRUE(iommu_mappings(*m, ep, 100).empty());

  // Step 8 done: ATTACH and two MAPs.
  ASSERT_NO_FATAL_FAILURE(run_until("== 9."));
  const uint32_t domain =
      static_cast<uint32_t>(scan(host.output, R"(ATTACH endpoint \d+ to domain (\d+))", 10).at(0));
  const uint64_t page_a =
      scan(host.output, R"(MAP domain \d+: IOVA 0x400000-0x400fff -> phys 0x([0-9a-f]+) READ)")
          .at(0);
  const uint64_t page_b =
      scan(host.output, R"(MAP domain \d+: IOVA 0x800000-0x800fff -> phys 0x([0-9a-f]+) WRITE)")
          .at(0);
  state = iommu_state_view(*m);
  ctx = find_context(state, ep);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->summary, "domain " + std::to_string(domain) + ", 2 mapping(s)");
  EXPECT_EQ(find_field(ctx->fields, "domain")->value, domain);
  EXPECT_EQ(ctx->error, "");
  std::vector<IommuMappingRow> rows = iommu_mappings(*m, ep, 100);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].iova, 0x400000u);
  EXPECT_EQ(rows[0].last, 0x400fffu);
  EXPECT_EQ(rows[0].pa, page_a);
  EXPECT_EQ(rows[0].perm, kIommuRead);
  EXPECT_EQ(rows[0].domain, std::optional<uint32_t>(domain));
  EXPECT_EQ(rows[1].iova, 0x800000u);
  EXPECT_EQ(rows[1].pa, page_b);
  EXPECT_EQ(rows[1].perm, kIommuWrite);
  IovaWalkView walk = iova_walk_view(*m, ep, 0x400010, kIommuRead);
  EXPECT_TRUE(walk.ok) << walk.result;
  EXPECT_EQ(walk.pa, page_a + 0x10);
  EXPECT_FALSE(walk.iotlb_hit.has_value());
  walk = iova_walk_view(*m, ep, 0x800000, kIommuRead);
  EXPECT_FALSE(walk.ok);
  EXPECT_NE(walk.result.find("MAPPING"), std::string::npos) << walk.result;
  EXPECT_TRUE(iova_walk_view(*m, ep, 0x800000, kIommuWrite).ok);

  // Step 9 done: the copy went where the walk of the destination says.
  ASSERT_NO_FATAL_FAILURE(run_until("== 10."));
  walk = iova_walk_view(*m, ep, 0x800000, kIommuWrite);
  ASSERT_TRUE(walk.ok);
  EXPECT_EQ(walk.pa, page_b);
  EXPECT_EQ(guest_text(walk.pa, 64), guest_text(page_a, 64));
  EXPECT_EQ(guest_text(walk.pa, 7), "page A:");
  const auto before = virtio_snapshot(io, *log);
  read_every_view(ep, 0x400000, 0x900000);
  EXPECT_EQ(virtio_snapshot(io, *log), before);

  // Step 12 done: 0x400000 means page C.
  ASSERT_NO_FATAL_FAILURE(run_until("== 13."));
  const uint64_t page_c = scan(host.output.substr(host.output.find("== 12.")),
                               R"(MAP domain \d+: IOVA 0x400000-0x400fff -> phys 0x([0-9a-f]+))")
                              .at(0);
  EXPECT_NE(page_c, page_a);
  rows = iommu_mappings(*m, ep, 100);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].pa, page_c);

  // Step 13 done: the source unmapped, the DMA a MAPPING fault.
  ASSERT_NO_FATAL_FAILURE(run_until("== 14."));
  rows = iommu_mappings(*m, ep, 100);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].iova, 0x800000u);
  state = iommu_state_view(*m);
  ASSERT_FALSE(state.faults.empty());
  EXPECT_EQ(state.faults.back().cause, VirtioIommu::kFaultRMapping);
  EXPECT_EQ(state.faults.back().iova, 0x400000u);
  EXPECT_FALSE(iova_walk_view(*m, ep, 0x400000, kIommuRead).ok);

  // Step 14: DETACH: no domain, no mappings, blocked again.
  ASSERT_NO_FATAL_FAILURE(run_to_end());
  EXPECT_TRUE(iommu_mappings(*m, std::nullopt, 100).empty());
  state = iommu_state_view(*m);
  EXPECT_EQ(find_context(state, ep)->summary, "not attached, bypass 0: every DMA faults");
  EXPECT_EQ(find_field(state.registers, "domains")->value, 0u);
  EXPECT_EQ(state.faults.back().cause, VirtioIommu::kFaultRDomain);
  EXPECT_EQ(state.faults.back().iova, 0x800000u);
}

}  // namespace
}  // namespace glassvm::ui
