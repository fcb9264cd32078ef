// Generates the AssemblyScript source of the WebAssembly SIMD nonce-scan kernel.
//
// The kernel hashes four nonces at a time, one per 32-bit lane of a v128. Everything is unrolled,
// and every value is tracked by kind while generating:
//   'c'  known now (a compile-time constant, e.g. the IV, K, padding words),
//   'j'  the same for every nonce of a header (computed once per header by `prepare()`, as scalar
//        u32 code, and kept splatted in linear memory for the nonce loop, as are the constants),
//   'v'  depends on the nonce (v128 code inside the nonce loop).
// An operation on 'c' values is folded here; on 'c'/'j' values it goes into `prepare()`; only
// operations touching a 'v' value reach the loop. That folding gives, with no special cases:
// the midstate (the first block is all 'j'), the first three rounds of the second block and most
// of round 4, the message words W16/W17 and the nonce-independent parts of W18.., K+W sums, and
// the constant-heavy first rounds of the second SHA-256 (its IV and padding are 'c').
// The second SHA-256 stops after 61 rounds: its e register then holds H7 - IV7, which is all the
// top-32-bit target check needs.
//
// Usage: generateKernelSource() returns the AssemblyScript module text (see scripts/build-wasm.mjs).

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** ABI version of the exports; the loader refuses a kernel.wasm built with another. */
export const KERNEL_ABI = 1;
/** bytes reserved for candidates (u32 each) */
export const OUT_CAP = 4096;
/**
 * Groups of four nonces interleaved per loop iteration. On x86-64 (16 vector registers) one is
 * clearly best: two ways ran at less than half the speed (spills). Kept as an option for targets
 * with more registers (aarch64 has 32).
 */
export const DEFAULT_WAYS = 1;


const rotr = (x, n) => ((x >>> n) | (x << (32 - n))) >>> 0;
const cS0 = (x) => (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22)) >>> 0;
const cS1 = (x) => (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25)) >>> 0;
const cs0 = (x) => (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
const cs1 = (x) => (rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)) >>> 0;
const hex = (x) => '0x' + (x >>> 0).toString(16).padStart(8, '0');

class Gen {
  constructor() {
    this.pre = []; // scalar statements of prepare()
    this.bodies = [[]]; // vector statements of the nonce loop, one list per interleaved way
    this.way = 0;
    this.memo = new Map();
    this.nj = 0;
    this.nv = 0;
    this.slots = new Map(); // j id -> slot index in the JOB area
  }

  c(v) {
    return { k: 'c', v: v >>> 0, id: hex(v) };
  }

  /** a 'j' input: a big-endian header word read in prepare() */
  headerWord(i) {
    return this.once(`hw${i}`, () => this.newJ(`bswap<u32>(load<u32>(HEADER + ${i * 4}))`));
  }

  /** the 'v' input: the nonce word (big-endian in the block) of each lane */
  nonceWord() {
    return { k: 'v', id: `w3_${this.way}` };
  }

  /** starts the vector code of another interleaved group of four nonces */
  nextWay() {
    this.way++;
    this.bodies.push([]);
  }

  once(key, make) {
    let r = this.memo.get(key);
    if (!r) {
      r = make();
      this.memo.set(key, r);
    }
    return r;
  }

  newJ(expr) {
    const id = `j${this.nj++}`;
    this.pre.push(`const ${id}: u32 = ${expr};`);
    return { k: 'j', id };
  }

  newV(expr) {
    const id = `x${this.way}_${this.nv++}`;
    this.bodies[this.way].push(`const ${id} = ${expr};`);
    return { k: 'v', id };
  }

  /** scalar expression of a 'c' or 'j' value */
  s(x) {
    if (x.k === 'v') throw new Error('internal: scalar use of a vector value');
    return x.k === 'c' ? `(<u32>${x.id})` : x.id;
  }

  /** vector expression of any value */
  vec(x) {
    if (x.k === 'v') return x.id;
    // zero is one cheap instruction; other constants are read from memory like the 'j' values
    // (as x86-64 memory operands they cost nothing; materializing a v128 constant does)
    if (x.k === 'c' && x.v === 0) return 'i32x4.splat(0)';
    let slot = this.slots.get(x.id);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(x.id, slot);
    }
    return `v128.load(JOB + ${slot * 16})`;
  }

  /** a unary function: folded for 'c', scalar for 'j', vector for 'v' */
  unary(name, cf, x) {
    if (x.k === 'c') return this.c(cf(x.v));
    return this.once(`${name}(${x.id})`, () =>
      x.k === 'j' ? this.newJ(`${name}(${x.id})`) : this.newV(`v${name}(${x.id})`),
    );
  }

  S0(x) { return this.unary('S0', cS0, x); }
  S1(x) { return this.unary('S1', cS1, x); }
  s0(x) { return this.unary('s0', cs0, x); }
  s1(x) { return this.unary('s1', cs1, x); }

  xor(x, y) {
    if (x.k === 'c' && y.k === 'c') return this.c(x.v ^ y.v);
    const [p, q] = [x.id, y.id].sort();
    return this.once(`xor(${p},${q})`, () =>
      x.k !== 'v' && y.k !== 'v'
        ? this.newJ(`${this.s(x)} ^ ${this.s(y)}`)
        : this.newV(`v128.xor(${this.vec(x)}, ${this.vec(y)})`),
    );
  }

  and(x, y) {
    if (x.k === 'c' && y.k === 'c') return this.c(x.v & y.v);
    const [p, q] = [x.id, y.id].sort();
    return this.once(`and(${p},${q})`, () =>
      x.k !== 'v' && y.k !== 'v'
        ? this.newJ(`${this.s(x)} & ${this.s(y)}`)
        : this.newV(`v128.and(${this.vec(x)}, ${this.vec(y)})`),
    );
  }

  /** Ch(e, f, g) = (e & f) ^ (~e & g) */
  ch(e, f, g) {
    if (e.k === 'c' && f.k === 'c' && g.k === 'c') return this.c((e.v & f.v) ^ (~e.v & g.v));
    return this.once(`ch(${e.id},${f.id},${g.id})`, () =>
      e.k !== 'v' && f.k !== 'v' && g.k !== 'v'
        ? this.newJ(`(${this.s(e)} & ${this.s(f)}) ^ (~${this.s(e)} & ${this.s(g)})`)
        : this.newV(`v128.bitselect(${this.vec(f)}, ${this.vec(g)}, ${this.vec(e)})`),
    );
  }

  /** Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)); a ^ b is memoized and is the next round's b ^ c */
  maj(a, b, c) {
    return this.xor(b, this.and(this.xor(a, b), this.xor(b, c)));
  }

  /**
   * Sum of terms. Constants fold; the 'c'/'j' part becomes one prepared value; vector terms are
   * added in the order given (callers put the terms ready earliest first).
   */
  add(...terms) {
    let cv = 0;
    const js = [];
    const vs = [];
    for (const t of terms) {
      if (t.k === 'c') cv = (cv + t.v) >>> 0;
      else if (t.k === 'j') js.push(t);
      else vs.push(t);
    }
    let konst;
    if (js.length === 0) konst = cv === 0 ? null : this.c(cv);
    else {
      const parts = js.map((j) => j.id).sort();
      if (cv !== 0) parts.push(`(<u32>${hex(cv)})`);
      konst =
        parts.length === 1 ? js[0] : this.once(`add(${parts.join(',')})`, () => this.newJ(parts.join(' + ')));
    }
    if (vs.length === 0) return konst ?? this.c(0);
    let acc = konst ? this.add2(vs[0], konst) : vs[0];
    for (let i = 1; i < vs.length; i++) acc = this.add2(acc, vs[i]);
    return acc;
  }

  add2(x, y) {
    const [p, q] = [x.id, y.id].sort();
    return this.once(`add2(${p},${q})`, () => this.newV(`i32x4.add(${this.vec(x)}, ${this.vec(y)})`));
  }

  /** message schedule: word(i) for i < 16 given, the rest derived on demand */
  schedule(first16) {
    const w = [...first16];
    const word = (i) => {
      if (w[i] === undefined) {
        w[i] = this.add(word(i - 16), word(i - 7), this.s0(word(i - 15)), this.s1(word(i - 2)));
      }
      return w[i];
    };
    return word;
  }

  /** `rounds` rounds of the SHA-256 compression from `state`; returns the working variables */
  rounds(state, word, rounds) {
    let [a, b, c, d, e, f, g, h] = state;
    for (let i = 0; i < rounds; i++) {
      const t1 = this.add(h, this.c(K[i]), word(i), this.ch(e, f, g), this.S1(e));
      const t2 = this.add(this.S0(a), this.maj(a, b, c));
      h = g;
      g = f;
      f = e;
      e = this.add(d, t1);
      d = c;
      c = b;
      b = a;
      a = this.add(t1, t2);
    }
    return [a, b, c, d, e, f, g, h];
  }
}

function build(ways) {
  const g = new Gen();
  const finals = [];
  for (let way = 0; way < ways; way++) {
    if (way > 0) g.nextWay();
    finals.push(buildWay(g));
  }
  // interleave the ways statement by statement (they are independent)
  const body = [];
  const longest = Math.max(...g.bodies.map((b) => b.length));
  for (let i = 0; i < longest; i++) for (const b of g.bodies) if (i < b.length) body.push(b[i]);
  return { g, body, finals };
}

function buildWay(g) {
  const iv = IV.map((x) => g.c(x));
  // first block of the header: all 'j' (the midstate)
  const block1 = g.schedule(Array.from({ length: 16 }, (_, i) => g.headerWord(i)));
  const r1 = g.rounds(iv, block1, 64);
  const mid = r1.map((x, i) => g.add(iv[i], x));
  // second block: header words 16..18, the nonce, padding, length 640 bits
  const block2 = g.schedule([
    g.headerWord(16), g.headerWord(17), g.headerWord(18), g.nonceWord(),
    g.c(0x80000000), ...Array.from({ length: 10 }, () => g.c(0)), g.c(640),
  ]);
  const r2 = g.rounds(mid, block2, 64);
  const hash1 = r2.map((x, i) => g.add(mid[i], x));
  // second SHA-256 over the 32-byte first hash, stopped after 61 rounds
  const block3 = g.schedule([...hash1, g.c(0x80000000), ...Array.from({ length: 6 }, () => g.c(0)), g.c(256)]);
  const r3 = g.rounds(iv, block3, 61);
  const h7 = g.add(r3[4], iv[7]);
  if (h7.k !== 'v') throw new Error('internal: the final word does not depend on the nonce');
  return h7;
}

/**
 * @param ways groups of four nonces hashed side by side per loop iteration (1: 4 nonces, 2: 8)
 */
export function generateKernelSource(ways = DEFAULT_WAYS) {
  if (!(Number.isInteger(ways) && ways >= 1 && ways <= 4)) throw new Error(`ways must be 1..4, got ${ways}`);
  const { g, body, finals } = build(ways);
  const lanes = 4 * ways;
  const jobBytes = Math.max(16, g.slots.size * 16);
  const stores = [...g.slots.entries()].map(
    ([id, slot]) => `v128.store(JOB + ${slot * 16}, i32x4.splat(${id.startsWith('0x') ? `<u32>${id}` : id}));`,
  );
  const ind = (lines, n) => lines.map((l) => ' '.repeat(n) + l).join('\n');
  const bswap = '3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12';
  const inputs = [];
  const checks = [];
  for (let w = 0; w < ways; w++) {
    inputs.push(
      w === 0
        ? `const w3_0 = i8x16.shuffle(nonces, nonces, ${bswap});`
        : `const n_${w} = i32x4.add(nonces, i32x4.splat(${4 * w}));\nconst w3_${w} = i8x16.shuffle(n_${w}, n_${w}, ${bswap});`,
    );
    const h = finals[w].id;
    checks.push(`i32x4.bitmask(i32x4.le_u(i8x16.shuffle(${h}, ${h}, ${bswap}), topv))${w ? ` << ${4 * w}` : ''}`);
  }
  return `// GENERATED by src/core/kernels/wasm/gen-kernel.mjs at build time. Do not edit; do not commit.
// sha256d nonce scan, four nonces per v128 (lanes 0..3 = nonces n..n+3).
// ${g.pre.length} scalar statements per header, ${body.length} vector statements per ${lanes} nonces (${ways} way(s) of 4).

const HEADER: usize = memory.data(80, 16);
const JOB: usize = memory.data(${jobBytes}, 16);
const OUT: usize = memory.data(${OUT_CAP * 4}, 16);

export function abiVersion(): i32 { return ${KERNEL_ABI}; }
export function headerPtr(): usize { return HEADER; }
export function outPtr(): usize { return OUT; }
export function outCap(): u32 { return ${OUT_CAP}; }

// @ts-ignore: decorator
@inline function S0(x: u32): u32 { return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22); }
// @ts-ignore: decorator
@inline function S1(x: u32): u32 { return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25); }
// @ts-ignore: decorator
@inline function s0(x: u32): u32 { return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3); }
// @ts-ignore: decorator
@inline function s1(x: u32): u32 { return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10); }

// Rotations as two shifts joined by xor (the bits do not overlap), xors as balanced trees.
// @ts-ignore: decorator
@inline function vS0(x: v128): v128 {
  return v128.xor(
    v128.xor(v128.xor(i32x4.shr_u(x, 2), i32x4.shl(x, 30)), v128.xor(i32x4.shr_u(x, 13), i32x4.shl(x, 19))),
    v128.xor(i32x4.shr_u(x, 22), i32x4.shl(x, 10)),
  );
}
// @ts-ignore: decorator
@inline function vS1(x: v128): v128 {
  return v128.xor(
    v128.xor(v128.xor(i32x4.shr_u(x, 6), i32x4.shl(x, 26)), v128.xor(i32x4.shr_u(x, 11), i32x4.shl(x, 21))),
    v128.xor(i32x4.shr_u(x, 25), i32x4.shl(x, 7)),
  );
}
// @ts-ignore: decorator
@inline function vs0(x: v128): v128 {
  return v128.xor(
    v128.xor(v128.xor(i32x4.shr_u(x, 7), i32x4.shl(x, 25)), v128.xor(i32x4.shr_u(x, 18), i32x4.shl(x, 14))),
    i32x4.shr_u(x, 3),
  );
}
// @ts-ignore: decorator
@inline function vs1(x: v128): v128 {
  return v128.xor(
    v128.xor(v128.xor(i32x4.shr_u(x, 17), i32x4.shl(x, 15)), v128.xor(i32x4.shr_u(x, 19), i32x4.shl(x, 13))),
    i32x4.shr_u(x, 10),
  );
}

/** Reads the 80-byte header at HEADER and prepares every nonce-independent value. */
export function prepare(): void {
${ind(g.pre, 2)}
${ind(stores, 2)}
}

/**
 * Scans nonces start .. start+count-1 (start + count <= 2^32; count <= 2^31) of the prepared
 * header; writes the nonces whose hash has top word <= top, in increasing order, to OUT and
 * returns how many. Stops once cap (<= outCap()) are found.
 */
export function scan(start: u32, count: u32, top: u32, cap: u32): u32 {
  if (count == 0 || cap == 0) return 0;
  if (cap > ${OUT_CAP}) cap = ${OUT_CAP};
  let found: u32 = 0;
  const groups = (count + ${lanes - 1}) / ${lanes};
  const topv = i32x4.splat(top);
  let nonces = i32x4.add(i32x4.splat(start), i32x4(0, 1, 2, 3));
  for (let group: u32 = 0; group < groups; group++) {
${ind(inputs.join('\n').split('\n'), 4)}
${ind(body, 4)}
    const hits: u32 = ${checks.join(' | ')};
    if (hits != 0) {
      for (let lane: u32 = 0; lane < ${lanes}; lane++) {
        const index = group * ${lanes} + lane;
        if (((hits >>> lane) & 1) != 0 && index < count) {
          store<u32>(OUT + (found << 2), start + index);
          found++;
          if (found >= cap) return found;
        }
      }
    }
    nonces = i32x4.add(nonces, i32x4.splat(${lanes}));
  }
  return found;
}
`;
}
