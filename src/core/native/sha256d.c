/* Micro Mining: sha256d nonce-scan kernels.
 *
 * Per job (one scan call): the first 64 header bytes are compressed once (midstate); the second
 * block's words that do not depend on the nonce (merkle tail, ntime, nbits, padding) and their
 * sums with the round constants are prepared once. Per nonce: the second block of the first
 * SHA-256, then the second SHA-256 of the 32-byte digest, whose padding words are constant too.
 * A nonce is a candidate when the top 32 bits of the hash (read little-endian: word H7 byte-swapped)
 * are <= top; the caller re-verifies candidates with a reference implementation. */
#include "sha256d.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define MM_X86 1
#include <immintrin.h>
#include <cpuid.h>
#endif
#if defined(__aarch64__)
#define MM_ARM64 1
#include <arm_neon.h>
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#endif

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
static const uint32_t IV[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define BSIG1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define SSIG0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))
#define CH(e, f, g) (((e) & (f)) ^ (~(e) & (g)))
#define MAJ(a, b, c) (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)))

static inline uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline uint32_t bswap32(uint32_t x) {
  return (x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24);
}

/* Portable compression of one block given as 16 words. */
static void compress_c(uint32_t s[8], const uint32_t in[16]) {
  uint32_t w[64];
  memcpy(w, in, 64);
  for (int i = 16; i < 64; i++) w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) + w[i - 16];
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + w[i];
    uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  s[0] += a; s[1] += b; s[2] += c; s[3] += d; s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

/* What every path needs from the header, computed once per scan. */
typedef struct {
  uint32_t mid[8];   /* state after the first 64 bytes */
  uint32_t tail[3];  /* merkle tail, ntime, nbits as big-endian words */
} job_t;

static void prepare(job_t *j, const uint8_t header[80]) {
  uint32_t w[16];
  for (int i = 0; i < 16; i++) w[i] = be32(header + 4 * i);
  memcpy(j->mid, IV, 32);
  compress_c(j->mid, w);
  for (int i = 0; i < 3; i++) j->tail[i] = be32(header + 64 + 4 * i);
}

/* ---------- generic C ---------- */
static int scan_generic(const job_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  uint32_t w1[16] = { j->tail[0], j->tail[1], j->tail[2], 0, 0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 640 };
  uint32_t w2[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x80000000u, 0, 0, 0, 0, 0, 0, 256 };
  for (uint64_t k = 0; k < count; k++) {
    uint32_t n = start + (uint32_t)k;
    uint32_t s[8];
    memcpy(s, j->mid, 32);
    w1[3] = bswap32(n);
    compress_c(s, w1);
    memcpy(w2, s, 32);
    memcpy(s, IV, 32);
    compress_c(s, w2);
    if (bswap32(s[7]) <= top) {
      out[found++] = n;
      if (found >= maxout) break;
    }
  }
  return found;
}

#ifdef MM_X86
/* ---------- x86-64 SHA-NI, two nonces interleaved ---------- */
#define SHANI __attribute__((target("sha,sse4.1")))

/* Convert a state in natural order (a..h) into SHA-NI's ABEF / CDGH registers, and back. */
SHANI static inline void to_ni(const uint32_t s[8], __m128i *abef, __m128i *cdgh) {
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);       /* CDAB */
  __m128i u = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B); /* EFGH */
  *abef = _mm_alignr_epi8(t, u, 8);
  *cdgh = _mm_blend_epi16(u, t, 0xF0);
}
SHANI static inline void from_ni(__m128i abef, __m128i cdgh, uint32_t s[8]) {
  __m128i t = _mm_shuffle_epi32(abef, 0x1B); /* FEBA */
  __m128i u = _mm_shuffle_epi32(cdgh, 0xB1); /* DCHG */
  _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(t, u, 0xF0));   /* DCBA -> a,b,c,d */
  _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(u, t, 8)); /* HGFE -> e,f,g,h */
}

#define KV(i) _mm_loadu_si128((const __m128i *)(K + (i)))

/* SHA-NI, two nonces interleaved (the body below is written out per lane so every value stays in a
 * register; more lanes measured no faster here: sha256rnds2 throughput is the limit). */

SHANI static int scan_shani(const job_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  __m128i midABEF, midCDGH, ivABEF, ivCDGH;
  to_ni(j->mid, &midABEF, &midCDGH);
  to_ni(IV, &ivABEF, &ivCDGH);
  const __m128i c80 = _mm_setr_epi32((int)0x80000000u, 0, 0, 0), zero = _mm_setzero_si128();
  const __m128i len1 = _mm_setr_epi32(0, 0, 0, 640), len2 = _mm_setr_epi32(0, 0, 0, 256);
  uint64_t k = 0;
  for (; k + 2 <= count; k += 2) {
    uint32_t n0 = start + (uint32_t)k;
    __m128i S0_0, S1_0, a_0, b_0, c_0, d_0, t_0, S0_1, S1_1, a_1, b_1, c_1, d_1, t_1;
    a_0 = _mm_setr_epi32((int)j->tail[0], (int)j->tail[1], (int)j->tail[2], (int)bswap32(n0 + 0u));
    b_0 = c80; c_0 = zero; d_0 = len1; S0_0 = midABEF; S1_0 = midCDGH;
    a_1 = _mm_setr_epi32((int)j->tail[0], (int)j->tail[1], (int)j->tail[2], (int)bswap32(n0 + 1u));
    b_1 = c80; c_1 = zero; d_1 = len1; S0_1 = midABEF; S1_1 = midCDGH;
    t_0 = _mm_add_epi32(a_0, KV(0));
    t_1 = _mm_add_epi32(a_1, KV(0));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(b_0, KV(4));
    t_1 = _mm_add_epi32(b_1, KV(4));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(c_0, KV(8));
    t_1 = _mm_add_epi32(c_1, KV(8));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(d_0, KV(12));
    t_1 = _mm_add_epi32(d_1, KV(12));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(16));
    t_1 = _mm_add_epi32(a_1, KV(16));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(20));
    t_1 = _mm_add_epi32(b_1, KV(20));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(24));
    t_1 = _mm_add_epi32(c_1, KV(24));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(28));
    t_1 = _mm_add_epi32(d_1, KV(28));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(32));
    t_1 = _mm_add_epi32(a_1, KV(32));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(36));
    t_1 = _mm_add_epi32(b_1, KV(36));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(40));
    t_1 = _mm_add_epi32(c_1, KV(40));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(44));
    t_1 = _mm_add_epi32(d_1, KV(44));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(48));
    t_1 = _mm_add_epi32(a_1, KV(48));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(52));
    t_1 = _mm_add_epi32(b_1, KV(52));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(56));
    t_1 = _mm_add_epi32(c_1, KV(56));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(60));
    t_1 = _mm_add_epi32(d_1, KV(60));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    uint32_t h[2][8];
    from_ni(_mm_add_epi32(S0_0, midABEF), _mm_add_epi32(S1_0, midCDGH), h[0]);
    a_0 = _mm_loadu_si128((const __m128i *)h[0]); b_0 = _mm_loadu_si128((const __m128i *)(h[0] + 4));
    c_0 = c80; d_0 = len2; S0_0 = ivABEF; S1_0 = ivCDGH;
    from_ni(_mm_add_epi32(S0_1, midABEF), _mm_add_epi32(S1_1, midCDGH), h[1]);
    a_1 = _mm_loadu_si128((const __m128i *)h[1]); b_1 = _mm_loadu_si128((const __m128i *)(h[1] + 4));
    c_1 = c80; d_1 = len2; S0_1 = ivABEF; S1_1 = ivCDGH;
    t_0 = _mm_add_epi32(a_0, KV(0));
    t_1 = _mm_add_epi32(a_1, KV(0));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(b_0, KV(4));
    t_1 = _mm_add_epi32(b_1, KV(4));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(c_0, KV(8));
    t_1 = _mm_add_epi32(c_1, KV(8));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    t_0 = _mm_add_epi32(d_0, KV(12));
    t_1 = _mm_add_epi32(d_1, KV(12));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(16));
    t_1 = _mm_add_epi32(a_1, KV(16));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(20));
    t_1 = _mm_add_epi32(b_1, KV(20));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(24));
    t_1 = _mm_add_epi32(c_1, KV(24));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(28));
    t_1 = _mm_add_epi32(d_1, KV(28));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(32));
    t_1 = _mm_add_epi32(a_1, KV(32));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(36));
    t_1 = _mm_add_epi32(b_1, KV(36));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(40));
    t_1 = _mm_add_epi32(c_1, KV(40));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(44));
    t_1 = _mm_add_epi32(d_1, KV(44));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    a_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_0, b_0), _mm_alignr_epi8(d_0, c_0, 4)), d_0);
    a_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a_1, b_1), _mm_alignr_epi8(d_1, c_1, 4)), d_1);
    t_0 = _mm_add_epi32(a_0, KV(48));
    t_1 = _mm_add_epi32(a_1, KV(48));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    b_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_0, c_0), _mm_alignr_epi8(a_0, d_0, 4)), a_0);
    b_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(b_1, c_1), _mm_alignr_epi8(a_1, d_1, 4)), a_1);
    t_0 = _mm_add_epi32(b_0, KV(52));
    t_1 = _mm_add_epi32(b_1, KV(52));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    c_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_0, d_0), _mm_alignr_epi8(b_0, a_0, 4)), b_0);
    c_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(c_1, d_1), _mm_alignr_epi8(b_1, a_1, 4)), b_1);
    t_0 = _mm_add_epi32(c_0, KV(56));
    t_1 = _mm_add_epi32(c_1, KV(56));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    d_0 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_0, a_0), _mm_alignr_epi8(c_0, b_0, 4)), c_0);
    d_1 = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(d_1, a_1), _mm_alignr_epi8(c_1, b_1, 4)), c_1);
    t_0 = _mm_add_epi32(d_0, KV(60));
    t_1 = _mm_add_epi32(d_1, KV(60));
    S1_0 = _mm_sha256rnds2_epu32(S1_0, S0_0, t_0);
    S1_1 = _mm_sha256rnds2_epu32(S1_1, S0_1, t_1);
    S0_0 = _mm_sha256rnds2_epu32(S0_0, S1_0, _mm_shuffle_epi32(t_0, 0x0E));
    S0_1 = _mm_sha256rnds2_epu32(S0_1, S1_1, _mm_shuffle_epi32(t_1, 0x0E));
    /* H7 = IV7 + h; h sits in lane 0 of the CDGH register */
    if (bswap32((uint32_t)_mm_cvtsi128_si32(S1_0) + IV[7]) <= top) { out[found++] = n0 + 0u; if (found >= maxout) return found; }
    if (bswap32((uint32_t)_mm_cvtsi128_si32(S1_1) + IV[7]) <= top) { out[found++] = n0 + 1u; if (found >= maxout) return found; }
  }
  if (k < count) found += scan_generic(j, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}

/* ---------- x86-64 AVX2: eight nonces, one per 32-bit lane ---------- */
#define AVX2 __attribute__((target("avx2")))
#define V8 __m256i
#define VADD(a, b) _mm256_add_epi32(a, b)
#define VXOR(a, b) _mm256_xor_si256(a, b)
#define VAND(a, b) _mm256_and_si256(a, b)
#define VANDN(a, b) _mm256_andnot_si256(a, b)
#define VOR(a, b) _mm256_or_si256(a, b)
#define VROTR(x, n) VOR(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define VSET(x) _mm256_set1_epi32((int)(x))

#define VROUND(a, b, c, d, e, f, g, h, wk)                                                       \
  do {                                                                                           \
    V8 t1_ = VADD(VADD(h, VXOR(VXOR(VROTR(e, 6), VROTR(e, 11)), VROTR(e, 25))),                  \
                  VADD(VXOR(VAND(e, f), VANDN(e, g)), wk));                                      \
    d = VADD(d, t1_);                                                                            \
    h = VADD(t1_, VADD(VXOR(VXOR(VROTR(a, 2), VROTR(a, 13)), VROTR(a, 22)),                      \
                       VXOR(VAND(a, b), VAND(c, VXOR(a, b)))));                                  \
  } while (0)

AVX2 static inline V8 vsched(const V8 *w, int i) {
  V8 x = w[i - 15], y = w[i - 2];
  return VADD(VADD(VXOR(VXOR(VROTR(y, 17), VROTR(y, 19)), _mm256_srli_epi32(y, 10)), w[i - 7]),
              VADD(VXOR(VXOR(VROTR(x, 7), VROTR(x, 18)), _mm256_srli_epi32(x, 3)), w[i - 16]));
}

AVX2 static inline void vrounds(V8 v[8], const V8 *w, int from, int to) {
  V8 a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
  int i = from;
  for (; i + 8 <= to; i += 8) {
    VROUND(a, b, c, d, e, f, g, h, VADD(w[i], VSET(K[i])));
    VROUND(h, a, b, c, d, e, f, g, VADD(w[i + 1], VSET(K[i + 1])));
    VROUND(g, h, a, b, c, d, e, f, VADD(w[i + 2], VSET(K[i + 2])));
    VROUND(f, g, h, a, b, c, d, e, VADD(w[i + 3], VSET(K[i + 3])));
    VROUND(e, f, g, h, a, b, c, d, VADD(w[i + 4], VSET(K[i + 4])));
    VROUND(d, e, f, g, h, a, b, c, VADD(w[i + 5], VSET(K[i + 5])));
    VROUND(c, d, e, f, g, h, a, b, VADD(w[i + 6], VSET(K[i + 6])));
    VROUND(b, c, d, e, f, g, h, a, VADD(w[i + 7], VSET(K[i + 7])));
  }
  for (; i < to; i++) {
    VROUND(a, b, c, d, e, f, g, h, VADD(w[i], VSET(K[i])));
    V8 t = h; h = g; g = f; f = e; e = d; d = c; c = b; b = a; a = t;
  }
  v[0] = a; v[1] = b; v[2] = c; v[3] = d; v[4] = e; v[5] = f; v[6] = g; v[7] = h;
}

/* The first three rounds of the second header block and the schedule words W16, W17 do not
 * depend on the nonce: computed once per scan (shared by the AVX2 and AVX-512 paths). */
static void precompute3(const job_t *j, uint32_t p[8], uint32_t *w16, uint32_t *w17) {
  uint32_t a = j->mid[0], b = j->mid[1], c = j->mid[2], d = j->mid[3], e = j->mid[4], f = j->mid[5], g = j->mid[6], h = j->mid[7];
  for (int i = 0; i < 3; i++) {
    uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + j->tail[i];
    uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  p[0] = a; p[1] = b; p[2] = c; p[3] = d; p[4] = e; p[5] = f; p[6] = g; p[7] = h;
  *w16 = SSIG1(0u) + SSIG0(j->tail[1]) + j->tail[0];
  *w17 = SSIG1(640u) + SSIG0(j->tail[2]) + j->tail[1];
}

AVX2 static int scan_avx2(const job_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  uint32_t p[8], w16, w17;
  precompute3(j, p, &w16, &w17);
  const V8 lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const V8 bswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
                                    3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
  V8 w[64], x[64], v[8];
  for (int i = 0; i < 3; i++) w[i] = VSET(j->tail[i]);
  w[4] = VSET(0x80000000u);
  for (int i = 5; i < 15; i++) w[i] = _mm256_setzero_si256();
  w[15] = VSET(640);
  w[16] = VSET(w16);
  w[17] = VSET(w17);
  x[8] = VSET(0x80000000u);
  for (int i = 9; i < 15; i++) x[i] = _mm256_setzero_si256();
  x[15] = VSET(256);
  const V8 topv = VSET(top);
  uint64_t k = 0;
  for (; k + 8 <= count; k += 8) {
    uint32_t n0 = start + (uint32_t)k;
    w[3] = _mm256_shuffle_epi8(VADD(VSET(n0), lane), bswap);
    for (int i = 18; i < 64; i++) w[i] = vsched(w, i);
    for (int i = 0; i < 8; i++) v[i] = VSET(p[i]);
    vrounds(v, w, 3, 64);
    for (int i = 0; i < 8; i++) x[i] = VADD(v[i], VSET(j->mid[i]));
    for (int i = 16; i < 61; i++) x[i] = vsched(x, i);
    for (int i = 0; i < 8; i++) v[i] = VSET(IV[i]);
    vrounds(v, x, 0, 61);
    /* after 61 rounds e is the final h: H7 = IV7 + e; candidates: bswap(H7) <= top (unsigned) */
    V8 hi = _mm256_shuffle_epi8(VADD(v[4], VSET(IV[7])), bswap);
    V8 ok = _mm256_cmpeq_epi32(_mm256_min_epu32(hi, topv), hi);
    int mask = _mm256_movemask_ps(_mm256_castsi256_ps(ok));
    if (mask) {
      for (int l = 0; l < 8; l++) {
        if (mask & (1 << l)) {
          out[found++] = n0 + (uint32_t)l;
          if (found >= maxout) return found;
        }
      }
    }
  }
  if (k < count) found += scan_generic(j, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}

/* ---------- x86-64 AVX-512F: sixteen nonces, one per lane, with rotates and 3-input logic ---------- */
#define AVX512 __attribute__((target("avx512f")))
#define Z __m512i
#define ZADD(a, b) _mm512_add_epi32(a, b)
#define ZSET(x) _mm512_set1_epi32((int)(x))
#define ZROR(x, n) _mm512_ror_epi32(x, n)
#define ZXOR3(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0x96)
#define ZCH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define ZMAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)

#define ZROUND(a, b, c, d, e, f, g, h, wk)                                  \
  do {                                                                      \
    Z t1_ = ZADD(ZADD(h, ZXOR3(ZROR(e, 6), ZROR(e, 11), ZROR(e, 25))), ZADD(ZCH(e, f, g), wk)); \
    d = ZADD(d, t1_);                                                       \
    h = ZADD(t1_, ZADD(ZXOR3(ZROR(a, 2), ZROR(a, 13), ZROR(a, 22)), ZMAJ(a, b, c))); \
  } while (0)

AVX512 static inline Z zsched(const Z *w, int i) {
  Z x = w[i - 15], y = w[i - 2];
  return ZADD(ZADD(ZXOR3(ZROR(y, 17), ZROR(y, 19), _mm512_srli_epi32(y, 10)), w[i - 7]),
              ZADD(ZXOR3(ZROR(x, 7), ZROR(x, 18), _mm512_srli_epi32(x, 3)), w[i - 16]));
}

/* rounds from..to-1 on state v (a..h rotate through the names by 8-round unrolling) */
AVX512 static inline void zrounds(Z v[8], const Z *w, int from, int to) {
  Z a = v[0], b = v[1], c = v[2], d = v[3], e = v[4], f = v[5], g = v[6], h = v[7];
  int i = from;
  for (; i + 8 <= to; i += 8) {
    ZROUND(a, b, c, d, e, f, g, h, ZADD(w[i], ZSET(K[i])));
    ZROUND(h, a, b, c, d, e, f, g, ZADD(w[i + 1], ZSET(K[i + 1])));
    ZROUND(g, h, a, b, c, d, e, f, ZADD(w[i + 2], ZSET(K[i + 2])));
    ZROUND(f, g, h, a, b, c, d, e, ZADD(w[i + 3], ZSET(K[i + 3])));
    ZROUND(e, f, g, h, a, b, c, d, ZADD(w[i + 4], ZSET(K[i + 4])));
    ZROUND(d, e, f, g, h, a, b, c, ZADD(w[i + 5], ZSET(K[i + 5])));
    ZROUND(c, d, e, f, g, h, a, b, ZADD(w[i + 6], ZSET(K[i + 6])));
    ZROUND(b, c, d, e, f, g, h, a, ZADD(w[i + 7], ZSET(K[i + 7])));
  }
  for (; i < to; i++) {
    ZROUND(a, b, c, d, e, f, g, h, ZADD(w[i], ZSET(K[i])));
    Z t = h; h = g; g = f; f = e; e = d; d = c; c = b; b = a; a = t;
  }
  v[0] = a; v[1] = b; v[2] = c; v[3] = d; v[4] = e; v[5] = f; v[6] = g; v[7] = h;
}

AVX512 static int scan_avx512(const job_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  uint32_t p[8], w16, w17;
  precompute3(j, p, &w16, &w17);
  const Z lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const Z bsw = _mm512_set4_epi32(0x0c0d0e0f, 0x08090a0b, 0x04050607, 0x00010203);
  Z w[64], v[8];
  for (int i = 0; i < 3; i++) w[i] = ZSET(j->tail[i]);
  w[4] = ZSET(0x80000000u);
  for (int i = 5; i < 15; i++) w[i] = _mm512_setzero_si512();
  w[15] = ZSET(640);
  w[16] = ZSET(w16);
  w[17] = ZSET(w17);
  Z x[64];
  for (int i = 9; i < 15; i++) x[i] = _mm512_setzero_si512();
  x[8] = ZSET(0x80000000u);
  x[15] = ZSET(256);
  const Z topv = ZSET(top);
  uint64_t k = 0;
  for (; k + 16 <= count; k += 16) {
    uint32_t n0 = start + (uint32_t)k;
    Z nonces = ZADD(ZSET(n0), lane);
    /* byte-swap each lane: AVX-512F has no byte shuffle, so rotate and mask */
    w[3] = _mm512_ternarylogic_epi32(_mm512_and_si512(ZROR(nonces, 8), ZSET(0xff00ff00u)),
                                     _mm512_and_si512(_mm512_rol_epi32(nonces, 8), ZSET(0x00ff00ffu)), ZSET(0), 0xFE);
    for (int i = 18; i < 64; i++) w[i] = zsched(w, i);
    for (int i = 0; i < 8; i++) v[i] = ZSET(p[i]);
    zrounds(v, w, 3, 64);
    for (int i = 0; i < 8; i++) x[i] = ZADD(v[i], ZSET(j->mid[i]));
    for (int i = 16; i < 61; i++) x[i] = zsched(x, i);
    for (int i = 0; i < 8; i++) v[i] = ZSET(IV[i]);
    zrounds(v, x, 0, 61);
    /* after 61 rounds e is the final h: H7 = IV7 + e; candidates have bswap(H7) <= top */
    Z h7 = ZADD(v[4], ZSET(IV[7]));
    Z hi = _mm512_ternarylogic_epi32(_mm512_and_si512(ZROR(h7, 8), ZSET(0xff00ff00u)),
                                     _mm512_and_si512(_mm512_rol_epi32(h7, 8), ZSET(0x00ff00ffu)), ZSET(0), 0xFE);
    __mmask16 m = _mm512_cmple_epu32_mask(hi, topv);
    if (m) {
      for (int l = 0; l < 16; l++) {
        if (m & (1u << l)) {
          out[found++] = n0 + (uint32_t)l;
          if (found >= maxout) return found;
        }
      }
    }
  }
  (void)bsw;
  if (k < count) found += scan_generic(j, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}
#endif /* MM_X86 */

#ifdef MM_ARM64
/* ---------- ARMv8 SHA2 crypto extensions, two nonces interleaved ---------- */
#define ARMSHA __attribute__((target("+crypto")))

#define AROUND2(abcd_a, efgh_a, abcd_b, efgh_b, wa, wb, i)              \
  do {                                                                  \
    uint32x4_t ka = vaddq_u32(wa, vld1q_u32(K + (i)));                  \
    uint32x4_t kb = vaddq_u32(wb, vld1q_u32(K + (i)));                  \
    uint32x4_t ta = abcd_a, tb = abcd_b;                                \
    abcd_a = vsha256hq_u32(abcd_a, efgh_a, ka);                         \
    abcd_b = vsha256hq_u32(abcd_b, efgh_b, kb);                         \
    efgh_a = vsha256h2q_u32(efgh_a, ta, ka);                            \
    efgh_b = vsha256h2q_u32(efgh_b, tb, kb);                            \
  } while (0)
#define ASCHED(w0, w1, w2, w3) w0 = vsha256su1q_u32(vsha256su0q_u32(w0, w1), w2, w3)

ARMSHA static inline void acompress2(uint32x4_t *abcd_a, uint32x4_t *efgh_a, uint32x4_t *abcd_b, uint32x4_t *efgh_b,
                                     uint32x4_t w0a, uint32x4_t w1a, uint32x4_t w2a, uint32x4_t w3a,
                                     uint32x4_t w0b, uint32x4_t w1b, uint32x4_t w2b, uint32x4_t w3b) {
  uint32x4_t A = *abcd_a, E = *efgh_a, B = *abcd_b, F = *efgh_b;
  AROUND2(A, E, B, F, w0a, w0b, 0);
  AROUND2(A, E, B, F, w1a, w1b, 4);
  AROUND2(A, E, B, F, w2a, w2b, 8);
  AROUND2(A, E, B, F, w3a, w3b, 12);
  for (int r = 16; r < 64; r += 16) {
    ASCHED(w0a, w1a, w2a, w3a); ASCHED(w0b, w1b, w2b, w3b); AROUND2(A, E, B, F, w0a, w0b, r);
    ASCHED(w1a, w2a, w3a, w0a); ASCHED(w1b, w2b, w3b, w0b); AROUND2(A, E, B, F, w1a, w1b, r + 4);
    ASCHED(w2a, w3a, w0a, w1a); ASCHED(w2b, w3b, w0b, w1b); AROUND2(A, E, B, F, w2a, w2b, r + 8);
    ASCHED(w3a, w0a, w1a, w2a); ASCHED(w3b, w0b, w1b, w2b); AROUND2(A, E, B, F, w3a, w3b, r + 12);
  }
  *abcd_a = vaddq_u32(*abcd_a, A); *efgh_a = vaddq_u32(*efgh_a, E);
  *abcd_b = vaddq_u32(*abcd_b, B); *efgh_b = vaddq_u32(*efgh_b, F);
}

ARMSHA static int scan_armv8(const job_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  const uint32x4_t mid0 = vld1q_u32(j->mid), mid1 = vld1q_u32(j->mid + 4);
  const uint32x4_t iv0 = vld1q_u32(IV), iv1 = vld1q_u32(IV + 4);
  const uint32_t c1[4] = { 0x80000000u, 0, 0, 0 }, c3[4] = { 0, 0, 0, 640 }, p3[4] = { 0, 0, 0, 256 };
  const uint32x4_t w1c = vld1q_u32(c1), w2c = vdupq_n_u32(0), w3c = vld1q_u32(c3), w3p = vld1q_u32(p3);
  uint64_t k = 0;
  for (; k + 2 <= count; k += 2) {
    uint32_t na = start + (uint32_t)k, nb = na + 1;
    uint32_t ta[4] = { j->tail[0], j->tail[1], j->tail[2], bswap32(na) };
    uint32_t tb[4] = { j->tail[0], j->tail[1], j->tail[2], bswap32(nb) };
    uint32x4_t a0 = mid0, a1 = mid1, b0 = mid0, b1 = mid1;
    acompress2(&a0, &a1, &b0, &b1, vld1q_u32(ta), w1c, w2c, w3c, vld1q_u32(tb), w1c, w2c, w3c);
    uint32x4_t x0 = a0, x1 = a1, y0 = b0, y1 = b1;
    a0 = iv0; a1 = iv1; b0 = iv0; b1 = iv1;
    acompress2(&a0, &a1, &b0, &b1, x0, x1, w1c, w3p, y0, y1, w1c, w3p);
    uint32_t h7a = vgetq_lane_u32(a1, 3), h7b = vgetq_lane_u32(b1, 3);
    if (bswap32(h7a) <= top) {
      out[found++] = na;
      if (found >= maxout) return found;
    }
    if (bswap32(h7b) <= top) {
      out[found++] = nb;
      if (found >= maxout) return found;
    }
  }
  if (k < count) found += scan_generic(j, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}
#endif /* MM_ARM64 */

int mm_cpu_paths(void) {
  int paths = MM_PATH_GENERIC;
#ifdef MM_X86
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, 0) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    int sse41 = 0, osxsave = 0, avx = 0;
    unsigned a1, b1, c1, d1;
    __cpuid(1, a1, b1, c1, d1);
    sse41 = (c1 >> 19) & 1;
    osxsave = (c1 >> 27) & 1;
    avx = (c1 >> 28) & 1;
    int ymm_ok = 0;
    if (osxsave && avx) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      ymm_ok = (lo & 6) == 6;
    }
    if (((b >> 29) & 1) && sse41) paths |= MM_PATH_SHANI;
    if (((b >> 5) & 1) && ymm_ok) paths |= MM_PATH_AVX2;
    if (((b >> 16) & 1) && ymm_ok) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      if ((lo & 0xe6) == 0xe6) paths |= MM_PATH_AVX512; /* the OS saves the zmm and opmask state */
    }
  }
#endif
#ifdef MM_ARM64
  if (getauxval(AT_HWCAP) & HWCAP_SHA2) paths |= MM_PATH_ARMV8;
#endif
  return paths;
}

int mm_scan(int path, const uint8_t header[80], uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  if (maxout <= 0 || count == 0) return 0;
  if ((uint64_t)start + count > 0x100000000ull) count = 0x100000000ull - start;
  job_t j;
  prepare(&j, header);
  int have = mm_cpu_paths();
  if (!(have & path)) path = MM_PATH_GENERIC;
  switch (path) {
#ifdef MM_X86
    case MM_PATH_SHANI: return scan_shani(&j, start, count, top, out, maxout);
    case MM_PATH_AVX2: return scan_avx2(&j, start, count, top, out, maxout);
    case MM_PATH_AVX512: return scan_avx512(&j, start, count, top, out, maxout);
#endif
#ifdef MM_ARM64
    case MM_PATH_ARMV8: return scan_armv8(&j, start, count, top, out, maxout);
#endif
    default: return scan_generic(&j, start, count, top, out, maxout);
  }
}
