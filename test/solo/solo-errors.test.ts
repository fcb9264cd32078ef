// Solo mining, what goes wrong, on a real btcd in regtest: a payout address of another network,
// wrong RPC credentials, a node that is still syncing. Each gets a message that names the problem
// and the fix; the first two stop the hub from starting (waiting cannot fix them), a syncing node
// is waited for and mining starts when it has caught up.
//
// "Syncing" here is btcd's own rule, not a stand-in: getblocktemplate answers -10 ("Bitcoin is
// downloading blocks...") while the chain's tip is more than a day old (btcd's IsCurrent). A
// fresh btcd is given one block with a 2011 timestamp (mined here at regtest difficulty and sent
// with submitblock), which makes it exactly such a node. btcd's getblockchaininfo has no
// `initialblockdownload` field (Bitcoin Core's way of saying so); that path is the same message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBtcd, type Btcd } from '../support/btcd.js';
import { InputError, assembleHeader, hashToBigInt, headerHash, nbitsToTarget } from '../../src/core/index.js';
import { buildBlock, buildJob, parseTemplate, payoutScript } from '../../src/work/index.js';
import { MINER_ADDRESS, mainnetAddress, soloHub, until } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let node: Btcd;
before(async () => {
  node = await startBtcd({ miningAddress: MINER_ADDRESS });
  await node.ctl('generate', '3');
});
after(async () => {
  await node?.stop();
});

test('(e) a mainnet payout address on a regtest node: the hub does not start, the message names both networks', async () => {
  const address = mainnetAddress(7);
  const hub = soloHub(node.url, { threads: 0, payout: address });
  try {
    await assert.rejects(hub.start(), (err: Error) => {
      assert.ok(err instanceof InputError, `an input error (exit 2): ${err}`);
      assert.match(err.message, /payout_address \/ --payout-address/);
      assert.match(err.message, new RegExp(`${address} is a mainnet address, but the node is on regtest`));
      console.log(`# (e) ${err.message}`);
      return true;
    });
  } finally {
    await hub.stop();
  }
  // the real command: exit 2 and one line that names both networks
  const dir = mkdtempSync(join(tmpdir(), 'mm-solo-cli-'));
  const r = spawnSync(
    process.execPath,
    [
      'bin/micro-mining.js',
      'start',
      '--node',
      node.url,
      '--payout-address',
      address,
      '--data-dir',
      dir,
      '--no-mqtt',
      '--no-node-red',
      '--stratum-port',
      '0',
      '--status-port',
      '0',
      '--threads',
      '0',
    ],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, MM_LOG_LEVEL: 'error' },
    },
  );
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 2, `exit 2: ${r.stderr}`);
  assert.match(r.stderr, /micro-mining start: payout_address \/ --payout-address: .* is a mainnet address, but the node is on regtest/);
  assert.doesNotMatch(r.stderr + r.stdout, new RegExp(node.password), 'the RPC password is not printed');
  // not an address at all: said so, with the node's network
  assert.throws(() => payoutScript('bc1qnotanaddress000000', 'regtest'), /is not a Bitcoin address; give an address of your wallet on regtest/);
});

test('(e) wrong RPC credentials: the hub does not start, the message says HTTP 401 and what to check, without the password', async () => {
  const url = node.url.replace(`:${node.password}@`, ':wrong-password@');
  const hub = soloHub(url, { threads: 0 });
  try {
    await assert.rejects(hub.start(), (err: Error) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /refused the RPC credentials \(HTTP 401\): check the user and password/);
      assert.doesNotMatch(err.message, /wrong-password/);
      console.log(`# (e) ${err.message}`);
      return true;
    });
  } finally {
    await hub.stop();
  }
});

test('(e) a node that is still syncing (btcd: tip older than a day): the hub says so, waits, and mines once it has caught up', async () => {
  const fresh = await startBtcd({ miningAddress: MINER_ADDRESS });
  const hub = soloHub(fresh.url, { threads: 1 });
  try {
    // one block with an old timestamp (just after the genesis block's) makes btcd "not current"
    const t = parseTemplate(await fresh.rpc('getblocktemplate', { rules: ['segwit'] }));
    const old = t.mintime ?? t.curtime;
    const { job, work } = buildJob({
      template: { ...t, curtime: old },
      jobId: '1',
      payoutScript: payoutScript(MINER_ADDRESS, 'regtest'),
      extranonceBytes: 4,
      tag: '/old block/',
      segwit: true,
      clean: true,
    });
    const target = nbitsToTarget(parseInt(t.bits, 16));
    let header: Uint8Array | null = null;
    for (let nonce = 0; nonce < 1000 && !header; nonce++) {
      const h = assembleHeader(job, { extranonce1: '00000000', extranonce2: '', nonce }).header;
      if (hashToBigInt(headerHash(h)) <= target) header = h;
    }
    assert.ok(header, 'a regtest header within 1000 nonces (every other hash meets the target)');
    assert.equal(await fresh.rpc('submitblock', buildBlock(work, '00000000', header).hex), null);
    await assert.rejects(fresh.rpc('getblocktemplate', { rules: ['segwit'] }), /downloading blocks/, 'btcd itself says it is syncing');

    await hub.start(); // a syncing node is waited for, not an error that stops the hub
    const s = await until('the hub says the node is syncing', () => (hub.status().node?.state === 'syncing' ? hub.status() : undefined), 30_000);
    assert.match(
      s.node!.message ?? '',
      /the node is still syncing \(initial block download; it says: .*downloading blocks.*\): it gives no work until it has the current chain/,
    );
    assert.equal(s.poolConnected, false);
    console.log(`# (e) ${s.node!.message}`);
    // the node catches up (a current block): the hub starts mining on its own
    await fresh.ctl('generate', '1');
    await until('mining once the node is current', () => hub.status().node?.state === 'ready', 60_000);
    await until('a block accepted after the wait', () => (hub.status().node?.blocksAccepted ?? 0) >= 1, 120_000);
  } finally {
    await hub.stop();
    await fresh.stop();
  }
});
