// A real hub for tests, on free ports: a temporary data folder (removed after the test file), the
// Stratum endpoint and the status page on port 0, no Node-RED and no MQTT unless asked, the given
// policy (default always) and hub threads (default 0). Extra flags go last and win.
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/app/config.js';
import { Hub, type HubOverrides } from '../../src/app/hub.js';

export interface TestHubOptions {
  /** hub threads (default 0: the hub itself does not hash) */
  threads?: number;
  /** default 'always' */
  policy?: 'always' | 'idle_only' | 'surplus';
  /** MQTT: false (default: --no-mqtt), 'embedded' (the embedded broker), or a broker URL */
  mqtt?: false | 'embedded' | string;
  /** the embedded Node-RED on a free port (default off: --no-node-red) */
  nodeRed?: boolean;
  /** the local Stratum endpoint (default on, port 0) */
  stratum?: boolean;
  /** the data folder (default: a new temporary one, removed after the test file) */
  dataDir?: string;
  /** more flags, after the defaults */
  args?: readonly string[];
  /** the cores the configuration assumes (default: this machine's) */
  cores?: number;
  /** hub overrides (default tickMs 250) */
  overrides?: HubOverrides;
}

/** The flags of a test hub (for a test that starts `micro-mining start` itself, or checks them). */
export function testHubArgs(o: TestHubOptions & { dataDir: string }): string[] {
  return [
    '--data-dir',
    o.dataDir,
    ...(o.nodeRed ? ['--node-red-port', '0'] : ['--no-node-red']),
    ...(o.mqtt === 'embedded' ? [] : o.mqtt ? ['--mqtt', o.mqtt] : ['--no-mqtt']),
    ...(o.stratum === false ? ['--no-stratum'] : ['--stratum-port', '0']),
    '--status-port',
    '0',
    '--threads',
    String(o.threads ?? 0),
    '--policy',
    o.policy ?? 'always',
    ...(o.args ?? []),
  ];
}

/** A hub made from a test configuration, not started. */
export function testHub(o: TestHubOptions = {}): Hub {
  let dataDir = o.dataDir;
  if (!dataDir) {
    const dir = mkdtempSync(join(tmpdir(), 'mm-test-hub-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    dataDir = dir;
  }
  const config = loadConfig({ argv: testHubArgs({ ...o, dataDir }), env: {}, ...(o.cores ? { cores: o.cores } : {}) });
  return new Hub(config, { tickMs: 250, ...o.overrides });
}

/** A started test hub (stop it with hub.stop()). */
export async function startTestHub(o: TestHubOptions = {}): Promise<Hub> {
  const hub = testHub(o);
  await hub.start();
  return hub;
}
