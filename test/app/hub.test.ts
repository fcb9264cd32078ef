// The hub from one configuration, standalone (no HA): practice jobs, the hub's thread scheduled
// directly (--no-node-red), the local endpoint, the embedded broker (its usual port taken by
// another program: it moves to a free port), the status page; lifetime totals survive a restart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testHub } from '../support/hub.js';
import { TotalsStore } from '../../src/app/store.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-hub-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// the embedded broker; practice difficulty 0.00001: ~43k hashes a share, so a share is certain
// within seconds even on a busy machine
const flags = { dataDir: dir, mqtt: 'embedded', threads: 1, args: ['--kernel', 'js', '--hub-max-load', '100', '--practice-difficulty', '0.00001'] } as const;

test('standalone hub: practice shares on the hub thread, a taken broker port is worked around, totals persist', async () => {
  // another program holds the port the embedded broker wants
  const squatter: Server = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
  const taken = (squatter.address() as { port: number }).port;
  const hub = testHub({ ...flags, overrides: { mqttPort: taken, tickMs: 500 } });
  try {
    await hub.start();
    assert.ok(hub.broker && hub.broker.port !== taken, 'the embedded broker moved to a free port');
    const s = await until('a practice share', () => {
      const st = hub.status();
      return st.shares.accepted > 0 ? st : undefined;
    });
    assert.equal(s.mode, 'practice');
    assert.equal(s.threads, 1);
    assert.match(s.decision, /^mining: 1 thread/);
    assert.ok(s.bestDifficulty.allTime > 0);
    const page = await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`);
    assert.equal(((await page.json()) as { mode: string }).mode, 'practice');
    // commands from the HA entities: the policy select and the threads number show on the page
    await hub.command({ kind: 'policy', policy: 'idle_only' });
    assert.equal(hub.status().policy, 'idle_only');
    await hub.command({ kind: 'threads', threads: 0 });
    assert.equal(hub.status().maxThreads, 0);
    await until('threads capped to 0', () => hub.status().threads === 0);
    // (raising the cap again restarts the thread only after the minimum pause: no flapping)
    // a command from the HA switch pauses the hub thread
    await hub.command({ kind: 'mining', on: false });
    await until('paused', () => hub.status().threads === 0);
  } finally {
    await hub.stop();
    await new Promise<void>((r) => squatter.close(() => r()));
  }
  // read back as the next start reads them (the store's own file format: src/app/store.ts)
  const saved = (await new TotalsStore(dir).load()).totals;
  assert.ok(saved.sharesAccepted > 0);
  // a new hub on the same data folder starts from the saved lifetime totals
  const again = testHub({ ...flags, overrides: { mqttPort: 0, tickMs: 5000 } });
  await again.start();
  try {
    assert.equal(again.status().bestDifficulty.allTime, saved.bestDifficulty);
    assert.equal(again.minerSnapshot().hub.bestDifficultyAllTime, saved.bestDifficulty);
  } finally {
    await again.stop();
  }
});
