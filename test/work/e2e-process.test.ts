// The hub's client against the hub's own endpoint running in a separate process:
// subscribe -> notify -> shares found by the hub pool -> validated on both sides -> accepted.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HouseholdMiner, type ShareEvent } from '../../src/work/index.js';
import { until } from '../stratum/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', 'test/stratum/fixtures/endpoint-process.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const events: Record<string, unknown>[] = [];
createInterface({ input: child.stdout! }).on('line', (l) => {
  try {
    events.push(JSON.parse(l));
  } catch {
    /* not ours */
  }
});
const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
let miner: HouseholdMiner | null = null;
after(async () => {
  await miner?.stop();
  child.stdin!.end();
  await exited;
});

test('a household miner process of the project mines on the hub endpoint in another process; shares are validated and accepted', async () => {
  await until(() => events.some((e) => 'listening' in e), 20_000, 'child endpoint listening');
  const port = events.find((e) => 'listening' in e)!.listening as number;
  assert.notEqual(child.pid, process.pid);
  miner = new HouseholdMiner({ url: `stratum+tcp://127.0.0.1:${port}`, user: 'hub-e2e', threads: 1, kernel: 'js', suggestDifficulty: 0.00001 });
  const outcomes: boolean[] = [];
  const rejections: unknown[] = [];
  miner.on('share', (s: { accepted: boolean }) => {
    outcomes.push(s.accepted);
    if (!s.accepted) rejections.push(s);
  });
  await miner.start();
  // difficulty 0.00001: ~43k hashes a share, so three shares are certain; the limit is only a guard
  await until(() => outcomes.filter(Boolean).length >= 3, 300_000, 'three accepted shares');
  const st = miner.stats();
  assert.equal(st.connected, true);
  assert.ok(st.hashes > 0);
  // the miner's own hub validated every find before sending it
  const local = miner.manager.stats.worker('local')!;
  assert.ok(local.accepted >= 3);
  assert.equal(local.rejected, 0, JSON.stringify(rejections));
  // the endpoint process validated them too, and credited them to this worker
  const remote = events.filter((e) => 'share' in e).map((e) => e.share as ShareEvent);
  const mine = remote.filter((e) => e.worker === 'hub-e2e');
  assert.ok(mine.filter((e) => e.accepted).length >= 3);
  assert.ok(mine.every((e) => e.accepted && e.practice === true && (e.difficulty ?? 0) >= 0.00001));
  assert.equal(mine[0].credited, 0.00001, 'the endpoint honoured suggest_difficulty (credited at it)');
  console.log(`# ${outcomes.length} shares, hub ${Math.round(st.hashrate)} H/s, endpoint accepted ${mine.length}`);
  await miner.stop();
  miner = null;
  child.stdin!.end();
  const code = await exited;
  assert.equal(code, 0);
  const last = events.at(-1)!;
  assert.equal(last.stopped, true);
});
