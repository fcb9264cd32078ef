// The WebGPU nonce-scan kernel: WGSL source, generated once (a TS string module, so the worker
// page's bundle and a Node worker both import it; no DOM or Node types here).
//
// One invocation hashes one nonce. Everything is unrolled, and while generating each value is
// either a number known now (the IV, K, the padding words: folded here) or a WGSL expression. The
// CPU computes once per header (gpuParams): the midstate, the state after the three nonce-free
// rounds of the second block, most of round 4 (`e3`, `a3` minus the nonce word), and the nonce-free
// parts of W16..W19. The second SHA-256 stops after 61 rounds: its e register then holds H7 - IV7,
// all the top-32-bit target check needs (as the JS, WASM and native kernels do). A nonce whose top
// word meets the target is appended to a small candidate buffer (atomic counter); the CPU
// re-checks every candidate before anything is submitted.

/** threads per workgroup (every adapter allows 256; 64 suits most GPUs and SwiftShader) */
export const WORKGROUP_SIZE = 64;
/** candidates one dispatch can hold; more in one dispatch are counted, not kept */
export const CANDIDATE_CAP = 1024;
/** u32 words of the uniform block (gpuParams) */
export const PARAM_WORDS = 32;
/** where gpuParams puts the per-dispatch fields */
export const PARAM = { top: 24, base: 25, count: 26, rowWidth: 27 } as const;

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr = (x: number, n: number) => ((x >>> n) | (x << (32 - n))) >>> 0;
const S0 = (x: number) => (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22)) >>> 0;
const S1 = (x: number) => (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25)) >>> 0;
const s0 = (x: number) => (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) >>> 0;
const s1 = (x: number) => (rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)) >>> 0;
const ch = (e: number, f: number, g: number) => ((e & f) ^ (~e & g)) >>> 0;
const maj = (a: number, b: number, c: number) => ((a & b) ^ (a & c) ^ (b & c)) >>> 0;

/**
 * The uniform block for one header (80 bytes; its nonce field is ignored) and target top word:
 * [0..7] midstate, [8..15] state after rounds 0..2 of the second block, [16..18] W0..W2,
 * [19] W16, [20] W17, [21] W18 - s0(W3), [22] W19 - W3, [23] round 3's e and a before the nonce word
 * (two words: 23 and 28), then the per-dispatch fields at PARAM (top, base, count, row width).
 */
export function gpuParams(mid: Uint32Array, header80: Uint8Array, topWord: number): Uint32Array {
  if (header80.length !== 80) throw new RangeError(`header must be 80 bytes, got ${header80.length}`);
  if (mid.length !== 8) throw new RangeError('midstate must be 8 words');
  const p = new Uint32Array(PARAM_WORDS);
  const dv = new DataView(header80.buffer, header80.byteOffset, 80);
  const w0 = dv.getUint32(64, false);
  const w1 = dv.getUint32(68, false);
  const w2 = dv.getUint32(72, false);
  // rounds 0..2 of the second block: no nonce yet
  let [a, b, c, d, e, f, g, h] = Array.from(mid);
  for (let i = 0; i < 3; i++) {
    const t1 = (h + S1(e) + ch(e, f, g) + K[i] + [w0, w1, w2][i]) >>> 0;
    const t2 = (S0(a) + maj(a, b, c)) >>> 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) >>> 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) >>> 0;
  }
  p.set(mid, 0);
  p.set([a, b, c, d, e, f, g, h], 8);
  p[16] = w0;
  p[17] = w1;
  p[18] = w2;
  const w16 = (s1(0) + 0 + s0(w1) + w0) >>> 0; // W14 = 0, W9 = 0
  const w17 = (s1(640) + 0 + s0(w2) + w1) >>> 0; // W15 = 640, W10 = 0
  p[19] = w16;
  p[20] = w17;
  p[21] = (s1(w16) + 0 + w2) >>> 0; // W18 = s1(W16) + W11 + s0(W3) + W2
  p[22] = (s1(w17) + 0 + s0(0x80000000)) >>> 0; // W19 = s1(W17) + W12 + s0(W4) + W3
  // round 3: t1 = h + S1(e) + ch(e,f,g) + K3 + W3; e' = d + t1; a' = t1 + S0(a) + maj(a,b,c)
  const t1base = (h + S1(e) + ch(e, f, g) + K[3]) >>> 0;
  p[23] = (d + t1base) >>> 0;
  p[28] = (t1base + S0(a) + maj(a, b, c)) >>> 0;
  p[PARAM.top] = topWord >>> 0;
  return p;
}

type Val = number | string;

class Gen {
  readonly lines: string[] = [];
  private n = 0;

  let(expr: string): string {
    const name = `v${this.n++}`;
    this.lines.push(`  let ${name} = ${expr};`);
    return name;
  }

  lit(x: number): string {
    return `0x${(x >>> 0).toString(16)}u`;
  }

  /** a sum: constants folded, the rest added */
  add(...xs: Val[]): Val {
    let k = 0;
    const terms: string[] = [];
    for (const x of xs) {
      if (typeof x === 'number') k = (k + x) >>> 0;
      else terms.push(x);
    }
    if (!terms.length) return k;
    if (k !== 0) terms.push(this.lit(k));
    return terms.length === 1 ? terms[0] : this.let(terms.join(' + '));
  }

  fn(name: 'S0' | 'S1' | 's0' | 's1', x: Val): Val {
    if (typeof x === 'number') return { S0, S1, s0, s1 }[name](x);
    return this.let(`${name}(${x})`);
  }

  ch(e: Val, f: Val, g: Val): Val {
    if (typeof e === 'number' && typeof f === 'number' && typeof g === 'number') return ch(e, f, g);
    return this.let(`ch(${this.v(e)}, ${this.v(f)}, ${this.v(g)})`);
  }

  maj(a: Val, b: Val, c: Val): Val {
    if (typeof a === 'number' && typeof b === 'number' && typeof c === 'number') return maj(a, b, c);
    return this.let(`maj(${this.v(a)}, ${this.v(b)}, ${this.v(c)})`);
  }

  v(x: Val): string {
    return typeof x === 'number' ? this.lit(x) : x;
  }

  /** message word i from the four before it in the schedule */
  word(w: Val[], i: number): Val {
    return this.add(this.fn('s1', w[i - 2]), w[i - 7], this.fn('s0', w[i - 15]), w[i - 16]);
  }

  /**
   * SHA-256 rounds `from`..`to`-1 over state [a..h]; returns the state. In rounds whose `a` is
   * never read again (the last three of an early-exit hash), `a` is not computed.
   */
  rounds(st: Val[], w: Val[], from: number, to: number, skipA = 0): Val[] {
    let [a, b, c, d, e, f, g, h] = st;
    for (let i = from; i < to; i++) {
      const t1 = this.add(h, this.fn('S1', e), this.ch(e, f, g), K[i], w[i]);
      const na: Val = i >= to - skipA ? 0 : this.add(t1, this.fn('S0', a), this.maj(a, b, c));
      h = g;
      g = f;
      f = e;
      e = this.add(d, t1);
      d = c;
      c = b;
      b = a;
      a = na;
    }
    return [a, b, c, d, e, f, g, h];
  }
}

/** WGSL of the kernel (bindings: 0 the uniform params, 1 the candidate buffer). */
export function sha256dWgsl(): string {
  const g = new Gen();
  const u = (i: number) => `P.w[${i >> 2}].${'xyzw'[i & 3]}`;
  // second block of the first SHA-256: W0..W2 from the header, W3 the nonce, then padding
  const w: Val[] = [u(16), u(17), u(18), 'w3', 0x80000000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 640, u(19), u(20)];
  w[18] = g.add(u(21), g.fn('s0', 'w3'));
  w[19] = g.add(u(22), 'w3');
  for (let i = 20; i < 64; i++) w[i] = g.word(w, i);
  const pre = [8, 9, 10, 11, 12, 13, 14, 15].map(u);
  // round 3 from the CPU's partial sums: e = e3base + W3, a = a3base + W3
  const st0: Val[] = [g.add(u(28), 'w3'), pre[0], pre[1], pre[2], g.add(u(23), 'w3'), pre[4], pre[5], pre[6]];
  const st = g.rounds(st0, w, 4, 64);
  const h1 = st.map((x, i) => g.add(u(i), x));
  // the second SHA-256 of the 32-byte first hash: padding known
  const v: Val[] = [...h1, 0x80000000, 0, 0, 0, 0, 0, 0, 256];
  for (let i = 16; i < 61; i++) v[i] = g.word(v, i);
  const end = g.rounds(IV, v, 0, 61, 4);
  const h7 = g.add(IV[7], end[4]);
  return `// sha256d nonce scan, generated by src/web/client/sha256d-wgsl.ts
struct Params { w: array<vec4<u32>, ${PARAM_WORDS / 4}> }
struct Out { count: atomic<u32>, nonces: array<u32, ${CANDIDATE_CAP}> }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> O: Out;

fn rotr(x: u32, n: u32) -> u32 { return (x >> n) | (x << (32u - n)); }
fn S0(x: u32) -> u32 { return rotr(x, 2u) ^ rotr(x, 13u) ^ rotr(x, 22u); }
fn S1(x: u32) -> u32 { return rotr(x, 6u) ^ rotr(x, 11u) ^ rotr(x, 25u); }
fn s0(x: u32) -> u32 { return rotr(x, 7u) ^ rotr(x, 18u) ^ (x >> 3u); }
fn s1(x: u32) -> u32 { return rotr(x, 17u) ^ rotr(x, 19u) ^ (x >> 10u); }
fn ch(e: u32, f: u32, g: u32) -> u32 { return (e & f) ^ (~e & g); }
fn maj(a: u32, b: u32, c: u32) -> u32 { return (a & b) ^ (a & c) ^ (b & c); }
fn bswap(x: u32) -> u32 { return (x << 24u) | ((x & 0xff00u) << 8u) | ((x >> 8u) & 0xff00u) | (x >> 24u); }

@compute @workgroup_size(${WORKGROUP_SIZE})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.y * ${u(PARAM.rowWidth)} + gid.x;
  if (idx >= ${u(PARAM.count)}) { return; }
  let nonce = ${u(PARAM.base)} + idx;
  let w3 = bswap(nonce);
${g.lines.join('\n')}
  if (bswap(${g.v(h7)}) <= ${u(PARAM.top)}) {
    let slot = atomicAdd(&O.count, 1u);
    if (slot < ${CANDIDATE_CAP}u) { O.nonces[slot] = nonce; }
  }
}
`;
}
