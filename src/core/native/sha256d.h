/* Micro Mining: sha256d nonce-scan kernels (generic C, x86-64 SHA-NI, AVX2, AVX-512, ARMv8 SHA2, ARMv8 NEON). */
#ifndef MM_SHA256D_H
#define MM_SHA256D_H
#include <stdint.h>

enum { MM_PATH_GENERIC = 1, MM_PATH_SHANI = 2, MM_PATH_AVX2 = 4, MM_PATH_ARMV8 = 8, MM_PATH_AVX512 = 16, MM_PATH_NEON = 32 };
/* Two plain compressions per nonce, no shortcut: what the known-answer test compares every path to.
 * Always accepted by mm_scan, never listed by mm_cpu_paths. */
enum { MM_PATH_REFERENCE = 256 };

/* Which paths this CPU can run (bit mask of MM_PATH_*). */
int mm_cpu_paths(void);

/* Scans nonces start .. start+count-1 of the 80-byte header (its nonce field is ignored) and writes
 * to out, in increasing order, each nonce whose sha256d read as a little-endian 256-bit integer has
 * its top 32 bits <= top. Returns how many were written (at most maxout). count may be up to 2^32
 * as long as start + count <= 2^32. */
int mm_scan(int path, const uint8_t header[80], uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout);

#endif
