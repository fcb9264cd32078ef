// Issue 21 item 3: a `micro-mining worker` reports its computer's measured draw (RAPL through
// /sys/class/powercap, the whole CPU package) and the hub uses it as that worker's watts, labelled
// "measured", before any estimate. This machine has no powercap: the counters are a stand-in
// folder the test advances at 25 W; the hub and the agent are real, on loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startTestHub } from '../support/hub.js';
import { WorkerAgent } from '../../src/worker/index.js';
import type { StatusView, StatusWorker } from '../../src/app/hub/snapshot.js';
import { until } from './support.js';

const root = mkdtempSync(join(tmpdir(), 'mm-powercap-stand-in-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('an agent with RAPL counters (stand-in folder) reports measured watts; the hub shows them as measured', async () => {
  const zone = join(root, 'intel-rapl:0');
  mkdirSync(zone);
  writeFileSync(join(zone, 'name'), 'package-0\n');
  writeFileSync(join(zone, 'max_energy_range_uj'), '262143328850\n');
  const t0 = performance.now();
  const tick = () => writeFileSync(join(zone, 'energy_uj'), `${Math.round(((performance.now() - t0) / 1000) * 25 * 1e6)}\n`);
  tick();
  const counter = setInterval(tick, 50);
  const hub = await startTestHub({ args: ['--kernel', 'js'], overrides: { tickMs: 200 } });
  const agent = new WorkerAgent({
    hub: `stratum+tcp://127.0.0.1:${hub.server!.address().port}`,
    name: 'rapl-pc',
    threads: 1,
    kernel: 'js',
    nice: 0,
    hostname: 'rapl-pc',
    mac: null,
    yield: { maxLoadPercent: 100, resumeAfterS: 0, onBattery: false },
    suggestDifficulty: 0.00001,
    checkMs: 100,
    reportMs: 1000,
    loadMeter: () => 0,
    battery: () => null,
    powercapRoot: root,
    logger: pino({ level: 'silent' }),
  });
  try {
    await agent.start();
    const me = (): StatusWorker | undefined => (hub.status() as unknown as StatusView).workers.find((w) => w.name === 'rapl-pc');
    const w = await until(
      'the agent hashes and its measured watts arrive',
      () => {
        const x = me();
        return x && x.status === 'mining' && x.how === 'measured' ? x : undefined;
      },
      120_000,
    );
    console.log(`# measured by the agent (stand-in counters at 25 W): ${w.watts} W, how ${w.how}`);
    // the stand-in counter runs at 25 W; the reading spans about a second of it
    assert.ok(w.watts > 10 && w.watts < 40, `about 25 W: ${w.watts}`);
  } finally {
    clearInterval(counter);
    await agent.stop();
    await hub.stop();
  }
});
