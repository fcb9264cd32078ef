#!/usr/bin/env node
// Instructions per nonce of every native path's inner loop, counted from the compiled objects:
// src/core/native/sha256d.c built with the flags of binding.gyp (-O3) for aarch64
// (aarch64-linux-gnu-gcc) and for x86-64 (the host cc, or x86_64-linux-gnu-gcc), disassembled
// with the matching objdump. It stands in for speed on ARM until an ARM machine is at hand.
//
// How it counts: in each scan_<path> function, the nonce loop is the backward branch that spans
// the most instructions; its count is the static number of instructions from the branch target to
// the branch (the loop body once, including the few instructions of the rarely taken candidate
// branch), divided by the nonces one pass handles. Static counts ignore latency, ports and memory;
// they compare code size of the work, not time.
//
//   node scripts/arm-insn-count.mjs          a table and the goals
//   node scripts/arm-insn-count.mjs --json   the same as JSON (tests parse it)
// Exits 1 with one line naming the missing tool when a compiler or objdump is absent.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, arch } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/core/native/sha256d.c');
const json = process.argv.includes('--json');

function fail(why) {
  console.error(`arm-insn-count: ${why}`);
  process.exit(1);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

// nonces per pass of each path's loop, read from the source's defaults where they are parameters
const source = readFileSync(src, 'utf8');
const param = (name, fallback) => Number(new RegExp(`#define ${name} (\\d+)`).exec(source)?.[1] ?? fallback);
const PER_PASS = {
  generic: 1,
  shani: param('SHANI_LANES', 2),
  avx2: 8,
  avx512: 16,
  armv8: param('ARM_LANES', 2),
  neon: 4,
};

const TARGETS = [
  {
    arch: 'x86-64',
    cc: arch() === 'x64' ? 'cc' : 'x86_64-linux-gnu-gcc',
    objdump: arch() === 'x64' ? 'objdump' : 'x86_64-linux-gnu-objdump',
    paths: ['avx512', 'shani', 'avx2', 'generic'],
    branch: /^j[a-z]+$/, // jmp, jne, jb, ...
  },
  {
    arch: 'aarch64',
    cc: 'aarch64-linux-gnu-gcc',
    objdump: 'aarch64-linux-gnu-objdump',
    paths: ['armv8', 'neon', 'generic'],
    branch: /^(b|b\.[a-z]+|cbn?z|tbn?z)$/,
  },
];

/** {function name: [{addr, op, target}]} from objdump -d output */
function parseObjdump(text) {
  const fns = {};
  let cur = null;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+ <([^>]+)>:$/.exec(line);
    if (head) {
      cur = fns[head[1]] = [];
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(line);
    if (!ins || !cur) continue;
    const target = /^([0-9a-f]+) </.exec(ins[3]);
    cur.push({ addr: parseInt(ins[1], 16), op: ins[2], target: target ? parseInt(target[1], 16) : null });
  }
  return fns;
}

/** the instructions of the widest backward branch's body in a function */
function loopBody(insns, branch) {
  let best = null;
  insns.forEach((ins, i) => {
    if (!branch.test(ins.op) || ins.target === null || ins.target >= ins.addr) return;
    const from = insns.findIndex((x) => x.addr === ins.target);
    if (from < 0) return;
    const n = i - from + 1;
    if (!best || n > best) best = n;
  });
  return best;
}

const dir = mkdtempSync(join(tmpdir(), 'mm-insn-'));
const rows = [];
try {
  for (const t of TARGETS) {
    for (const tool of [t.cc, t.objdump]) {
      if (!have(tool)) fail(`${tool} is missing (run .ci/setup.d/native.sh: Debian's gcc-aarch64-linux-gnu and binutils)`);
    }
    const obj = join(dir, `${t.arch}.o`);
    const cc = spawnSync(t.cc, ['-O3', '-std=gnu11', '-fno-strict-aliasing', '-c', '-o', obj, src], { encoding: 'utf8' });
    if (cc.status !== 0) fail(`${t.cc} failed on ${src}:\n${cc.stderr}`);
    const dump = spawnSync(t.objdump, ['-d', '--no-show-raw-insn', obj], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (dump.status !== 0) fail(`${t.objdump} failed: ${dump.stderr}`);
    const fns = parseObjdump(dump.stdout);
    for (const path of t.paths) {
      const insns = fns[`scan_${path}`];
      if (!insns) fail(`scan_${path} is not a function of the ${t.arch} object (was it inlined? it must stay noinline)`);
      const loop = loopBody(insns, t.branch);
      if (!loop) fail(`no loop found in scan_${path} (${t.arch})`);
      rows.push({ path, arch: t.arch, loopInstructions: loop, noncesPerPass: PER_PASS[path], perNonce: loop / PER_PASS[path] });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const get = (path, a) => rows.find((r) => r.path === path && r.arch === a);
const armv8 = get('armv8', 'aarch64');
const shani = get('shani', 'x86-64');
const neon = get('neon', 'aarch64');
const avx2 = get('avx2', 'x86-64');
const goals = [
  {
    goal: 'ARMv8 SHA2 <= SHA-NI instructions per nonce',
    value: armv8.perNonce / shani.perNonce,
    limit: 1,
    met: armv8.perNonce <= shani.perNonce,
  },
  {
    goal: 'NEON <= 1.2x AVX2 instructions per nonce (per lane)',
    value: neon.perNonce / avx2.perNonce,
    limit: 1.2,
    met: neon.perNonce <= 1.2 * avx2.perNonce,
  },
];

if (json) {
  console.log(JSON.stringify({ rows, goals }, null, 2));
} else {
  console.log('path      arch     loop insns  nonces/pass  insns/nonce');
  for (const r of rows) {
    console.log(
      `${r.path.padEnd(9)} ${r.arch.padEnd(8)} ${String(r.loopInstructions).padStart(10)}  ${String(r.noncesPerPass).padStart(11)}  ${r.perNonce.toFixed(1).padStart(11)}`,
    );
  }
  for (const g of goals) console.log(`${g.met ? 'met    ' : 'NOT met'}  ${g.goal}: ratio ${g.value.toFixed(2)} (limit ${g.limit})`);
  console.log('static count of each nonce loop body (objdump), -O3 as binding.gyp; not a timing');
}
