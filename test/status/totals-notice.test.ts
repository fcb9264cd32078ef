// Issue 24 item 17: lifetime totals that could not be read are said on the status page and in
// /api/status, not only in the log: a real hub on a data folder whose totals file is garbage.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHub } from '../support/hub.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-notice-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a totals file that could not be read: the page and /api/status say what happened', async () => {
  writeFileSync(join(dir, 'totals.json'), '{"sharesAccepted": 12, "bestDiff');
  const hub = await startTestHub({ dataDir: dir });
  try {
    const port = hub.statusServer?.port ?? 0;
    const json = (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as { totals?: { notice: string | null } };
    assert.match(json.totals?.notice ?? '', /lifetime totals unreadable/);
    const html = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.match(html, /<p class="warn" id="totals-notice">lifetime totals unreadable/);
  } finally {
    await hub.stop();
  }
});
