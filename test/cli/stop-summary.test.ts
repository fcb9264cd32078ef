// Issue 24 item 10: on Ctrl-C `micro-mining start` prints one summary after the stop: the time it
// mined, the shares (accepted/rejected) and the energy with its source. The real CLI, practice
// jobs at a low difficulty so the first share is certain, SIGINT once one share was accepted.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubProcess } from './hub-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-summary-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('Ctrl-C prints the session summary once after the stop: time mined, shares, energy with its source (real CLI)', async () => {
  const hub = new HubProcess(
    [
      '--data-dir',
      join(dir, 'data'),
      '--threads',
      '1',
      '--policy',
      'always',
      '--practice-difficulty',
      '0.00001',
      '--no-node-red',
      '--no-mqtt',
      '--stratum-port',
      '0',
      '--status-port',
      '0',
    ],
    { HOME: dir, MM_LOG_FORMAT: 'pretty' },
  );
  let accepted = 0;
  try {
    await hub.waitFor(/hub running/);
    const t0 = Date.now();
    while (accepted < 1 && Date.now() - t0 < 120_000 && hub.child.exitCode === null) {
      accepted = ((await hub.apiStatus()) as { shares: { accepted: number } }).shares.accepted;
      if (accepted < 1) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(accepted >= 1, `no accepted share:\n${hub.out.slice(-2000)}`);
  } finally {
    const code = await hub.stop('SIGINT');
    assert.equal(code, 0, hub.out.slice(-2000));
  }
  const out = hub.out;
  const at = out.indexOf('session: mined');
  assert.ok(at >= 0, `no summary:\n${out.slice(-2000)}`);
  assert.equal(out.split('session: mined').length, 2, 'printed once');
  assert.ok(at > out.lastIndexOf('stopped'), 'after the stop');
  const lines = out.slice(at).split('\n');
  // a quiet machine finds the first share (and so gets the signal) within a second of the start
  const span = '(\\d+ (seconds?|minutes?)( \\d+ seconds?)?|less than a second)';
  assert.match(lines[0], new RegExp(`^session: mined ${span} of ${span} running`));
  const m = /^ {2}shares: (\d+) accepted, (\d+) rejected/.exec(lines[1]);
  assert.ok(m, lines[1]);
  assert.ok(Number(m[1]) >= accepted, `${m[1]} accepted >= ${accepted} seen before the stop`);
  assert.match(lines[2], /^ {2}energy: [\d.]+ (m|k)?Wh \(estimated\)/);
  assert.ok(!lines.some((l) => /^ {2}cost:/.test(l)), 'no cost without a price');
});
