// Formatted output and string functions for GlassVM guests (see rt.h).
#include "rt.h"

#include "htif.h"

static PutcFn g_console_putc = htif_putchar;

void set_console(PutcFn putc) {
  g_console_putc = putc ? putc : htif_putchar;
}

void putchar_console(char c) {
  g_console_putc(c);
}

// -- Formatting: one engine writing through a sink --

typedef struct {
  char* buf;  // NULL: write to the console
  size_t size;
  size_t len;
} Sink;

static void sink_put(Sink* s, char c) {
  if (!s->buf) {
    g_console_putc(c);
  } else if (s->len + 1 < s->size) {
    s->buf[s->len] = c;
  }
  s->len++;
}

static void put_padded(Sink* s, const char* str, size_t n, int width, int left, char pad) {
  int fill = width > (int)n ? width - (int)n : 0;
  if (!left) {
    // Zero padding goes after a sign.
    if (pad == '0' && n > 0 && str[0] == '-') {
      sink_put(s, '-');
      str++;
      n--;
    }
    while (fill-- > 0) sink_put(s, pad);
  }
  for (size_t i = 0; i < n; i++) sink_put(s, str[i]);
  if (left) {
    while (fill-- > 0) sink_put(s, ' ');
  }
}

static int format(Sink* s, const char* fmt, va_list ap) {
  char num[24];
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      sink_put(s, *fmt);
      continue;
    }
    const char* start = fmt++;
    int left = 0;
    char pad = ' ';
    for (;; fmt++) {
      if (*fmt == '-') {
        left = 1;
      } else if (*fmt == '0') {
        pad = '0';
      } else {
        break;
      }
    }
    int width = 0;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    int longs = 0;
    while (*fmt == 'l' || *fmt == 'z') {
      longs++;
      fmt++;
    }
    char conv = *fmt;
    switch (conv) {
      case '%': sink_put(s, '%'); break;
      case 'c': {
        char c = (char)va_arg(ap, int);
        put_padded(s, &c, 1, width, left, ' ');
        break;
      }
      case 's': {
        const char* str = va_arg(ap, const char*);
        if (!str) str = "(null)";
        put_padded(s, str, strlen(str), width, left, ' ');
        break;
      }
      case 'd':
      case 'u':
      case 'x':
      case 'p': {
        uint64_t v;
        int neg = 0;
        if (conv == 'p') {
          v = (uintptr_t)va_arg(ap, void*);
        } else if (conv == 'd') {
          int64_t sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
          neg = sv < 0;
          v = neg ? 0 - (uint64_t)sv : (uint64_t)sv;
        } else {
          v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
        }
        unsigned base = (conv == 'x' || conv == 'p') ? 16 : 10;
        char* p = num + sizeof(num);
        do {
          unsigned d = (unsigned)(v % base);
          *--p = (char)(d < 10 ? '0' + d : 'a' + d - 10);
          v /= base;
        } while (v);
        if (conv == 'p') {
          *--p = 'x';
          *--p = '0';
        }
        if (neg) *--p = '-';
        put_padded(s, p, (size_t)(num + sizeof(num) - p), width, left, pad);
        break;
      }
      case '\0':  // a lone '%' at the end
        fmt--;
        // fallthrough
      default:
        for (const char* c = start; c <= fmt; c++) sink_put(s, *c);
        break;
    }
  }
  return (int)s->len;
}

int vprintf(const char* fmt, va_list ap) {
  Sink s = {0, 0, 0};
  return format(&s, fmt, ap);
}

int printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap) {
  char dummy;
  Sink s = {size ? buf : &dummy, size, 0};
  int n = format(&s, fmt, ap);
  if (size) buf[s.len < size ? s.len : size - 1] = '\0';
  return n;
}

int snprintf(char* buf, size_t size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int puts(const char* s) {
  while (*s) g_console_putc(*s++);
  g_console_putc('\n');
  return 0;
}

// -- Memory and strings. Byte loops keep them obviously correct; the compiler must not turn
// them back into calls to themselves, hence -fno-builtin in the guest flags. --

void* memcpy(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  unsigned char* d = dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char* x = a;
  const unsigned char* y = b;
  for (size_t i = 0; i < n; i++) {
    if (x[i] != y[i]) return x[i] - y[i];
  }
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) {
    a++;
    b++;
  }
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b || !*a) return (unsigned char)*a - (unsigned char)*b;
  }
  return 0;
}

uint64_t parse_u64(const char* s, const char** end) {
  uint64_t v = 0;
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  for (;; s++) {
    unsigned d;
    if (*s >= '0' && *s <= '9') {
      d = (unsigned)(*s - '0');
    } else if (base == 16 && *s >= 'a' && *s <= 'f') {
      d = (unsigned)(*s - 'a' + 10);
    } else if (base == 16 && *s >= 'A' && *s <= 'F') {
      d = (unsigned)(*s - 'A' + 10);
    } else {
      break;
    }
    v = v * base + d;
  }
  if (end) *end = s;
  return v;
}

void report_unexpected_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  printf("unexpected trap: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n", mcause, mepc, mtval);
}
