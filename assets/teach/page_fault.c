// teach_page_fault.elf: a bare-metal lesson on Sv39 page faults (RISC-V privileged
// specification 4.3 and 4.4): demand paging, the A and D bits, and a fault that is not fixed.
//
//   glassvm -bios none -kernel build/native/guests/teach_page_fault.elf
//
// M-mode builds the page tables, delegates the page faults to S-mode (medeleg) and drops to
// S-mode, where the rest runs as a small kernel would:
//   1. The tables: RAM is mapped onto itself with one 1 GiB leaf (the "kernel" mapping); a
//      window at VA 0x40000000 has its own leaf table, where page 2 is mapped without A and D,
//      page 3 read-only, and pages 0 and 1 not at all.
//   2. A and D: a load from page 2 makes the hart set A in its PTE, a store sets D (GlassVM's
//      hart updates them itself, as Svadu allows; a hart without it would fault instead).
//   3. Demand paging: a load from page 0 faults (scause 13, stval = the VA); the S-mode handler
//      takes a free frame, writes the PTE, SFENCE.VMA, and returns to the same instruction,
//      which now completes.
//   4. The same for a store to page 1 (scause 15).
//   5. A store to the read-only page 3 faults too (scause 15), but the PTE is valid: this is a
//      protection fault, not a missing page. The handler maps nothing and skips the store (a
//      kernel would end the process); the page keeps its value.
// Every trap and every PTE is printed in words. The exit status is 0 only if every step
// behaved as the specification says.
#include "htif.h"
#include "lesson.h"
#include "platform.h"
#include "rt.h"

// Sv39 PTE bits (privileged specification 4.4.1).
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_TO(pa) (((uint64_t)(pa) >> 12) << 10)
#define PTE_PA(pte) (((pte) >> 10) << 12)
#define SATP_SV39 (8ul << 60)

// Exception causes (privileged specification 3.1.15).
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15

#define PAGE 4096
#define WINDOW 0x40000000ul       /* VPN[2] = 1: the window's own tables */
#define VA_LOAD (WINDOW)          /* not mapped: the load that faults */
#define VA_STORE (WINDOW + PAGE)  /* not mapped: the store that faults */
#define VA_AD (WINDOW + 2 * PAGE) /* mapped without A and D */
#define VA_RO (WINDOW + 3 * PAGE) /* mapped read-only */
#define WINDOW_PAGES 4
#define FREE_FRAMES 2

static uint64_t root[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t l1[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t l0[PAGE / 8] __attribute__((aligned(PAGE)));
static uint8_t frame_ad[PAGE] __attribute__((aligned(PAGE)));
static uint8_t frame_ro[PAGE] __attribute__((aligned(PAGE)));
static uint8_t free_frames[FREE_FRAMES][PAGE] __attribute__((aligned(PAGE)));
static unsigned frames_used, traps_taken;

/// The leaf PTE of `va` in the window (`va` must lie in it).
static uint64_t* leaf_of(uint64_t va) {
  return &l0[(va >> 12) & 511];
}

static const char* cause_name(uint64_t cause) {
  switch (cause) {
    case CAUSE_FETCH_PAGE_FAULT: return "instruction page fault";
    case CAUSE_LOAD_PAGE_FAULT: return "load page fault";
    case CAUSE_STORE_PAGE_FAULT: return "store/AMO page fault";
  }
  return "not a page fault";
}

/// Prints a PTE with its flags spelled out.
static void print_pte(const char* label, uint64_t va, uint64_t pte) {
  printf("  %s VA 0x%lx: PTE 0x%lx (V=%lu R=%lu W=%lu A=%lu D=%lu", label, va, pte, pte & 1,
         (pte >> 1) & 1, (pte >> 2) & 1, (pte >> 6) & 1, (pte >> 7) & 1);
  if (pte & PTE_V) printf(", PA 0x%lx", PTE_PA(pte));
  printf(")\n");
}

// ---------------------------------------------------------------------------------------------
// The S-mode trap handler: demand paging
// ---------------------------------------------------------------------------------------------

/// S-mode's trap entry (stvec, direct mode): saves the registers a C call may change, calls
/// s_handle_trap(scause, sepc, stval) and resumes at the pc it returns.
void s_trap_entry(void);
__asm__(
    "  .text\n"
    "  .align 2\n"
    "  .globl s_trap_entry\n"
    "s_trap_entry:\n"
    "  addi sp, sp, -128\n"
    "  sd ra, 0(sp)\n  sd t0, 8(sp)\n  sd t1, 16(sp)\n  sd t2, 24(sp)\n"
    "  sd a0, 32(sp)\n  sd a1, 40(sp)\n  sd a2, 48(sp)\n  sd a3, 56(sp)\n"
    "  sd a4, 64(sp)\n  sd a5, 72(sp)\n  sd a6, 80(sp)\n  sd a7, 88(sp)\n"
    "  sd t3, 96(sp)\n  sd t4, 104(sp)\n  sd t5, 112(sp)\n  sd t6, 120(sp)\n"
    "  csrr a0, scause\n  csrr a1, sepc\n  csrr a2, stval\n"
    "  call s_handle_trap\n"
    "  csrw sepc, a0\n"
    "  ld ra, 0(sp)\n  ld t0, 8(sp)\n  ld t1, 16(sp)\n  ld t2, 24(sp)\n"
    "  ld a0, 32(sp)\n  ld a1, 40(sp)\n  ld a2, 48(sp)\n  ld a3, 56(sp)\n"
    "  ld a4, 64(sp)\n  ld a5, 72(sp)\n  ld a6, 80(sp)\n  ld a7, 88(sp)\n"
    "  ld t3, 96(sp)\n  ld t4, 104(sp)\n  ld t5, 112(sp)\n  ld t6, 120(sp)\n"
    "  addi sp, sp, 128\n"
    "  sret\n");

/// Maps the page of `va` onto a free frame (no A, no D: the hart sets them when the retried
/// access completes). Returns 0 when no frame is left.
static int map_on_demand(uint64_t va) {
  if (frames_used == FREE_FRAMES) return 0;
  uint8_t* frame = free_frames[frames_used++];
  uint64_t* pte = leaf_of(va);
  *pte = PTE_TO(frame) | PTE_V | PTE_R | PTE_W;
  __asm__ volatile("sfence.vma %0, zero" ::"r"(va & ~(uint64_t)(PAGE - 1)) : "memory");
  printf(
      "  demand paging: the handler takes the free frame at PA 0x%lx and writes PTE 0x%lx "
      "at 0x%lx (leaf %lu of the window's table), then SFENCE.VMA\n",
      (uint64_t)(uintptr_t)frame, *pte, (uint64_t)(uintptr_t)pte, (va >> 12) & 511);
  printf("  -> mapped VA 0x%lx -> PA 0x%lx; SRET returns to the faulting instruction\n",
         va & ~(uint64_t)(PAGE - 1), (uint64_t)(uintptr_t)frame);
  return 1;
}

/// The length of the instruction at `pc` (2 when compressed), for skipping it.
static uint64_t insn_length(uint64_t pc) {
  return (*(volatile uint16_t*)pc & 3) == 3 ? 4 : 2;
}

uint64_t s_handle_trap(uint64_t scause, uint64_t sepc, uint64_t stval) {
  traps_taken++;
  printf("  TRAP into S-mode: scause = %lu (%s), stval = 0x%lx, sepc = 0x%lx\n", scause,
         cause_name(scause), stval, sepc);
  const int page_fault = scause == CAUSE_LOAD_PAGE_FAULT || scause == CAUSE_STORE_PAGE_FAULT;
  if (!page_fault || stval < WINDOW || stval >= WINDOW + WINDOW_PAGES * PAGE) {
    expect(0, "only page faults in the window trap");
    guest_exit(lesson_end("the privileged specification"));
  }
  const uint64_t pte = *leaf_of(stval);
  if (!(pte & PTE_V)) {
    printf("  the PTE of VA 0x%lx is 0x%lx: V = 0, the page is not mapped yet\n", stval, pte);
    expect(map_on_demand(stval), "a free frame is left");
    return sepc;
  }
  printf(
      "  the PTE of VA 0x%lx is 0x%lx: valid, but it does not allow a %s: a protection fault, "
      "not a missing page. The handler maps nothing and skips the instruction (a kernel would "
      "end the process)\n",
      stval, pte, scause == CAUSE_STORE_PAGE_FAULT ? "store (W = 0)" : "load (R = 0)");
  return sepc + insn_length(sepc);
}

// ---------------------------------------------------------------------------------------------
// The lesson, in S-mode
// ---------------------------------------------------------------------------------------------

static void s_main(void) {
  printf("  now in S-mode with satp = 0x%lx: every access is translated\n", csr_read(satp));

  step("2. A and D: the hart marks a page accessed and dirty");
  print_pte("before any access,", VA_AD, *leaf_of(VA_AD));
  const uint64_t seen = *(volatile uint64_t*)VA_AD;
  print_pte("after a load,", VA_AD, *leaf_of(VA_AD));
  expect((*leaf_of(VA_AD) & (PTE_A | PTE_D)) == PTE_A, "a load sets A, not D");
  *(volatile uint64_t*)VA_AD = seen + 1;
  print_pte("after a store,", VA_AD, *leaf_of(VA_AD));
  expect((*leaf_of(VA_AD) & (PTE_A | PTE_D)) == (PTE_A | PTE_D), "a store sets D");
  printf(
      "  -> A = 1 and D = 1: the hart wrote them into the PTE (the kernel reads them to find\n"
      "     pages to evict and pages to write back)\n");

  step("3. Demand paging: a load from a page that is not mapped yet");
  print_pte("loading from", VA_LOAD, *leaf_of(VA_LOAD));
  const uint64_t loaded = *(volatile uint64_t*)VA_LOAD;
  print_pte("after the retried load,", VA_LOAD, *leaf_of(VA_LOAD));
  printf("  the load returned 0x%lx (a fresh frame) and the hart set A\n", loaded);
  expect(traps_taken == 1, "the load trapped once");
  expect(loaded == 0 && (*leaf_of(VA_LOAD) & PTE_A), "the retried load completes and sets A");

  step("4. Demand paging: a store to a page that is not mapped yet");
  print_pte("storing 0x5a5a to", VA_STORE, *leaf_of(VA_STORE));
  *(volatile uint64_t*)VA_STORE = 0x5a5a;
  const uint64_t store_pte = *leaf_of(VA_STORE);
  print_pte("after the retried store,", VA_STORE, store_pte);
  const uint64_t in_frame = *(volatile uint64_t*)PTE_PA(store_pte);
  printf("  the frame at PA 0x%lx (RAM is mapped onto itself) holds 0x%lx\n", PTE_PA(store_pte),
         in_frame);
  expect(traps_taken == 2, "the store trapped once");
  expect(in_frame == 0x5a5a && (store_pte & PTE_D), "the retried store completes and sets D");

  step("5. A fault the handler does not fix: a store to a read-only page");
  print_pte("storing 0xbad to", VA_RO, *leaf_of(VA_RO));
  *(volatile uint64_t*)VA_RO = 0xbad;
  const uint64_t kept = *(volatile uint64_t*)VA_RO;
  printf("  after the skipped store, VA 0x%lx still reads 0x%lx\n", VA_RO, kept);
  expect(traps_taken == 3, "the store to the read-only page trapped");
  expect(kept == 0x600d, "the read-only page kept its value");

  guest_exit(lesson_end("the privileged specification"));
}

int main(void) {
  printf("Page fault lesson: Sv39 demand paging, A and D, and a fault that is not fixed\n");

  step("1. The page tables, and the drop to S-mode");
  // RAM mapped onto itself with one 1 GiB leaf: the kernel's code, data and stack, the page
  // tables and the frames (A and D preset: the kernel mapping never changes).
  root[2] = PTE_TO(0x80000000ul) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
  root[(WINDOW >> 30) & 511] = PTE_TO(l1) | PTE_V;
  l1[(WINDOW >> 21) & 511] = PTE_TO(l0) | PTE_V;
  *leaf_of(VA_AD) = PTE_TO(frame_ad) | PTE_V | PTE_R | PTE_W;
  *(uint64_t*)frame_ro = 0x600d;
  *leaf_of(VA_RO) = PTE_TO(frame_ro) | PTE_V | PTE_R | PTE_A;
  printf("  root at 0x%lx: RAM 0x80000000.. mapped onto itself (one 1 GiB leaf)\n",
         (uint64_t)(uintptr_t)root);
  printf("  the window VA 0x%lx..0x%lx has its own leaf table at 0x%lx:\n", WINDOW,
         WINDOW + WINDOW_PAGES * PAGE - 1, (uint64_t)(uintptr_t)l0);
  print_pte("page 0,", VA_LOAD, *leaf_of(VA_LOAD));
  print_pte("page 1,", VA_STORE, *leaf_of(VA_STORE));
  print_pte("page 2,", VA_AD, *leaf_of(VA_AD));
  print_pte("page 3,", VA_RO, *leaf_of(VA_RO));

  csr_write(satp, SATP_SV39 | ((uint64_t)(uintptr_t)root >> 12));
  __asm__ volatile("sfence.vma" ::: "memory");
  // S-mode may touch nothing until M-mode grants it (PMP): one entry over everything, RWX.
  csr_write(pmpaddr0, ~0ull);
  csr_write(pmpcfg0, 0x1f);
  csr_write(medeleg, (1ul << CAUSE_FETCH_PAGE_FAULT) | (1ul << CAUSE_LOAD_PAGE_FAULT) |
                         (1ul << CAUSE_STORE_PAGE_FAULT));
  csr_write(stvec, (uint64_t)(uintptr_t)s_trap_entry);
  printf("  satp = Sv39, medeleg = page faults (12, 13, 15) go to S-mode, stvec = 0x%lx\n",
         (uint64_t)(uintptr_t)s_trap_entry);
  csr_write(mepc, (uint64_t)(uintptr_t)s_main);
  csr_clear(mstatus, MSTATUS_MPP);
  csr_set(mstatus, 1ul << 11);  // MPP = S
  __asm__ volatile("mret" ::: "memory");
  return 99;  // not reached: s_main exits
}
