// Issue 24 item 8: a token Home Assistant refuses is an ERROR naming the token and where to make
// one (not an INFO line), /api/status says so in `ha`, and the hub keeps running (it retries with
// back-off: 30 s doubling to every 5 min). The real CLI against a real HA Core (test/support/habed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { HubProcess } from './hub-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mm-ha-token-'));
let bed: HaTestBed;
before(async () => {
  bed = await startHaTestBed({ mqtt: false });
});
after(async () => {
  await bed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a refused HA token: one ERROR naming the token and where to make one, ha.error in /api/status, the hub keeps running (real CLI, real HA)', async () => {
  const wrong = `${bed.token.slice(0, -6)}XXXXXX`;
  const hub = new HubProcess(
    [
      '--data-dir',
      join(dir, 'data'),
      '--threads',
      '0',
      '--no-node-red',
      '--no-mqtt',
      '--stratum-port',
      '0',
      '--status-port',
      '0',
      '--ha-url',
      bed.url,
      '--ha-token',
      wrong,
    ],
    { HOME: dir, MM_LOG_FORMAT: 'pretty' },
  );
  try {
    await hub.waitFor(/hub running/);
    await hub.waitFor(/refused the token/);
    const lines = hub.out.split('\n').filter((l) => /refused the token/.test(l));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /ERROR/);
    assert.match(lines[0], /make a long-lived access token in your HA profile \(Security tab\) and give it with --ha-token or MM_HA_TOKEN/);
    assert.ok(!hub.out.includes(wrong), 'the token is never logged');
    assert.doesNotMatch(hub.out, /INFO.*auth_failed/, 'no INFO line for the refusal');
    const status = (await hub.apiStatus()) as { ha?: { connected: boolean; state: string; error: string | null }; haConnected: boolean | null };
    assert.equal(status.haConnected, false);
    assert.equal(status.ha?.connected, false);
    assert.equal(status.ha?.state, 'auth_failed');
    assert.match(status.ha?.error ?? '', /refused the token \(auth_invalid\): make a long-lived access token/);
    // the status page says it too, with the fix
    const page = await (await fetch(`${await hub.statusUrl()}/`)).text();
    assert.match(page, /Home Assistant: Home Assistant refused the token \(auth_invalid\): make a long-lived access token in your HA profile/);
    assert.equal(hub.child.exitCode, null, 'the hub keeps running');
  } finally {
    assert.equal(await hub.stop(), 0, hub.out.slice(-2000));
  }
});

test('in the add-on a refused Supervisor token names the fix there: restart the add-on', async () => {
  const { authInvalidText } = await import('../../src/ha/connection.js');
  assert.match(authInvalidText('ws://supervisor/core/websocket'), /refused the Supervisor token \(auth_invalid\): restart the add-on/);
  assert.match(authInvalidText('http://homeassistant.local:8123'), /--ha-token or MM_HA_TOKEN/);
});
