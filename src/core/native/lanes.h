/* Micro Mining: the sha256d nonce scan for one nonce per 32-bit vector lane (AVX2, AVX-512).
 *
 * Included by sha256d.c once per instruction set, after it defines:
 *   LANES_FN   the function's name;  LANES_ATTR  its target attribute;  LANES  lanes per vector
 *   VT  the vector type;  VSET(u32)  broadcast;  VADD(a,b);  VROR(x,n);  VSHR(x,n)
 *   VXOR3(a,b,c)  a^b^c;  VCH(e,f,g)  (e&f)^(~e&g);  VMAJ(a,b,c)  majority
 *   VBSWAP(x)  byte swap of each lane;  VLANE  the vector (0, 1, .., LANES-1)
 *   VCAND(x, topv)  bit mask of the lanes where x <= topv (unsigned)
 *
 * Everything that does not depend on the nonce is done once per scan, from the prep_t that
 * sha256d.c computes (prepare_lanes): the first three rounds of the header's second block, most
 * of round 3, the sums K+W of the rounds whose message word is a constant, and the constant parts
 * of the message schedules of both blocks. The second SHA-256 stops after round 60: its e is then
 * the final h, and rounds 57..60 skip the half that computes a (never read again). */

#define S0V(x) VXOR3(VROR(x, 2), VROR(x, 13), VROR(x, 22))
#define S1V(x) VXOR3(VROR(x, 6), VROR(x, 11), VROR(x, 25))
#define s0V(x) VXOR3(VROR(x, 7), VROR(x, 18), VSHR(x, 3))
#define s1V(x) VXOR3(VROR(x, 17), VROR(x, 19), VSHR(x, 10))

/* Round i on state S (a of round i sits at S[(0 - i) & 7], b at S[(1 - i) & 7], ..): the new a
 * replaces h, the new e replaces d. */
#define RIDX(i, k) (((k) - (i)) & 7)
#define LROUND(S, i, kw)                                                                             \
  do {                                                                                               \
    VT t1_ = VADD(VADD(S[RIDX(i, 7)], S1V(S[RIDX(i, 4)])), VADD(VCH(S[RIDX(i, 4)], S[RIDX(i, 5)], S[RIDX(i, 6)]), kw)); \
    S[RIDX(i, 3)] = VADD(S[RIDX(i, 3)], t1_);                                                        \
    S[RIDX(i, 7)] = VADD(t1_, VADD(S0V(S[RIDX(i, 0)]), VMAJ(S[RIDX(i, 0)], S[RIDX(i, 1)], S[RIDX(i, 2)]))); \
  } while (0)
/* the same without the new a (rounds whose a is never read) */
#define LROUND_E(S, i, kw)                                                                           \
  do {                                                                                               \
    VT t1_ = VADD(VADD(S[RIDX(i, 7)], S1V(S[RIDX(i, 4)])), VADD(VCH(S[RIDX(i, 4)], S[RIDX(i, 5)], S[RIDX(i, 6)]), kw)); \
    S[RIDX(i, 3)] = VADD(S[RIDX(i, 3)], t1_);                                                        \
  } while (0)
#define KWV(W, i) VADD(W[i], VSET(K[i]))
#define SCHED(W, i) W[i] = VADD(VADD(s1V(W[(i) - 2]), W[(i) - 7]), VADD(s0V(W[(i) - 15]), W[(i) - 16]))

LANES_ATTR __attribute__((noinline)) static int LANES_FN(const prep_t *p, uint32_t start, uint64_t count, uint32_t top, uint32_t *out, int maxout) {
  int found = 0;
  const VT topv = VSET(top);
  VT nonce = VADD(VSET(start), VLANE);
  uint64_t k = 0;
  for (; k + LANES <= count; k += LANES, nonce = VADD(nonce, VSET(LANES))) {
    VT W[64], S[8];
    /* ---- first SHA-256, header block 2: rounds 0..2 precomputed, round 3 = constants + W3 ---- */
    VT w3 = VBSWAP(nonce);
    W[3] = w3;
    S[RIDX(4, 0)] = VADD(VSET(p->a4c), w3); /* a4 */
    S[RIDX(4, 1)] = VSET(p->s3[0]);          /* b4 = a3 */
    S[RIDX(4, 2)] = VSET(p->s3[1]);
    S[RIDX(4, 3)] = VSET(p->s3[2]);
    S[RIDX(4, 4)] = VADD(VSET(p->e4c), w3); /* e4 */
    S[RIDX(4, 5)] = VSET(p->s3[4]);
    S[RIDX(4, 6)] = VSET(p->s3[5]);
    S[RIDX(4, 7)] = VSET(p->s3[6]);
    /* the schedule words that differ from a constant by a nonce-dependent part */
    W[16] = VSET(p->w1[16]);
    W[17] = VSET(p->w1[17]);
    W[18] = VADD(s0V(w3), VSET(p->c1[18]));
    W[19] = VADD(w3, VSET(p->c1[19]));
    W[20] = VADD(s1V(W[18]), VSET(p->c1[20]));
    W[21] = s1V(W[19]);
    W[22] = VADD(s1V(W[20]), VSET(p->c1[22]));
    W[23] = VADD(s1V(W[21]), W[16]);
    W[24] = VADD(s1V(W[22]), W[17]);
    W[25] = VADD(s1V(W[23]), W[18]);
    W[26] = VADD(s1V(W[24]), W[19]);
    W[27] = VADD(s1V(W[25]), W[20]);
    W[28] = VADD(s1V(W[26]), W[21]);
    W[29] = VADD(s1V(W[27]), W[22]);
    W[30] = VADD(VADD(s1V(W[28]), W[23]), VSET(p->c1[30]));
    W[31] = VADD(VADD(s1V(W[29]), W[24]), VSET(p->c1[31]));
    W[32] = VADD(VADD(s1V(W[30]), W[25]), VSET(p->c1[32]));
    W[33] = VADD(VADD(s1V(W[31]), W[26]), VADD(s0V(W[18]), W[17]));
#pragma GCC unroll 64
    for (int i = 34; i < 64; i++) SCHED(W, i);
#pragma GCC unroll 64
    for (int i = 4; i < 18; i++) LROUND(S, i, VSET(p->kw1[i]));
#pragma GCC unroll 64
    for (int i = 18; i < 64; i++) LROUND(S, i, KWV(W, i));
    /* after 64 rounds, a sits at S[0]: the digest is mid + S */
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) W[i] = VADD(S[i], VSET(p->mid[i]));

    /* ---- second SHA-256 of the 32-byte digest: W8..W15 are padding ---- */
    /* round 0 from the initial values: t1 = constant + W0 */
    S[RIDX(1, 0)] = VADD(VSET(p->a1c), W[0]);
    S[RIDX(1, 1)] = VSET(IV[0]);
    S[RIDX(1, 2)] = VSET(IV[1]);
    S[RIDX(1, 3)] = VSET(IV[2]);
    S[RIDX(1, 4)] = VADD(VSET(p->e1c), W[0]);
    S[RIDX(1, 5)] = VSET(IV[4]);
    S[RIDX(1, 6)] = VSET(IV[5]);
    S[RIDX(1, 7)] = VSET(IV[6]);
    W[16] = VADD(s0V(W[1]), W[0]);
    W[17] = VADD(VADD(s0V(W[2]), W[1]), VSET(p->c2[17]));
    W[18] = VADD(VADD(s1V(W[16]), s0V(W[3])), W[2]);
    W[19] = VADD(VADD(s1V(W[17]), s0V(W[4])), W[3]);
    W[20] = VADD(VADD(s1V(W[18]), s0V(W[5])), W[4]);
    W[21] = VADD(VADD(s1V(W[19]), s0V(W[6])), W[5]);
    W[22] = VADD(VADD(s1V(W[20]), s0V(W[7])), VADD(W[6], VSET(p->c2[22])));
    W[23] = VADD(VADD(s1V(W[21]), W[16]), VADD(W[7], VSET(p->c2[23])));
    W[24] = VADD(VADD(s1V(W[22]), W[17]), VSET(p->c2[24]));
#pragma GCC unroll 8
    for (int i = 25; i < 30; i++) W[i] = VADD(s1V(W[i - 2]), W[i - 7]);
    W[30] = VADD(VADD(s1V(W[28]), W[23]), VSET(p->c2[30]));
    W[31] = VADD(VADD(s1V(W[29]), W[24]), VADD(s0V(W[16]), VSET(p->c2[31])));
#pragma GCC unroll 64
    for (int i = 32; i < 61; i++) SCHED(W, i);
#pragma GCC unroll 8
    for (int i = 1; i < 8; i++) LROUND(S, i, KWV(W, i));
#pragma GCC unroll 8
    for (int i = 8; i < 16; i++) LROUND(S, i, VSET(p->kw2[i]));
#pragma GCC unroll 64
    for (int i = 16; i < 57; i++) LROUND(S, i, KWV(W, i));
#pragma GCC unroll 4
    for (int i = 57; i < 61; i++) LROUND_E(S, i, KWV(W, i));
    /* e after round 60 (at S[RIDX(61, 4)]) is the final h: H7 = IV7 + e */
    unsigned m = VCAND(VBSWAP(VADD(S[RIDX(61, 4)], VSET(IV[7]))), topv);
    if (m) {
      uint32_t n0 = start + (uint32_t)k;
      for (int l = 0; l < LANES; l++) {
        if (m & (1u << l)) {
          out[found++] = n0 + (uint32_t)l;
          if (found >= maxout) return found;
        }
      }
    }
  }
  if (k < count) found += scan_generic(p, start + (uint32_t)k, count - k, top, out + found, maxout - found);
  return found;
}

#undef S0V
#undef S1V
#undef s0V
#undef s1V
#undef RIDX
#undef LROUND
#undef LROUND_E
#undef KWV
#undef SCHED

/* this file is included once per instruction set with these parameters: forget them */
#undef LANES_FN
#undef LANES_ATTR
#undef LANES
#undef VT
#undef VSET
#undef VADD
#undef VROR
#undef VSHR
#undef VXOR3
#undef VCH
#undef VMAJ
#undef VBSWAP
#undef VLANE
#undef VCAND
