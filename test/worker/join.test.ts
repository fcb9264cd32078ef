// The status page's "join this hub" panel (src/web/join.ts): the exact commands for the hub's
// address, the worker page link, the bind warnings on loopback, escaping (pure).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinCommands, lanAddresses, renderJoinPanel, type JoinView } from '../../src/web/index.js';

const base: JoinView = { lanAddress: '192.168.1.20', statusPort: 8099, stratumPort: 3333, stratumBind: '0.0.0.0', statusBind: '0.0.0.0', addon: false };

test("join panel: the commands for the hub's address, the link, and the bind warnings", () => {
  assert.deepEqual(joinCommands(base), {
    install: 'npm install -g http://192.168.1.20:8099/worker/package.tgz',
    run: 'micro-mining worker --hub stratum+tcp://192.168.1.20:3333 --name NAME',
  });
  const open = renderJoinPanel(base);
  assert.match(open, /npm install -g http:\/\/192\.168\.1\.20:8099\/worker\/package\.tgz/);
  assert.match(open, /<a href="worker">the worker page<\/a>/);
  assert.doesNotMatch(open, /class="warn"/);
  // standalone defaults: both on loopback; the panel names both flags
  const local = renderJoinPanel({ ...base, stratumBind: '127.0.0.1', statusBind: '127.0.0.1' });
  assert.match(local, /--stratum-bind 0\.0\.0\.0/);
  assert.match(local, /--status-bind 0\.0\.0\.0/);
  // the add-on: the download through HA, the file installed
  const addon = renderJoinPanel({ ...base, addon: true, lanAddress: 'homeassistant.local' });
  assert.match(addon, /href="worker\/package\.tgz" download/);
  assert.match(addon, /npm install -g \.\/micro-mining-worker\.tgz/);
  assert.doesNotMatch(addon, /status-bind/);
  // no endpoint: no command, the fix instead
  assert.equal(joinCommands({ ...base, stratumPort: null }), null);
  assert.match(renderJoinPanel({ ...base, stratumPort: null }), /endpoint is off/);
  // escaped
  assert.doesNotMatch(renderJoinPanel({ ...base, lanAddress: '<b>x' }), /<b>x/);
  for (const a of lanAddresses()) assert.match(a, /^\d+\.\d+\.\d+\.\d+$/);
});
