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
/* Each x86 path sets its own target. With AVX enabled for the whole file (-march=native,
 * -march=x86-64-v3, -mavx...) GCC encodes the SHA-NI path's SSE operations as VEX/EVEX around
 * the legacy-only SHA instructions, and that path then runs about 190x slower (measured: 0.07
 * against 13.5 MH/s). Refuse such a build instead of shipping the trap. */
#if defined(__AVX__) && !defined(MM_ALLOW_GLOBAL_AVX)
#error "sha256d.c must be built without global AVX flags (-march=native, -march=x86-64-v3, -mavx*): each path sets its own target; a global AVX target makes the SHA-NI path about 190x slower"
#endif
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

/* What the paths need from the header, computed once per scan call. */
typedef struct {
  uint32_t mid[8];   /* state after the first 64 header bytes (midstate) */
  uint32_t tail[3];  /* merkle tail, ntime, nbits as big-endian words (W0..W2 of block 2) */
  uint32_t s3[8];    /* state after rounds 0..2 of block 2, which do not depend on the nonce */
  uint32_t a4c, e4c; /* a and e after round 3, minus W3 (the nonce) */
  uint32_t kw1[18];  /* K[i] + W[i] for block 2's constant words W4..W17 */
  uint32_t w1[18];   /* block 2's words W0..W17 (W3 = 0 here) */
  uint32_t c1[33];   /* nonce-independent parts of block 2's schedule words W18..W32 */
  uint32_t a1c, e1c; /* second hash: a and e after round 0, minus W0 */
  uint32_t kw2[16];  /* second hash: K[i] + W[i] for the padding words W8..W15 */
  uint32_t c2[32];   /* second hash: constant parts of the schedule words W17..W31 */
} prep_t;

static void prepare(prep_t *p, const uint8_t header[80]) {
  uint32_t w[16];
  for (int i = 0; i < 16; i++) w[i] = be32(header + 4 * i);
  memcpy(p->mid, IV, 32);
  compress_c(p->mid, w);
  for (int i = 0; i < 3; i++) p->tail[i] = be32(header + 64 + 4 * i);

  /* block 2 of the header: W3 is the nonce, the rest is constant */
  uint32_t *W = p->w1;
  memset(W, 0, sizeof p->w1);
  W[0] = p->tail[0]; W[1] = p->tail[1]; W[2] = p->tail[2]; W[4] = 0x80000000u; W[15] = 640;
  W[16] = SSIG1(W[14]) + W[9] + SSIG0(W[1]) + W[0];
  W[17] = SSIG1(W[15]) + W[10] + SSIG0(W[2]) + W[1];
  uint32_t a = p->mid[0], b = p->mid[1], c = p->mid[2], d = p->mid[3], e = p->mid[4], f = p->mid[5], g = p->mid[6], h = p->mid[7];
  for (int i = 0; i < 3; i++) {
    uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + W[i];
    uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  p->s3[0] = a; p->s3[1] = b; p->s3[2] = c; p->s3[3] = d; p->s3[4] = e; p->s3[5] = f; p->s3[6] = g; p->s3[7] = h;
  uint32_t t1c = h + BSIG1(e) + CH(e, f, g) + K[3];
  p->a4c = t1c + BSIG0(a) + MAJ(a, b, c);
  p->e4c = d + t1c;
  memset(p->kw1, 0, sizeof p->kw1);
  for (int i = 4; i < 18; i++) p->kw1[i] = K[i] + W[i];
  memset(p->c1, 0, sizeof p->c1);
  p->c1[18] = SSIG1(W[16]) + W[11] + W[2];
  p->c1[19] = SSIG1(W[17]) + W[12] + SSIG0(W[4]);
  p->c1[20] = W[13] + SSIG0(W[5]) + W[4];
  p->c1[22] = W[15] + SSIG0(W[7]) + W[6];
  p->c1[30] = SSIG0(W[15]) + W[14];
  p->c1[31] = SSIG0(W[16]) + W[15];
  p->c1[32] = SSIG0(W[17]) + W[16];

  /* the second hash: W0..W7 the digest, W8 = 0x80000000, W15 = 256 */
  a = IV[0]; b = IV[1]; c = IV[2]; d = IV[3]; e = IV[4]; f = IV[5]; g = IV[6]; h = IV[7];
  t1c = h + BSIG1(e) + CH(e, f, g) + K[0];
  p->a1c = t1c + BSIG0(a) + MAJ(a, b, c);
  p->e1c = d + t1c;
  memset(p->kw2, 0, sizeof p->kw2);
  for (int i = 8; i < 16; i++) p->kw2[i] = K[i] + (i == 8 ? 0x80000000u : i == 15 ? 256u : 0u);
  memset(p->c2, 0, sizeof p->c2);
  p->c2[17] = SSIG1(256u);
  p->c2[22] = 256u;
  p->c2[23] = SSIG0(0x80000000u);
  p->c2[24] = 0x80000000u;
  p->c2[30] = SSIG0(256u);
  p->c2[31] = 256u;
}

/* ---------- reference: plain compressions, no shortcut (the known-answer test compares every path to it) ---------- */
static int scan_reference(const prep_t *j, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
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

/* ---------- generic C: the lane code below with one 32-bit "lane" ---------- */
static int scan_generic(const prep_t *p, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout);
#define LANES_FN scan_generic
#define LANES_ATTR
#define LANES 1
#define VT uint32_t
#define VSET(x) ((uint32_t)(x))
#define VADD(a, b) ((a) + (b))
#define VROR(x, n) ROTR(x, n)
#define VSHR(x, n) ((x) >> (n))
#define VXOR3(a, b, c) ((a) ^ (b) ^ (c))
#define VCH(e, f, g) CH(e, f, g)
#define VMAJ(a, b, c) MAJ(a, b, c)
#define VBSWAP(x) bswap32(x)
#define VLANE 0u
#define VCAND(x, t) ((unsigned)((x) <= (t)))
#include "lanes.h" /* it #undefs its parameters at its end */

#ifdef MM_X86
/* ---------- x86-64 SHA-NI ---------- */
#define SHANI __attribute__((target("sha,sse4.1")))
#define SHANI_FN __attribute__((target("sha,sse4.1"), noinline))

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

/* SHA-NI, SHANI_LANES nonces interleaved: sha256rnds2 has a latency of several cycles, so
 * independent nonces fill the pipeline. Per scan: rounds 0..1 of the header's second block,
 * the W+K pairs of every constant message group and the sha256msg1 results of constant groups.
 * The second hash stops after round 61 (its F is then the final h). */
#ifndef SHANI_LANES
#define SHANI_LANES 2
#endif
#define PER_LANE(...) _Pragma("GCC unroll 8") for (int l = 0; l < SHANI_LANES; l++) { __VA_ARGS__; }
/* four rounds on lane l: wk holds W+K of the four rounds, wkh the upper two moved down */
#define NI_RND4(l, wk, wkh)                                      \
  do {                                                           \
    S1[l] = _mm_sha256rnds2_epu32(S1[l], S0[l], wk);             \
    S0[l] = _mm_sha256rnds2_epu32(S0[l], S1[l], wkh);            \
  } while (0)
#define NI_RND4W(l, w, i)                                        \
  do {                                                           \
    __m128i wk_ = _mm_add_epi32(w, KV(i));                       \
    NI_RND4(l, wk_, _mm_shuffle_epi32(wk_, 0x0E));               \
  } while (0)
/* the next message group from the four before it (W[i-16..i-13] .. W[i-4..i-1]) */
#define NI_MSG(m0, m1, m2, m3) _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), _mm_alignr_epi8(m3, m2, 4)), m3)

SHANI_FN static int scan_shani(const prep_t *p, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  /* block 2 of the header after rounds 0 and 1 */
  uint32_t s2[8];
  {
    uint32_t a = p->mid[0], b = p->mid[1], c = p->mid[2], d = p->mid[3], e = p->mid[4], f = p->mid[5], g = p->mid[6], h = p->mid[7];
    for (int i = 0; i < 2; i++) {
      uint32_t t1 = h + BSIG1(e) + CH(e, f, g) + K[i] + p->tail[i];
      uint32_t t2 = BSIG0(a) + MAJ(a, b, c);
      h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s2[0] = a; s2[1] = b; s2[2] = c; s2[3] = d; s2[4] = e; s2[5] = f; s2[6] = g; s2[7] = h;
  }
  __m128i abef2, cdgh2, midABEF, midCDGH, ivABEF, ivCDGH;
  to_ni(s2, &abef2, &cdgh2);
  to_ni(p->mid, &midABEF, &midCDGH);
  to_ni(IV, &ivABEF, &ivCDGH);
  const uint32_t wk2 = p->tail[2] + K[2];
  /* header block 2: M0 = W0..W3 (W3 the nonce), M1 = {0x80000000, 0, 0, 0}, M2 = 0, M3 = {0, 0, 0, 640} */
  const __m128i m0c = _mm_setr_epi32((int)p->tail[0], (int)p->tail[1], (int)p->tail[2], 0);
  const __m128i m1c = _mm_setr_epi32((int)0x80000000u, 0, 0, 0), m2c = _mm_setzero_si128(), m3c = _mm_setr_epi32(0, 0, 0, 640);
  const __m128i wk4 = _mm_add_epi32(m1c, KV(4)), wk8 = _mm_add_epi32(m2c, KV(8)), wk12 = _mm_add_epi32(m3c, KV(12));
  const __m128i wk4h = _mm_shuffle_epi32(wk4, 0x0E), wk8h = _mm_shuffle_epi32(wk8, 0x0E), wk12h = _mm_shuffle_epi32(wk12, 0x0E);
  const __m128i x0 = _mm_alignr_epi8(m3c, m2c, 4), x1 = _mm_sha256msg1_epu32(m1c, m2c), x2 = _mm_sha256msg1_epu32(m2c, m3c);
  /* second hash: M2 = {0x80000000, 0, 0, 0}, M3 = {0, 0, 0, 256} */
  const __m128i n3c = _mm_setr_epi32(0, 0, 0, 256);
  const __m128i vk8 = _mm_add_epi32(m1c, KV(8)), vk12 = _mm_add_epi32(n3c, KV(12));
  const __m128i vk8h = _mm_shuffle_epi32(vk8, 0x0E), vk12h = _mm_shuffle_epi32(vk12, 0x0E);
  const __m128i y0 = _mm_alignr_epi8(n3c, m1c, 4), y2 = _mm_sha256msg1_epu32(m1c, n3c);

  uint64_t k = 0;
  for (; k + SHANI_LANES <= count; k += SHANI_LANES) {
    uint32_t n0 = start + (uint32_t)k;
    __m128i S0[SHANI_LANES], S1[SHANI_LANES], M0[SHANI_LANES], M1[SHANI_LANES], M2[SHANI_LANES], M3[SHANI_LANES];
    /* rounds 2, 3: W2 + K2 and the nonce + K3 */
    PER_LANE({
      uint32_t w3 = bswap32(n0 + (uint32_t)l);
      M0[l] = _mm_insert_epi32(m0c, (int)w3, 3);
      S1[l] = abef2;
      S0[l] = _mm_sha256rnds2_epu32(cdgh2, abef2, _mm_cvtsi64_si128((long long)(((uint64_t)(w3 + K[3]) << 32) | wk2)));
    });
    PER_LANE(NI_RND4(l, wk4, wk4h));
    PER_LANE(NI_RND4(l, wk8, wk8h));
    PER_LANE(NI_RND4(l, wk12, wk12h));
    PER_LANE({ M1[l] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(M0[l], m1c), x0), m3c); });
    PER_LANE(NI_RND4W(l, M1[l], 16));
    PER_LANE({ M2[l] = _mm_sha256msg2_epu32(_mm_add_epi32(x1, _mm_alignr_epi8(M1[l], m3c, 4)), M1[l]); });
    PER_LANE(NI_RND4W(l, M2[l], 20));
    PER_LANE({ M3[l] = _mm_sha256msg2_epu32(_mm_add_epi32(x2, _mm_alignr_epi8(M2[l], M1[l], 4)), M2[l]); });
    PER_LANE(NI_RND4W(l, M3[l], 24));
    PER_LANE({ M0[l] = NI_MSG(m3c, M1[l], M2[l], M3[l]); });
    PER_LANE(NI_RND4W(l, M0[l], 28));
    /* W32..W63: M1..M3, M0 rotate */
    _Pragma("GCC unroll 8") for (int i = 32; i < 64; i += 16) {
      PER_LANE({ M1[l] = NI_MSG(M1[l], M2[l], M3[l], M0[l]); NI_RND4W(l, M1[l], i); });
      PER_LANE({ M2[l] = NI_MSG(M2[l], M3[l], M0[l], M1[l]); NI_RND4W(l, M2[l], i + 4); });
      PER_LANE({ M3[l] = NI_MSG(M3[l], M0[l], M1[l], M2[l]); NI_RND4W(l, M3[l], i + 8); });
      PER_LANE({ M0[l] = NI_MSG(M0[l], M1[l], M2[l], M3[l]); NI_RND4W(l, M0[l], i + 12); });
    }
    /* the digest (ABEF, CDGH) as the second hash's message: W0..3 = a b c d, W4..7 = e f g h */
    PER_LANE({
      __m128i abef = _mm_add_epi32(S0[l], midABEF), cdgh = _mm_add_epi32(S1[l], midCDGH);
      M0[l] = _mm_shuffle_epi32(_mm_unpackhi_epi64(abef, cdgh), 0xB1);
      M1[l] = _mm_shuffle_epi32(_mm_unpacklo_epi64(abef, cdgh), 0xB1);
      S0[l] = ivABEF;
      S1[l] = ivCDGH;
    });
    PER_LANE(NI_RND4W(l, M0[l], 0));
    PER_LANE(NI_RND4W(l, M1[l], 4));
    PER_LANE(NI_RND4(l, vk8, vk8h));
    PER_LANE(NI_RND4(l, vk12, vk12h));
    PER_LANE({ M0[l] = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(M0[l], M1[l]), y0), n3c); });
    PER_LANE(NI_RND4W(l, M0[l], 16));
    PER_LANE({ M2[l] = NI_MSG(M1[l], m1c, n3c, M0[l]); });
    PER_LANE(NI_RND4W(l, M2[l], 20));
    PER_LANE({ M3[l] = _mm_sha256msg2_epu32(_mm_add_epi32(y2, _mm_alignr_epi8(M2[l], M0[l], 4)), M2[l]); });
    PER_LANE(NI_RND4W(l, M3[l], 24));
    PER_LANE({ M1[l] = NI_MSG(n3c, M0[l], M2[l], M3[l]); });
    PER_LANE(NI_RND4W(l, M1[l], 28));
    /* order now: M0 (W16..19), M2 (W20..23), M3 (W24..27), M1 (W28..31) */
    PER_LANE({ M0[l] = NI_MSG(M0[l], M2[l], M3[l], M1[l]); NI_RND4W(l, M0[l], 32); });
    PER_LANE({ M2[l] = NI_MSG(M2[l], M3[l], M1[l], M0[l]); NI_RND4W(l, M2[l], 36); });
    PER_LANE({ M3[l] = NI_MSG(M3[l], M1[l], M0[l], M2[l]); NI_RND4W(l, M3[l], 40); });
    PER_LANE({ M1[l] = NI_MSG(M1[l], M0[l], M2[l], M3[l]); NI_RND4W(l, M1[l], 44); });
    PER_LANE({ M0[l] = NI_MSG(M0[l], M2[l], M3[l], M1[l]); NI_RND4W(l, M0[l], 48); });
    PER_LANE({ M2[l] = NI_MSG(M2[l], M3[l], M1[l], M0[l]); NI_RND4W(l, M2[l], 52); });
    PER_LANE({ M3[l] = NI_MSG(M3[l], M1[l], M0[l], M2[l]); NI_RND4W(l, M3[l], 56); });
    /* rounds 60, 61 only: the new ABEF's F (lane 0) is e after round 61, the final h */
    uint32_t h7[SHANI_LANES];
    PER_LANE({
      M1[l] = NI_MSG(M1[l], M0[l], M2[l], M3[l]);
      S1[l] = _mm_sha256rnds2_epu32(S1[l], S0[l], _mm_add_epi32(M1[l], KV(60)));
      h7[l] = (uint32_t)_mm_cvtsi128_si32(S1[l]) + IV[7];
    });
    for (int l = 0; l < SHANI_LANES; l++) {
      if (bswap32(h7[l]) <= top) {
        out[found++] = n0 + (uint32_t)l;
        if (found >= maxout) return found;
      }
    }
  }
  if (k < count) found += scan_generic(p, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}
#undef PER_LANE
#undef NI_RND4
#undef NI_RND4W
#undef NI_MSG

/* ---------- x86-64 AVX2: eight nonces, one per 32-bit lane ---------- */
#define LANES_FN scan_avx2
#define LANES_ATTR __attribute__((target("avx2")))
#define LANES 8
#define VT __m256i
#define VSET(x) _mm256_set1_epi32((int)(x))
#define VADD(a, b) _mm256_add_epi32(a, b)
#define VROR(x, n) _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - (n)))
#define VSHR(x, n) _mm256_srli_epi32(x, n)
#define VXOR3(a, b, c) _mm256_xor_si256(_mm256_xor_si256(a, b), c)
#define VCH(e, f, g) _mm256_xor_si256(_mm256_and_si256(e, _mm256_xor_si256(f, g)), g)
#define VMAJ(a, b, c) _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(c, _mm256_or_si256(a, b)))
#define VBSWAP(x) _mm256_shuffle_epi8(x, _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, \
                                                          3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12))
#define VLANE _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
#define VCAND(x, t) ((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_min_epu32(x, t), x))))
#include "lanes.h" /* it #undefs its parameters at its end */

/* ---------- x86-64 AVX-512F: sixteen nonces, one per lane, with rotates and 3-input logic ---------- */
#define LANES_FN scan_avx512
#define LANES_ATTR __attribute__((target("avx512f")))
#define LANES 16
#define VT __m512i
#define VSET(x) _mm512_set1_epi32((int)(x))
#define VADD(a, b) _mm512_add_epi32(a, b)
#define VROR(x, n) _mm512_ror_epi32(x, n)
#define VSHR(x, n) _mm512_srli_epi32(x, n)
#define VXOR3(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0x96)
#define VCH(e, f, g) _mm512_ternarylogic_epi32(e, f, g, 0xCA)
#define VMAJ(a, b, c) _mm512_ternarylogic_epi32(a, b, c, 0xE8)
/* AVX-512F has no byte shuffle: rotate by 8 and 24, keep alternate bytes */
#define VBSWAP(x) _mm512_ternarylogic_epi32(_mm512_ror_epi32(x, 8), _mm512_rol_epi32(x, 8), _mm512_set1_epi32((int)0xff00ff00u), 0xE4)
#define VLANE _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define VCAND(x, t) ((unsigned)_mm512_cmple_epu32_mask(x, t))
#include "lanes.h" /* it #undefs its parameters at its end */
#endif /* MM_X86 */

#ifdef MM_ARM64
/* ---------- ARMv8 SHA2 crypto extensions, ARM_LANES nonces interleaved ----------
 * The same precomputation as the SHA-NI path, in the instructions' four-round groups: the
 * midstate; W+K of every constant message group (rounds 4..15 of the header's second block,
 * rounds 8..15 of the second hash); sha256su0 of the constant group pairs; and the second hash
 * stops after its last group's sha256h2 (its lane 3 is the final h; sha256h of that group, whose
 * a..d nobody reads, is skipped). One instruction does four rounds, so rounds 0..2 of the second
 * block cannot be split from round 3 (the nonce's) the way the lane paths do. */
#define ARMSHA __attribute__((target("+crypto"), noinline))
#ifndef ARM_LANES
#define ARM_LANES 2
#endif
#define APER_LANE(...) _Pragma("GCC unroll 8") for (int l = 0; l < ARM_LANES; l++) { __VA_ARGS__; }
/* four rounds on lane l with W+K in wk */
#define A_RND4(l, wk)                                            \
  do {                                                           \
    uint32x4_t abcd_ = A[l];                                     \
    A[l] = vsha256hq_u32(abcd_, E[l], wk);                       \
    E[l] = vsha256h2q_u32(E[l], abcd_, wk);                      \
  } while (0)
#define A_RND4W(l, w, i) A_RND4(l, vaddq_u32(w, vld1q_u32(K + (i))))
/* the next message group from the four before it */
#define A_MSG(m0, m1, m2, m3) vsha256su1q_u32(vsha256su0q_u32(m0, m1), m2, m3)

ARMSHA static int scan_armv8(const prep_t *p, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  const uint32x4_t mid0 = vld1q_u32(p->mid), mid1 = vld1q_u32(p->mid + 4);
  const uint32x4_t iv0 = vld1q_u32(IV), iv1 = vld1q_u32(IV + 4);
  /* header block 2: M0 = W0..W3 (W3 the nonce), M1 = {0x80000000, 0, 0, 0}, M2 = 0, M3 = {0, 0, 0, 640} */
  const uint32_t c0[4] = { p->tail[0], p->tail[1], p->tail[2], 0 }, c1[4] = { 0x80000000u, 0, 0, 0 };
  const uint32_t c3[4] = { 0, 0, 0, 640 }, n3[4] = { 0, 0, 0, 256 };
  const uint32x4_t m0c = vld1q_u32(c0), m1c = vld1q_u32(c1), m2c = vdupq_n_u32(0), m3c = vld1q_u32(c3);
  const uint32x4_t wk0c = vaddq_u32(m0c, vld1q_u32(K));
  const uint32x4_t wk4 = vaddq_u32(m1c, vld1q_u32(K + 4)), wk8 = vaddq_u32(m2c, vld1q_u32(K + 8)), wk12 = vaddq_u32(m3c, vld1q_u32(K + 12));
  const uint32x4_t x1 = vsha256su0q_u32(m1c, m2c), x2 = vsha256su0q_u32(m2c, m3c);
  /* second hash: M2 = {0x80000000, 0, 0, 0}, M3 = {0, 0, 0, 256} */
  const uint32x4_t n3c = vld1q_u32(n3);
  const uint32x4_t vk8 = vaddq_u32(m1c, vld1q_u32(K + 8)), vk12 = vaddq_u32(n3c, vld1q_u32(K + 12));
  const uint32x4_t y1 = vsha256su0q_u32(m1c, n3c);

  uint64_t k = 0;
  for (; k + ARM_LANES <= count; k += ARM_LANES) {
    uint32_t n0 = start + (uint32_t)k;
    uint32x4_t A[ARM_LANES], E[ARM_LANES], M0[ARM_LANES], M1[ARM_LANES], M2[ARM_LANES], M3[ARM_LANES];
    APER_LANE({
      uint32_t w3 = bswap32(n0 + (uint32_t)l);
      M0[l] = vsetq_lane_u32(w3, m0c, 3);
      A[l] = mid0;
      E[l] = mid1;
      A_RND4(l, vsetq_lane_u32(w3 + K[3], wk0c, 3));
    });
    APER_LANE(A_RND4(l, wk4));
    APER_LANE(A_RND4(l, wk8));
    APER_LANE(A_RND4(l, wk12));
    APER_LANE({ M1[l] = A_MSG(M0[l], m1c, m2c, m3c); A_RND4W(l, M1[l], 16); });
    APER_LANE({ M2[l] = vsha256su1q_u32(x1, m3c, M1[l]); A_RND4W(l, M2[l], 20); });
    APER_LANE({ M3[l] = vsha256su1q_u32(x2, M1[l], M2[l]); A_RND4W(l, M3[l], 24); });
    APER_LANE({ M0[l] = A_MSG(m3c, M1[l], M2[l], M3[l]); A_RND4W(l, M0[l], 28); });
    _Pragma("GCC unroll 8") for (int i = 32; i < 64; i += 16) {
      APER_LANE({ M1[l] = A_MSG(M1[l], M2[l], M3[l], M0[l]); A_RND4W(l, M1[l], i); });
      APER_LANE({ M2[l] = A_MSG(M2[l], M3[l], M0[l], M1[l]); A_RND4W(l, M2[l], i + 4); });
      APER_LANE({ M3[l] = A_MSG(M3[l], M0[l], M1[l], M2[l]); A_RND4W(l, M3[l], i + 8); });
      APER_LANE({ M0[l] = A_MSG(M0[l], M1[l], M2[l], M3[l]); A_RND4W(l, M0[l], i + 12); });
    }
    /* the digest is the second hash's message W0..W7; its state starts at the IV */
    APER_LANE({
      M0[l] = vaddq_u32(A[l], mid0);
      M1[l] = vaddq_u32(E[l], mid1);
      A[l] = iv0;
      E[l] = iv1;
      A_RND4W(l, M0[l], 0);
    });
    APER_LANE(A_RND4W(l, M1[l], 4));
    APER_LANE(A_RND4(l, vk8));
    APER_LANE(A_RND4(l, vk12));
    APER_LANE({ M2[l] = A_MSG(M0[l], M1[l], m1c, n3c); A_RND4W(l, M2[l], 16); });
    APER_LANE({ M3[l] = A_MSG(M1[l], m1c, n3c, M2[l]); A_RND4W(l, M3[l], 20); });
    APER_LANE({ M0[l] = vsha256su1q_u32(y1, M2[l], M3[l]); A_RND4W(l, M0[l], 24); });
    APER_LANE({ M1[l] = A_MSG(n3c, M2[l], M3[l], M0[l]); A_RND4W(l, M1[l], 28); });
    /* order now: M2 (W16..19), M3 (W20..23), M0 (W24..27), M1 (W28..31) */
    APER_LANE({ M2[l] = A_MSG(M2[l], M3[l], M0[l], M1[l]); A_RND4W(l, M2[l], 32); });
    APER_LANE({ M3[l] = A_MSG(M3[l], M0[l], M1[l], M2[l]); A_RND4W(l, M3[l], 36); });
    APER_LANE({ M0[l] = A_MSG(M0[l], M1[l], M2[l], M3[l]); A_RND4W(l, M0[l], 40); });
    APER_LANE({ M1[l] = A_MSG(M1[l], M2[l], M3[l], M0[l]); A_RND4W(l, M1[l], 44); });
    APER_LANE({ M2[l] = A_MSG(M2[l], M3[l], M0[l], M1[l]); A_RND4W(l, M2[l], 48); });
    APER_LANE({ M3[l] = A_MSG(M3[l], M0[l], M1[l], M2[l]); A_RND4W(l, M3[l], 52); });
    APER_LANE({ M0[l] = A_MSG(M0[l], M1[l], M2[l], M3[l]); A_RND4W(l, M0[l], 56); });
    /* rounds 60..63: only e..h (sha256h2); lane 3 is the final h */
    uint32_t h7[ARM_LANES];
    APER_LANE({
      M1[l] = A_MSG(M1[l], M2[l], M3[l], M0[l]);
      h7[l] = vgetq_lane_u32(vsha256h2q_u32(E[l], A[l], vaddq_u32(M1[l], vld1q_u32(K + 60))), 3) + IV[7];
    });
    for (int l = 0; l < ARM_LANES; l++) {
      if (bswap32(h7[l]) <= top) {
        out[found++] = n0 + (uint32_t)l;
        if (found >= maxout) return found;
      }
    }
  }
  if (k < count) found += scan_generic(p, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}
#undef APER_LANE
#undef A_RND4
#undef A_RND4W
#undef A_MSG

/* ---------- ARMv8 NEON (Advanced SIMD, every aarch64 core): four nonces, one per lane ----------
 * For the many aarch64 boards without the crypto extensions (Raspberry Pi 4's Cortex-A72). */
static const uint32_t NEON_LANE[4] = { 0, 1, 2, 3 };
static const uint32_t NEON_BIT[4] = { 1, 2, 4, 8 };
#define LANES_FN scan_neon
#define LANES_ATTR
#define LANES 4
#define VT uint32x4_t
#define VSET(x) vdupq_n_u32((uint32_t)(x))
#define VADD(a, b) vaddq_u32(a, b)
#define VROR(x, n) vsriq_n_u32(vshlq_n_u32(x, 32 - (n)), x, n)
#define VSHR(x, n) vshrq_n_u32(x, n)
#define VXOR3(a, b, c) veorq_u32(veorq_u32(a, b), c)
#define VCH(e, f, g) vbslq_u32(e, f, g)
#define VMAJ(a, b, c) vbslq_u32(veorq_u32(a, b), c, a)
#define VBSWAP(x) vreinterpretq_u32_u8(vrev32q_u8(vreinterpretq_u8_u32(x)))
#define VLANE vld1q_u32(NEON_LANE)
#define VCAND(x, t) ((unsigned)vaddvq_u32(vandq_u32(vcleq_u32(x, t), vld1q_u32(NEON_BIT))))
#include "lanes.h" /* it #undefs its parameters at its end */
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
  paths |= MM_PATH_NEON; /* Advanced SIMD is part of every aarch64 core */
  if (getauxval(AT_HWCAP) & HWCAP_SHA2) paths |= MM_PATH_ARMV8;
#endif
  return paths;
}

int mm_scan(int path, const uint8_t header[80], uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  if (maxout <= 0 || count == 0) return 0;
  if ((uint64_t)start + count > 0x100000000ull) count = 0x100000000ull - start;
  prep_t j;
  prepare(&j, header);
  int have = mm_cpu_paths();
  if (path == MM_PATH_REFERENCE) return scan_reference(&j, start, count, top, out, maxout);
  if (!(have & path)) path = MM_PATH_GENERIC;
  switch (path) {
#ifdef MM_X86
    case MM_PATH_SHANI: return scan_shani(&j, start, count, top, out, maxout);
    case MM_PATH_AVX2: return scan_avx2(&j, start, count, top, out, maxout);
    case MM_PATH_AVX512: return scan_avx512(&j, start, count, top, out, maxout);
#endif
#ifdef MM_ARM64
    case MM_PATH_ARMV8: return scan_armv8(&j, start, count, top, out, maxout);
    case MM_PATH_NEON: return scan_neon(&j, start, count, top, out, maxout);
#endif
    default: return scan_generic(&j, start, count, top, out, maxout);
  }
}
