// teach_virtio_iommu.elf: a bare-metal lesson on virtio-iommu (virtio 1.2, section 5.13).
//
//   glassvm -device virtio-iommu-device -device edu-dma -bios none -kernel teach_virtio_iommu.elf
//
// What it teaches, one printed step at a time (each request the driver sends, and the device's
// answer):
//   1. The device tree names the IOMMU and its endpoints: the virtio-mmio node hosting the
//      virtio-iommu has `#iommu-cells = <1>`, and the DMA device "edu-dma" (assets/teach/
//      edu_dma.h) says `iommus = <&viommu endpoint_id>`.
//   2. A virtio-mmio driver in a few hundred lines: reset, feature negotiation (VERSION_1,
//      MAP_UNMAP, INPUT_RANGE, DOMAIN_RANGE, PROBE, BYPASS_CONFIG), a request queue and an
//      event queue (split virtqueues), and the configuration space.
//   3. With bypass = 1 an endpoint that is not attached reaches memory untranslated; with
//      bypass = 0 its DMA faults, the DMA device reports the failing IOVA, and the IOMMU puts a
//      fault record (reason DOMAIN) on the event queue.
//   4. ATTACH puts the endpoint in a domain; MAP gives IOVA ranges meaning (with permissions);
//      a DMA copy through them works, and the permissions are enforced (reason MAPPING).
//   5. A mapping changes in place as UNMAP then MAP: the device sees the new page at once.
//   6. After UNMAP the same DMA faults; malformed requests get the status the specification
//      asks for (INVAL, RANGE, NOENT); DETACH blocks the endpoint again.
// The exit status is 0 only if every step behaved as the specification says.
//
// Add --trace-iommu to the command line to see each MAP and UNMAP the requests turn into.
//
// Everything is polled: GlassVM completes a virtio request during the QueueNotify write and an
// edu-dma copy during the CMD write, so no interrupt is needed.
#include "edu_dma.h"
#include "fdt.h"
#include "lesson.h"
#include "platform.h"
#include "rt.h"

// ---------------------------------------------------------------------------------------------
// Device tree: the nodes this lesson needs (the runtime's walker, assets/common/fdt.h)
// ---------------------------------------------------------------------------------------------

/// What the device tree says about the IOMMU and edu-dma.
typedef struct {
  int has_viommu;  // a virtio-mmio node that is an IOMMU (#iommu-cells)
  char viommu_name[48];
  uint64_t viommu_base;
  uint32_t viommu_phandle;
  int32_t viommu_cells;
  int has_edu;
  char edu_name[48];
  uint64_t edu_base;
  int edu_has_iommus;
  uint32_t edu_iommu_phandle;
  uint32_t edu_endpoint;
} DtInfo;

static void on_node(const FdtNode* node, void* ctx) {
  DtInfo* info = ctx;
  uint64_t base, size;
  if (!fdt_reg(node, 0, &base, &size)) return;
  if (fdt_is_compatible(node, "virtio,mmio") && node->iommu_cells >= 0) {
    info->has_viommu = 1;
    snprintf(info->viommu_name, sizeof(info->viommu_name), "%s", node->name);
    info->viommu_base = base;
    info->viommu_phandle = node->phandle;
    info->viommu_cells = node->iommu_cells;
  } else if (fdt_is_compatible(node, "glassvm,edu-dma")) {
    info->has_edu = 1;
    snprintf(info->edu_name, sizeof(info->edu_name), "%s", node->name);
    info->edu_base = base;
    info->edu_has_iommus = fdt_iommu(node, 0, &info->edu_iommu_phandle, &info->edu_endpoint);
  }
}

// ---------------------------------------------------------------------------------------------
// virtio-mmio, version 2 (virtio 1.2, 4.2.2), and split virtqueues (2.7)
// ---------------------------------------------------------------------------------------------

#define VIRTIO_MMIO_BASE 0x10001000ul
#define VIRTIO_MMIO_STRIDE 0x1000ul
#define VIRTIO_MMIO_SLOTS 8

enum {
  VMMIO_MAGIC = 0x000,
  VMMIO_VERSION = 0x004,
  VMMIO_DEVICE_ID = 0x008,
  VMMIO_DEVICE_FEATURES = 0x010,
  VMMIO_DEVICE_FEATURES_SEL = 0x014,
  VMMIO_DRIVER_FEATURES = 0x020,
  VMMIO_DRIVER_FEATURES_SEL = 0x024,
  VMMIO_QUEUE_SEL = 0x030,
  VMMIO_QUEUE_NUM_MAX = 0x034,
  VMMIO_QUEUE_NUM = 0x038,
  VMMIO_QUEUE_READY = 0x044,
  VMMIO_QUEUE_NOTIFY = 0x050,
  VMMIO_INTERRUPT_STATUS = 0x060,
  VMMIO_INTERRUPT_ACK = 0x064,
  VMMIO_STATUS = 0x070,
  VMMIO_QUEUE_DESC_LOW = 0x080,
  VMMIO_QUEUE_DESC_HIGH = 0x084,
  VMMIO_QUEUE_DRIVER_LOW = 0x090,
  VMMIO_QUEUE_DRIVER_HIGH = 0x094,
  VMMIO_QUEUE_DEVICE_LOW = 0x0a0,
  VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
  VMMIO_CONFIG = 0x100,
};
#define VIRTIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_ID_IOMMU 23

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 32

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

#define QSIZE 8

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
struct virtq_avail {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[QSIZE];
};
struct virtq_used_elem {
  uint32_t id;
  uint32_t len;
};
struct virtq_used {
  uint16_t flags;
  uint16_t idx;
  struct virtq_used_elem ring[QSIZE];
};

/// One split virtqueue: the three areas the driver hands the device, and the driver's place.
typedef struct {
  struct virtq_desc desc[QSIZE] __attribute__((aligned(16)));
  struct virtq_avail avail __attribute__((aligned(16)));
  struct virtq_used used __attribute__((aligned(16)));
  uint16_t last_used;  // used.idx as far as the driver has read it
} Virtq;

static uintptr_t g_vio;  // the virtio-iommu's virtio-mmio registers
static Virtq g_reqq, g_evtq;

static uint32_t vio_read(unsigned off) {
  return mmio_read32(g_vio + off);
}
static void vio_write(unsigned off, uint32_t v) {
  mmio_write32(g_vio + off, v);
}

static int queue_setup(unsigned index, Virtq* q) {
  vio_write(VMMIO_QUEUE_SEL, index);
  const uint32_t max = vio_read(VMMIO_QUEUE_NUM_MAX);
  if (max < QSIZE || vio_read(VMMIO_QUEUE_READY) != 0) return 0;
  memset(q, 0, sizeof(*q));
  vio_write(VMMIO_QUEUE_NUM, QSIZE);
  vio_write(VMMIO_QUEUE_DESC_LOW, (uint32_t)(uintptr_t)q->desc);
  vio_write(VMMIO_QUEUE_DESC_HIGH, (uint32_t)((uint64_t)(uintptr_t)q->desc >> 32));
  vio_write(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)(uintptr_t)&q->avail);
  vio_write(VMMIO_QUEUE_DRIVER_HIGH, (uint32_t)((uint64_t)(uintptr_t)&q->avail >> 32));
  vio_write(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)(uintptr_t)&q->used);
  vio_write(VMMIO_QUEUE_DEVICE_HIGH, (uint32_t)((uint64_t)(uintptr_t)&q->used >> 32));
  vio_write(VMMIO_QUEUE_READY, 1);
  return 1;
}

/// Makes descriptor chain `head` available on `q` and tells the device (queue `index`).
static void queue_kick(Virtq* q, unsigned index, uint16_t head) {
  q->avail.ring[q->avail.idx % QSIZE] = head;
  __sync_synchronize();  // the ring entry before the index that publishes it (2.7.13)
  q->avail.idx++;
  __sync_synchronize();
  vio_write(VMMIO_QUEUE_NOTIFY, index);
}

/// The next used element of `q`, or 0 if the device has used nothing new.
static const struct virtq_used_elem* queue_take_used(Virtq* q) {
  __sync_synchronize();
  if (q->used.idx == q->last_used) return 0;
  const struct virtq_used_elem* e = &q->used.ring[q->last_used % QSIZE];
  q->last_used++;
  return e;
}

// ---------------------------------------------------------------------------------------------
// virtio-iommu (virtio 1.2, 5.13): features, configuration, requests, fault records
// ---------------------------------------------------------------------------------------------

#define VIRTIO_IOMMU_F_INPUT_RANGE 0
#define VIRTIO_IOMMU_F_DOMAIN_RANGE 1
#define VIRTIO_IOMMU_F_MAP_UNMAP 2
#define VIRTIO_IOMMU_F_BYPASS 3
#define VIRTIO_IOMMU_F_PROBE 4
#define VIRTIO_IOMMU_F_MMIO 5
#define VIRTIO_IOMMU_F_BYPASS_CONFIG 6

/// struct virtio_iommu_config (5.13.4), as offsets into the configuration space.
enum {
  CFG_PAGE_SIZE_MASK = 0,
  CFG_INPUT_START = 8,
  CFG_INPUT_END = 16,
  CFG_DOMAIN_START = 24,
  CFG_DOMAIN_END = 28,
  CFG_PROBE_SIZE = 32,
  CFG_BYPASS = 36,
};

enum { T_ATTACH = 1, T_DETACH = 2, T_MAP = 3, T_UNMAP = 4, T_PROBE = 5 };
enum { S_OK, S_IOERR, S_UNSUPP, S_DEVERR, S_INVAL, S_RANGE, S_NOENT, S_FAULT, S_NOMEM };
#define MAP_F_READ 1u
#define MAP_F_WRITE 2u
#define PROBE_T_RESV_MEM 1
#define FAULT_R_UNKNOWN 0
#define FAULT_R_DOMAIN 1
#define FAULT_R_MAPPING 2
#define FAULT_F_READ 1u
#define FAULT_F_WRITE 2u
#define FAULT_F_ADDRESS 0x100u

// The device-readable part of each request (the device-writable tail is separate: it goes in
// its own descriptor). All fields little-endian, as RISC-V is.
struct req_head {
  uint8_t type;
  uint8_t reserved[3];
};
struct req_attach {
  struct req_head head;
  uint32_t domain;
  uint32_t endpoint;
  uint32_t flags;
  uint8_t reserved[4];
} __attribute__((packed));
struct req_detach {
  struct req_head head;
  uint32_t domain;
  uint32_t endpoint;
  uint8_t reserved[8];
} __attribute__((packed));
struct req_map {
  struct req_head head;
  uint32_t domain;
  uint64_t virt_start;
  uint64_t virt_end;  // inclusive
  uint64_t phys_start;
  uint32_t flags;
} __attribute__((packed));
struct req_unmap {
  struct req_head head;
  uint32_t domain;
  uint64_t virt_start;
  uint64_t virt_end;
  uint8_t reserved[4];
} __attribute__((packed));
struct req_probe {
  struct req_head head;
  uint32_t endpoint;
  uint8_t reserved[64];
} __attribute__((packed));
/// struct virtio_iommu_fault: what the device writes into an event queue buffer.
struct iommu_fault {
  uint8_t reason;
  uint8_t reserved[3];
  uint32_t flags;
  uint32_t endpoint;
  uint8_t reserved2[4];
  uint64_t address;
} __attribute__((packed));

_Static_assert(sizeof(struct req_attach) == 20, "ATTACH is 20 bytes before its tail");
_Static_assert(sizeof(struct req_map) == 36, "MAP is 36 bytes before its tail");
_Static_assert(sizeof(struct req_unmap) == 28, "UNMAP is 28 bytes before its tail");
_Static_assert(sizeof(struct req_probe) == 72, "PROBE is 72 bytes before its properties");
_Static_assert(sizeof(struct iommu_fault) == 24, "a fault record is 24 bytes");

static const char* status_name(unsigned s) {
  static const char* const names[] = {"OK",    "IOERR", "UNSUPP", "DEVERR", "INVAL",
                                      "RANGE", "NOENT", "FAULT",  "NOMEM"};
  return s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char* reason_name(unsigned r) {
  return r == FAULT_R_DOMAIN ? "DOMAIN" : r == FAULT_R_MAPPING ? "MAPPING" : "UNKNOWN";
}

static union {
  struct req_head head;
  struct req_attach attach;
  struct req_detach detach;
  struct req_map map;
  struct req_unmap unmap;
  struct req_probe probe;
} g_req __attribute__((aligned(16)));
enum { kReplyMax = 1024 };
static uint8_t g_reply[kReplyMax] __attribute__((aligned(16)));  // PROBE properties, then tail

enum { kEventBuffers = QSIZE };
static struct iommu_fault g_events[kEventBuffers] __attribute__((aligned(16)));

static uint32_t g_probe_size;
static uint64_t g_features;

/// Sends the request in g_req (`len` device-readable bytes) with `reply_len` device-writable
/// bytes, the last 4 of which are the tail. Returns the status, or -1 if the device did not
/// answer as a virtio device must (no used buffer, or a used length that is too short).
static int send_request(uint32_t len, uint32_t reply_len) {
  memset(g_reply, 0xee, reply_len);
  g_reqq.desc[0] = (struct virtq_desc){(uintptr_t)&g_req, len, VIRTQ_DESC_F_NEXT, 1};
  g_reqq.desc[1] = (struct virtq_desc){(uintptr_t)g_reply, reply_len, VIRTQ_DESC_F_WRITE, 0};
  queue_kick(&g_reqq, 0, 0);
  const struct virtq_used_elem* e = 0;
  for (int i = 0; i < 1000000 && !(e = queue_take_used(&g_reqq)); i++) {
  }
  vio_write(VMMIO_INTERRUPT_ACK, vio_read(VMMIO_INTERRUPT_STATUS));
  if (!e) {
    printf("  <- (no answer: the request was not used)\n");
    return -1;
  }
  if (e->id != 0 || e->len < 4 || e->len > reply_len) {
    printf("  <- (used buffer id %u, length %u: not a written request)\n", e->id, e->len);
    return -1;
  }
  const uint8_t status = g_reply[reply_len - 4];
  printf("  <- status %s\n", status_name(status));
  return status;
}

static int iommu_attach(uint32_t domain, uint32_t endpoint) {
  printf("  -> ATTACH endpoint %u to domain %u\n", endpoint, domain);
  memset(&g_req, 0, sizeof(g_req));
  g_req.attach.head.type = T_ATTACH;
  g_req.attach.domain = domain;
  g_req.attach.endpoint = endpoint;
  return send_request(sizeof(struct req_attach), 4);
}

static int iommu_detach(uint32_t domain, uint32_t endpoint) {
  printf("  -> DETACH endpoint %u from domain %u\n", endpoint, domain);
  memset(&g_req, 0, sizeof(g_req));
  g_req.detach.head.type = T_DETACH;
  g_req.detach.domain = domain;
  g_req.detach.endpoint = endpoint;
  return send_request(sizeof(struct req_detach), 4);
}

static int iommu_map(uint32_t domain, uint64_t iova, uint64_t size, uint64_t phys, uint32_t flags) {
  printf("  -> MAP domain %u: IOVA 0x%lx-0x%lx -> phys 0x%lx %s\n", domain, iova, iova + size - 1,
         phys,
         (flags & MAP_F_READ) && (flags & MAP_F_WRITE) ? "READ|WRITE"
         : (flags & MAP_F_READ)                        ? "READ"
         : (flags & MAP_F_WRITE)                       ? "WRITE"
                                                       : "(no access)");
  memset(&g_req, 0, sizeof(g_req));
  g_req.map.head.type = T_MAP;
  g_req.map.domain = domain;
  g_req.map.virt_start = iova;
  g_req.map.virt_end = iova + size - 1;
  g_req.map.phys_start = phys;
  g_req.map.flags = flags;
  return send_request(sizeof(struct req_map), 4);
}

static int iommu_unmap(uint32_t domain, uint64_t iova, uint64_t size) {
  printf("  -> UNMAP domain %u: IOVA 0x%lx-0x%lx\n", domain, iova, iova + size - 1);
  memset(&g_req, 0, sizeof(g_req));
  g_req.unmap.head.type = T_UNMAP;
  g_req.unmap.domain = domain;
  g_req.unmap.virt_start = iova;
  g_req.unmap.virt_end = iova + size - 1;
  return send_request(sizeof(struct req_unmap), 4);
}

/// PROBE: prints the endpoint's properties (PROBE properties) and returns the status.
static int iommu_probe(uint32_t endpoint) {
  printf("  -> PROBE endpoint %u (%u bytes for properties)\n", endpoint, g_probe_size);
  memset(&g_req, 0, sizeof(g_req));
  g_req.probe.head.type = T_PROBE;
  g_req.probe.endpoint = endpoint;
  const int status = send_request(sizeof(struct req_probe), g_probe_size + 4);
  if (status != S_OK) return status;
  unsigned n = 0;
  for (uint32_t at = 0; at + 4 <= g_probe_size;) {
    const uint16_t type = (uint16_t)(g_reply[at] | (g_reply[at + 1] << 8)) & 0xfff;
    const uint16_t len = (uint16_t)(g_reply[at + 2] | (g_reply[at + 3] << 8));
    if (type == 0) break;  // NONE ends the list
    if (type == PROBE_T_RESV_MEM && len >= 20) {
      uint64_t start, end;
      memcpy(&start, g_reply + at + 8, 8);
      memcpy(&end, g_reply + at + 16, 8);
      printf("     RESV_MEM %s 0x%lx-0x%lx\n", g_reply[at + 4] == 1 ? "MSI" : "RESERVED", start,
             end);
    } else {
      printf("     property type %u, %u bytes\n", type, len);
    }
    n++;
    at += 4 + len;
  }
  if (n == 0) printf("     no properties: no reserved regions for this endpoint\n");
  return status;
}

/// Puts every event buffer on the event queue (the device fills them with fault records).
static void events_post_all(void) {
  for (unsigned i = 0; i < kEventBuffers; i++) {
    g_evtq.desc[i] = (struct virtq_desc){(uintptr_t)&g_events[i], sizeof(struct iommu_fault),
                                         VIRTQ_DESC_F_WRITE, 0};
    g_evtq.avail.ring[i] = (uint16_t)i;
  }
  __sync_synchronize();
  g_evtq.avail.idx = kEventBuffers;
  __sync_synchronize();
  vio_write(VMMIO_QUEUE_NOTIFY, 1);
}

/// Reads every fault record the device has put on the event queue, prints it, gives its buffer
/// back, and returns how many there were; the last one is copied to *last.
static unsigned events_drain(struct iommu_fault* last) {
  unsigned n = 0;
  const struct virtq_used_elem* e;
  while ((e = queue_take_used(&g_evtq))) {
    const uint16_t id = (uint16_t)e->id;
    if (id >= kEventBuffers || e->len < sizeof(struct iommu_fault)) {
      printf("  event queue: buffer %u used with length %u (no fault record)\n", id, e->len);
      expect(0, "every used event buffer holds a 24-byte fault record");
    } else {
      const struct iommu_fault* f = &g_events[id];
      printf("  event queue: fault reason=%s flags=%s%s%s endpoint=%u address=0x%lx\n",
             reason_name(f->reason), (f->flags & FAULT_F_READ) ? "READ|" : "",
             (f->flags & FAULT_F_WRITE) ? "WRITE|" : "",
             (f->flags & FAULT_F_ADDRESS) ? "ADDRESS" : "-", f->endpoint, f->address);
      if (last) *last = *f;
      memset(&g_events[id], 0, sizeof(g_events[id]));
    }
    n++;
    queue_kick(&g_evtq, 1, id);  // the buffer goes back to the device
  }
  vio_write(VMMIO_INTERRUPT_ACK, vio_read(VMMIO_INTERRUPT_STATUS));
  return n;
}

/// Brings the device at g_vio up (3.1.1). Returns 0 on success.
static int iommu_init(void) {
  vio_write(VMMIO_STATUS, 0);  // reset
  vio_write(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  vio_write(VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  vio_write(VMMIO_DEVICE_FEATURES_SEL, 0);
  uint64_t offered = vio_read(VMMIO_DEVICE_FEATURES);
  vio_write(VMMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t)vio_read(VMMIO_DEVICE_FEATURES) << 32;
  printf("  device features 0x%lx:%s%s%s%s%s%s%s%s\n", offered,
         (offered >> VIRTIO_IOMMU_F_INPUT_RANGE) & 1 ? " INPUT_RANGE" : "",
         (offered >> VIRTIO_IOMMU_F_DOMAIN_RANGE) & 1 ? " DOMAIN_RANGE" : "",
         (offered >> VIRTIO_IOMMU_F_MAP_UNMAP) & 1 ? " MAP_UNMAP" : "",
         (offered >> VIRTIO_IOMMU_F_BYPASS) & 1 ? " BYPASS" : "",
         (offered >> VIRTIO_IOMMU_F_PROBE) & 1 ? " PROBE" : "",
         (offered >> VIRTIO_IOMMU_F_MMIO) & 1 ? " MMIO" : "",
         (offered >> VIRTIO_IOMMU_F_BYPASS_CONFIG) & 1 ? " BYPASS_CONFIG" : "",
         (offered >> VIRTIO_F_VERSION_1) & 1 ? " VERSION_1" : "");
  const uint64_t wanted = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_IOMMU_F_MAP_UNMAP) |
                          (1ull << VIRTIO_IOMMU_F_INPUT_RANGE) |
                          (1ull << VIRTIO_IOMMU_F_DOMAIN_RANGE) | (1ull << VIRTIO_IOMMU_F_PROBE) |
                          (1ull << VIRTIO_IOMMU_F_BYPASS_CONFIG);
  g_features = offered & wanted;
  if (!expect(g_features == wanted,
              "the device offers VERSION_1, MAP_UNMAP, INPUT_RANGE, DOMAIN_RANGE, PROBE and "
              "BYPASS_CONFIG")) {
    vio_write(VMMIO_STATUS, VIRTIO_STATUS_FAILED);
    return -1;
  }
  printf("  driver accepts 0x%lx (the lesson needs all of them)\n", g_features);
  vio_write(VMMIO_DRIVER_FEATURES_SEL, 0);
  vio_write(VMMIO_DRIVER_FEATURES, (uint32_t)g_features);
  vio_write(VMMIO_DRIVER_FEATURES_SEL, 1);
  vio_write(VMMIO_DRIVER_FEATURES, (uint32_t)(g_features >> 32));
  const uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
  vio_write(VMMIO_STATUS, st | VIRTIO_STATUS_FEATURES_OK);
  if (!expect(vio_read(VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK,
              "the device keeps FEATURES_OK: it accepts the features")) {
    return -1;
  }
  if (!expect(queue_setup(0, &g_reqq) && queue_setup(1, &g_evtq),
              "request queue 0 and event queue 1 take 8 entries each")) {
    return -1;
  }
  vio_write(VMMIO_STATUS, st | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
  printf("  request queue and event queue ready (%u entries each); DRIVER_OK\n", QSIZE);
  return 0;
}

static uint8_t cfg_read8(unsigned off) {
  return mmio_read8(g_vio + VMMIO_CONFIG + off);
}
static uint32_t cfg_read32(unsigned off) {
  return mmio_read32(g_vio + VMMIO_CONFIG + off);
}
static uint64_t cfg_read64(unsigned off) {
  return mmio_read64(g_vio + VMMIO_CONFIG + off);
}

// ---------------------------------------------------------------------------------------------
// edu-dma (assets/teach/edu_dma.h)
// ---------------------------------------------------------------------------------------------

static uintptr_t g_edu;

static uint32_t edu_read(unsigned off) {
  return mmio_read32(g_edu + off);
}
static void edu_write(unsigned off, uint32_t v) {
  mmio_write32(g_edu + off, v);
}

typedef struct {
  uint32_t status;
  uint32_t error;
  uint64_t fault_addr;
} EduResult;

/// Asks edu-dma to copy `len` bytes from IOVA `src` to IOVA `dst`, and reads what it says.
static EduResult edu_copy(uint64_t src, uint64_t dst, uint32_t len) {
  printf("  edu-dma: copy %u bytes from IOVA 0x%lx to IOVA 0x%lx\n", len, src, dst);
  __sync_synchronize();  // the source buffer is written before the device reads it
  edu_write(EDU_DMA_STATUS, EDU_DMA_STATUS_DONE | EDU_DMA_STATUS_ERROR);  // W1C
  edu_write(EDU_DMA_SRC_LO, (uint32_t)src);
  edu_write(EDU_DMA_SRC_HI, (uint32_t)(src >> 32));
  edu_write(EDU_DMA_DST_LO, (uint32_t)dst);
  edu_write(EDU_DMA_DST_HI, (uint32_t)(dst >> 32));
  edu_write(EDU_DMA_LEN, len);
  edu_write(EDU_DMA_CMD, EDU_DMA_CMD_START);
  EduResult r;
  r.status = edu_read(EDU_DMA_STATUS);
  r.error = edu_read(EDU_DMA_ERROR);
  r.fault_addr = edu_read(EDU_DMA_FAULT_ADDR_LO) | (uint64_t)edu_read(EDU_DMA_FAULT_ADDR_HI) << 32;
  __sync_synchronize();
  static const char* const errors[] = {"NONE", "LEN", "READ", "WRITE"};
  if (r.status & EDU_DMA_STATUS_ERROR) {
    printf("  edu-dma: ERROR %s at IOVA 0x%lx\n", r.error < 4 ? errors[r.error] : "?",
           r.fault_addr);
  } else if (r.status & EDU_DMA_STATUS_DONE) {
    printf("  edu-dma: DONE\n");
  } else {
    printf("  edu-dma: status 0x%x (neither DONE nor ERROR)\n", r.status);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The lesson
// ---------------------------------------------------------------------------------------------

#define PAGE 4096ul
#define COPY_LEN 64u
#define DOMAIN 1u
#define IOVA_SRC 0x400000ul  // where the device reads
#define IOVA_DST 0x800000ul  // where the device writes

static uint8_t page_a[PAGE] __attribute__((aligned(PAGE)));
static uint8_t page_b[PAGE] __attribute__((aligned(PAGE)));
static uint8_t page_c[PAGE] __attribute__((aligned(PAGE)));

static void fill(uint8_t* page, const char* text) {
  memset(page, 0, PAGE);
  memcpy(page, text, strlen(text));
}

/// Expects the last copy to have failed reading or writing `iova`, and one fault record on the
/// event queue with `reason` and `flags` for `endpoint`.
static void expect_fault(const EduResult* r, uint32_t edu_error, uint64_t iova, uint32_t endpoint,
                         unsigned reason, uint32_t flags) {
  expect(r->status & EDU_DMA_STATUS_ERROR, "edu-dma reports ERROR");
  expect(r->error == edu_error, "edu-dma names the access that failed (ERROR register)");
  expect(r->fault_addr == iova, "edu-dma's FAULT_ADDR is the IOVA it could not reach");
  struct iommu_fault f;
  memset(&f, 0, sizeof(f));
  const unsigned n = events_drain(&f);
  expect(n >= 1, "the IOMMU reports the fault on the event queue");
  expect(f.reason == reason, "the fault record has the expected reason");
  expect((f.flags & (FAULT_F_READ | FAULT_F_WRITE | FAULT_F_ADDRESS)) == flags,
         "the fault record has the expected flags");
  expect(f.endpoint == endpoint, "the fault record names the endpoint");
  expect(f.address == iova, "the fault record has the faulting IOVA");
}

static int find_devices(uint32_t* endpoint) {
  step("1. The device tree: who is the IOMMU, who is behind it");
  DtInfo dt;
  memset(&dt, 0, sizeof(dt));
  if (!expect(fdt_walk((const void*)boot_dtb, on_node, &dt) == 0,
              "the boot ROM passes a device tree in a1")) {
    return -1;
  }
  if (dt.has_viommu) {
    printf("  %s: compatible virtio,mmio, #iommu-cells = <%d>, phandle %u\n", dt.viommu_name,
           dt.viommu_cells, dt.viommu_phandle);
    expect(dt.viommu_cells == 1, "virtio-iommu's #iommu-cells is 1 (the endpoint id)");
    g_vio = dt.viommu_base;
  } else {
    // No `#iommu-cells`: look for device id 23 in the slots themselves (4.2.3.1.1).
    printf("  no virtio-mmio node with #iommu-cells: probing the slots for device id 23\n");
    for (unsigned s = 0; s < VIRTIO_MMIO_SLOTS && !g_vio; s++) {
      const uintptr_t base = VIRTIO_MMIO_BASE + s * VIRTIO_MMIO_STRIDE;
      if (mmio_read32(base + VMMIO_MAGIC) == VIRTIO_MAGIC &&
          mmio_read32(base + VMMIO_DEVICE_ID) == VIRTIO_ID_IOMMU) {
        g_vio = base;
      }
    }
    if (!g_vio) {
      expect(0, "a virtio-iommu is present (run with -device virtio-iommu-device)");
      return -1;
    }
    expect(0, "the device tree names the virtio-iommu (#iommu-cells)");
  }
  const int is_iommu = mmio_read32(g_vio + VMMIO_MAGIC) == VIRTIO_MAGIC &&
                       mmio_read32(g_vio + VMMIO_VERSION) == 2 &&
                       mmio_read32(g_vio + VMMIO_DEVICE_ID) == VIRTIO_ID_IOMMU;
  printf("  its registers at 0x%lx: magic \"virt\", version %u, device id %u\n",
         (unsigned long)g_vio, mmio_read32(g_vio + VMMIO_VERSION),
         mmio_read32(g_vio + VMMIO_DEVICE_ID));
  if (!expect(is_iommu, "the slot holds a version-2 virtio-mmio device with id 23")) return -1;
  if (!dt.has_edu) {
    expect(0, "the device tree has an edu-dma node (run with -device edu-dma)");
    return 0;
  }
  printf("  %s: compatible glassvm,edu-dma, registers at 0x%lx\n", dt.edu_name,
         (unsigned long)dt.edu_base);
  if (!dt.edu_has_iommus) {
    expect(0, "edu-dma's node says which IOMMU translates its DMA (iommus)");
    return 0;
  }
  const int behind = dt.has_viommu && dt.edu_iommu_phandle == dt.viommu_phandle;
  printf("  %s: iommus = <%u %u>: phandle %u is %s, endpoint id %u\n", dt.edu_name,
         dt.edu_iommu_phandle, dt.edu_endpoint, dt.edu_iommu_phandle,
         behind ? "the virtio-iommu" : "another IOMMU", dt.edu_endpoint);
  printf(
      "  -> the virtio-iommu knows edu-dma as endpoint %u: ATTACH, PROBE and the fault records "
      "name it so\n",
      dt.edu_endpoint);
  if (!expect(behind, "edu-dma is behind the virtio-iommu")) return 0;
  g_edu = dt.edu_base;
  *endpoint = dt.edu_endpoint;
  if (!expect(edu_read(EDU_DMA_ID) == EDU_DMA_ID_VALUE, "edu-dma's ID register reads \"EDU1\"")) {
    g_edu = 0;
  }
  return 0;
}

static void lesson(uint32_t ep) {
  fill(page_a, "page A: hello from the source buffer");
  fill(page_b, "page B: not written yet");
  fill(page_c, "page C: the new page behind the same IOVA");
  EduResult r;

  step("5. PROBE: what the IOMMU says about edu-dma's endpoint");
  expect(iommu_probe(ep) == S_OK, "PROBE of a known endpoint is OK");

  step("6. bypass = 1: an endpoint in no domain reaches memory untranslated");
  if (cfg_read8(CFG_BYPASS) == 1) {
    printf("  edu-dma is not attached, so its IOVAs are physical addresses\n");
    r = edu_copy((uintptr_t)page_a, (uintptr_t)page_b, COPY_LEN);
    expect(r.status == EDU_DMA_STATUS_DONE, "the copy in bypass mode is DONE");
    expect(!memcmp(page_a, page_b, COPY_LEN), "page B now holds page A's bytes");
    printf("  page B reads \"%s\"\n", (const char*)page_b);
    expect(events_drain(0) == 0, "no fault record");
  } else {
    printf("  (bypass is already 0 on this machine: nothing to show)\n");
  }

  step("7. bypass = 0: now the same DMA faults (reason DOMAIN)");
  printf("  driver writes 0 to config.bypass\n");
  mmio_write8(g_vio + VMMIO_CONFIG + CFG_BYPASS, 0);
  expect(cfg_read8(CFG_BYPASS) == 0, "config.bypass reads 0");
  fill(page_b, "page B: not written yet");
  r = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  expect_fault(&r, EDU_DMA_ERR_READ, IOVA_SRC, ep, FAULT_R_DOMAIN, FAULT_F_READ | FAULT_F_ADDRESS);

  step("8. ATTACH edu-dma to a domain, MAP the source (read) and the destination (write)");
  expect(iommu_attach(DOMAIN, ep) == S_OK, "ATTACH is OK");
  expect(iommu_map(DOMAIN, IOVA_SRC, PAGE, (uintptr_t)page_a, MAP_F_READ) == S_OK,
         "MAP of the source page is OK");
  expect(iommu_map(DOMAIN, IOVA_DST, PAGE, (uintptr_t)page_b, MAP_F_WRITE) == S_OK,
         "MAP of the destination page is OK");

  step("9. DMA through the IOMMU: IOVA 0x400000 -> IOVA 0x800000");
  r = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  expect(r.status == EDU_DMA_STATUS_DONE && r.error == EDU_DMA_ERR_NONE, "the copy is DONE");
  expect(!memcmp(page_a, page_b, COPY_LEN), "page B holds page A's bytes");
  printf("  page B reads \"%s\"\n", (const char*)page_b);
  expect(events_drain(0) == 0, "no fault record");

  step("10. Permissions: the destination is mapped WRITE only, so reading it faults");
  r = edu_copy(IOVA_DST, IOVA_DST + 0x100, COPY_LEN);
  expect_fault(&r, EDU_DMA_ERR_READ, IOVA_DST, ep, FAULT_R_MAPPING, FAULT_F_READ | FAULT_F_ADDRESS);

  step("11. Malformed requests get the status the specification asks for");
  expect(iommu_map(DOMAIN, IOVA_SRC, PAGE, (uintptr_t)page_c, MAP_F_READ) == S_INVAL,
         "a MAP over an existing mapping is INVAL (MAP request)");
  expect(iommu_map(DOMAIN, IOVA_SRC + PAGE + 0x80, PAGE, (uintptr_t)page_c, MAP_F_READ) == S_RANGE,
         "a MAP not aligned on the page granule is RANGE");
  expect(iommu_unmap(77, IOVA_SRC, PAGE) == S_NOENT,
         "an UNMAP in a domain that does not exist "
         "is NOENT");

  step("12. Change a mapping in place: IOVA 0x400000 now means page C (UNMAP, then MAP)");
  printf(
      "  virtio-iommu has no \"replace\": a MAP over a mapping is INVAL (step 11), so the\n"
      "  driver unmaps the range and maps it again; the IOMMU tells its listeners UNMAP then "
      "MAP\n");
  expect(iommu_unmap(DOMAIN, IOVA_SRC, PAGE) == S_OK, "UNMAP of the source page is OK");
  expect(iommu_map(DOMAIN, IOVA_SRC, PAGE, (uintptr_t)page_c, MAP_F_READ) == S_OK,
         "MAP of page C at the same IOVA is OK");
  r = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  expect(r.status == EDU_DMA_STATUS_DONE, "the copy is DONE");
  expect(!memcmp(page_c, page_b, COPY_LEN), "the device read page C: it sees the new mapping");
  printf(
      "  edu-dma keeps no translation of its own (no ATC without ats=on and an IOMMU with\n"
      "  ATS): each access is translated afresh, so the very next copy sees page C\n");
  printf("  page B reads \"%s\"\n", (const char*)page_b);
  expect(events_drain(0) == 0, "no fault record");

  step("13. UNMAP the source, then DMA again: a fault on purpose (reason MAPPING)");
  expect(iommu_unmap(DOMAIN, IOVA_SRC, PAGE) == S_OK, "UNMAP is OK");
  fill(page_b, "page B: not written yet");
  r = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  expect_fault(&r, EDU_DMA_ERR_READ, IOVA_SRC, ep, FAULT_R_MAPPING, FAULT_F_READ | FAULT_F_ADDRESS);
  expect(!strcmp((const char*)page_b, "page B: not written yet"), "page B is untouched");

  step("14. DETACH: the domain and its mappings are gone, the endpoint is blocked again");
  expect(iommu_detach(DOMAIN, ep) == S_OK, "DETACH is OK");
  expect(iommu_detach(DOMAIN, ep) == S_INVAL, "a second DETACH is INVAL (not attached)");
  r = edu_copy(IOVA_DST, IOVA_DST + 0x100, COPY_LEN);
  expect_fault(&r, EDU_DMA_ERR_READ, IOVA_DST, ep, FAULT_R_DOMAIN, FAULT_F_READ | FAULT_F_ADDRESS);
}

int main(void) {
  printf("teach_virtio_iommu: a DMA device behind virtio-iommu (virtio 1.2, 5.13)\n");
  uint32_t ep = 0;
  if (find_devices(&ep) == 0) {
    step("2. Bring the virtio-iommu up: reset, features, queues");
    if (iommu_init() == 0) {
      step("3. The configuration space");
      const uint64_t mask = cfg_read64(CFG_PAGE_SIZE_MASK);
      g_probe_size = cfg_read32(CFG_PROBE_SIZE);
      printf("  page_size_mask 0x%lx (granule %lu bytes)\n", mask, mask & (~mask + 1));
      printf("  input range    0x%lx-0x%lx\n", cfg_read64(CFG_INPUT_START),
             cfg_read64(CFG_INPUT_END));
      printf("  domain range   %u-%u\n", cfg_read32(CFG_DOMAIN_START), cfg_read32(CFG_DOMAIN_END));
      printf("  probe_size     %u\n", g_probe_size);
      printf("  bypass         %u\n", cfg_read8(CFG_BYPASS));
      expect((mask & PAGE) != 0 && (mask & (PAGE - 1)) == 0, "4 KiB pages are supported");
      expect(cfg_read64(CFG_INPUT_START) <= IOVA_SRC && cfg_read64(CFG_INPUT_END) > IOVA_DST,
             "the lesson's IOVAs are in the input range");
      expect(cfg_read32(CFG_DOMAIN_START) <= DOMAIN && DOMAIN <= cfg_read32(CFG_DOMAIN_END),
             "the lesson's domain is in the domain range");
      expect(g_probe_size + 4 <= kReplyMax, "probe_size fits the driver's buffer");

      step("4. Requests about things that do not exist");
      events_post_all();
      printf("  %u buffers of 24 bytes posted on the event queue for fault records\n",
             kEventBuffers);
      expect(iommu_unmap(77, IOVA_SRC, PAGE) == S_NOENT, "UNMAP in an unknown domain is NOENT");
      expect(iommu_attach(DOMAIN, 0xdead) == S_NOENT, "ATTACH of an unknown endpoint is NOENT");
      expect(iommu_probe(0xdead) == S_NOENT, "PROBE of an unknown endpoint is NOENT");

      if (g_edu) lesson(ep);
      expect(!(vio_read(VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET),
             "the virtio-iommu never needed a reset");
    }
  }
  return lesson_end("virtio 1.2 section 5.13");
}
