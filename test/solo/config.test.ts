// Solo settings: --node / MM_NODE / node, --node-cookie, --payout-address; the rules between them
// and the pool; the node URL's password masked when printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, maskSecrets } from '../../src/app/config.js';
import { InputError } from '../../src/core/index.js';

const ADDR = 'bcrt1qqgpqyqszqgpqyqszqgpqyqszqgpqyqszazmwwa';

test('a node from a flag, the environment or the file; practice off by itself; the password masked', () => {
  const c = loadConfig({ argv: ['--node', 'http://u:s3cret-pw@127.0.0.1:18443', '--payout-address', ADDR], env: {} });
  assert.deepEqual(c.node, { url: 'http://u:s3cret-pw@127.0.0.1:18443', cookieFile: null, payoutAddress: ADDR });
  assert.equal(c.practice, false);
  assert.equal(c.pool, null);
  assert.equal(c.sources.node, '--node http://u:***@127.0.0.1:18443');
  assert.doesNotMatch(JSON.stringify(maskSecrets(c)), /s3cret-pw/);
  const e = loadConfig({ env: { MM_NODE: 'http://127.0.0.1:8332', MM_NODE_COOKIE: '/var/lib/bitcoind/.cookie', MM_PAYOUT_ADDRESS: ADDR } });
  assert.equal(e.node?.cookieFile, '/var/lib/bitcoind/.cookie');
  const dir = mkdtempSync(join(tmpdir(), 'mm-solo-config-'));
  try {
    const file = join(dir, 'options.json');
    writeFileSync(file, JSON.stringify({ practice: false, node: 'http://u:p@10.0.0.2:8332', payout_address: ADDR }));
    assert.equal(loadConfig({ file, env: {} }).node?.url, 'http://u:p@10.0.0.2:8332');
    // the add-on's default practice: true keeps practice on, and says the node is not used
    writeFileSync(file, JSON.stringify({ practice: true, node: 'http://u:p@10.0.0.2:8332', payout_address: ADDR }));
    const p = loadConfig({ file, env: {} });
    assert.equal(p.node, null);
    assert.ok(p.warnings.some((w) => /node settings are not used/.test(w)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad solo settings name the setting and the fix', () => {
  const bad = (argv: string[], re: RegExp) =>
    assert.throws(
      () => loadConfig({ argv, env: {} }),
      (err: Error) => err instanceof InputError && re.test(err.message),
    );
  bad(['--node', 'http://u:p@127.0.0.1:8332'], /payout_address \/ --payout-address: is required with a node/);
  bad(['--payout-address', ADDR], /node \/ --node: is required when payout_address is given/);
  bad(['--node', 'http://127.0.0.1:8332', '--payout-address', ADDR], /node \/ --node .*has no RPC user and password, and no node_cookie is given/);
  bad(['--node', 'http://u:p@127.0.0.1', '--payout-address', ADDR], /needs the RPC port/);
  bad(['--node', 'stratum+tcp://u:p@127.0.0.1:3333', '--payout-address', ADDR], /must be an RPC URL like http:\/\/user:password@127.0.0.1:8332/);
  bad(
    ['--node', 'http://u:p@127.0.0.1:8332', '--payout-address', ADDR, '--pool', 'stratum+tcp://pool.example:3333', '--pool-user', 'x'],
    /node \/ --node .*is set together with pool: mine either at a pool or solo/,
  );
  bad(['--node', 'http://u:p@127.0.0.1:8332', '--payout-address', 'bc1q with spaces'], /must be a Bitcoin address/);
});
