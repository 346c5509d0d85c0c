// A tiny freestanding runtime for GlassVM guests: formatted printing, string and memory
// functions, and the values start.S saved from the boot ROM.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/// Hart id and device tree address the boot ROM passed in a0/a1 (saved by start.S).
extern uint64_t boot_hartid;
extern uint64_t boot_dtb;

/// A console output function: one byte at a time.
typedef void (*PutcFn)(char c);

/// Selects where printf/puts write (default: the HTIF console).
void set_console(PutcFn putc);
/// Writes one character to the current console.
void putchar_console(char c);

/// printf subset: %s %c %d %u %x %p %% with flags '0' and '-', a width, and the length
/// modifiers l, ll, z. Unknown conversions are printed literally. Returns characters written.
int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* fmt, va_list ap);
/// Same formatting into `buf` (always NUL-terminated when size > 0); returns the length the
/// full output would have had.
int snprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
/// Writes `s` and a newline.
int puts(const char* s);

void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
/// Parses an unsigned decimal or 0x-prefixed hexadecimal number; returns 0 on no digits.
uint64_t parse_u64(const char* s, const char** end);

/// Called by start.S for a trap the program did not expect: prints the CSRs on the console.
void report_unexpected_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval);
