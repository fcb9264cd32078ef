import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, '../../scripts/arm-insn-count.mjs');
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tools = have('aarch64-linux-gnu-gcc') && have('aarch64-linux-gnu-objdump') && have('cc') && have('objdump');
const inCI = process.env.CI === 'true';

test('arm-insn-count: instructions per nonce of every path, counted from the cross-compiled objects, and the goals', {
  skip: !tools && !inCI ? 'aarch64 cross tools missing (run .ci/setup.d/native.sh)' : false,
}, () => {
  const r = spawnSync(process.execPath, [SCRIPT, '--json'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  const { rows, goals } = JSON.parse(r.stdout) as {
    rows: { path: string; arch: string; loopInstructions: number; noncesPerPass: number; perNonce: number }[];
    goals: { goal: string; value: number; limit: number; met: boolean }[];
  };
  const names = rows.map((x) => `${x.path}/${x.arch}`).sort();
  assert.deepEqual(names, ['armv8/aarch64', 'avx2/x86-64', 'avx512/x86-64', 'generic/aarch64', 'generic/x86-64', 'neon/aarch64', 'shani/x86-64']);
  for (const x of rows) {
    assert.ok(Number.isInteger(x.loopInstructions) && x.loopInstructions > 50, `${x.path}/${x.arch}: a loop body, not a stub`);
    assert.ok(x.noncesPerPass >= 1);
    assert.equal(x.perNonce, x.loopInstructions / x.noncesPerPass);
  }
  // a sha256d needs at least ~120 rounds: no path can do a nonce in fewer than 60 instructions (SHA2 extensions do 2-4 rounds each)
  for (const x of rows) assert.ok(x.perNonce > 60, `${x.path}/${x.arch} counted ${x.perNonce} per nonce`);
  assert.equal(goals.length, 2);
  for (const g of goals) assert.ok(Number.isFinite(g.value) && typeof g.met === 'boolean', g.goal);
});
