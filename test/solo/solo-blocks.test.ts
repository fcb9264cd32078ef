// Solo mining against a real node: btcd in regtest on loopback. The hub takes its jobs from
// getblocktemplate and sends what meets the network target with submitblock; btcd decides.
// Regtest's target (nbits 207fffff) is met by every other hash, and every hub share (difficulty
// 0.001, about 4.3 million hashes) and every miner share is far below it: a block is certain
// within a bounded number of hashes, and the tests wait for the event, not for a time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBtcd, type Btcd } from '../support/btcd.js';
import { assembleHeader, difficultyToTarget, rollVersion, selectKernel, u32Hex, verifiedScan, type StratumJob } from '../../src/core/index.js';
import type { BlockOutcome } from '../../src/work/index.js';
import type { Hub } from '../../src/app/hub.js';
import { MINER_ADDRESS, PAYOUT_ADDRESS, RawStratum, hexOf, soloHub, until } from './support.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let node: Btcd;

before(async () => {
  node = await startBtcd({ miningAddress: MINER_ADDRESS });
  // getblocktemplate answers once a few blocks exist
  await node.ctl('generate', '3');
});
after(async () => {
  await node?.stop();
});

interface RawTx {
  vin: { coinbase?: string }[];
  vout: { value: number; scriptPubKey: { address?: string; addresses?: string[] } }[];
}

/** The block as btcd shows it (verbosity 2), and whether it is on the best chain. */
async function blockOnChain(hash: string): Promise<{ height: number; coinbase: RawTx; onChain: boolean }> {
  const b = await node.rpc<{ height: number; rawtx: RawTx[] }>('getblock', hash, 2);
  const atHeight = await node.rpc<string>('getblockhash', b.height);
  return { height: b.height, coinbase: b.rawtx[0], onChain: atHeight === hash };
}

function assertPaysUs(coinbase: RawTx): void {
  const paid = coinbase.vout.filter((o) => (o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0]) === PAYOUT_ADDRESS);
  assert.equal(paid.length, 1, `the coinbase pays the payout address: ${JSON.stringify(coinbase.vout)}`);
  assert.equal(paid[0].value, 50, 'the whole regtest subsidy (no fees in these blocks)');
  assert.ok(coinbase.vin[0].coinbase?.includes(hexOf('/micro-mining solo/')), `our text is in the coinbase: ${coinbase.vin[0].coinbase}`);
}

test('(a) the hub mines a regtest block on its own threads, btcd accepts it; (d) btcd restarted: the hub keeps running, says so, and resumes', async () => {
  const hub: Hub = soloHub(node.url, { threads: 1 });
  const results: (BlockOutcome & { worker: string })[] = [];
  const logs: string[] = [];
  try {
    const before = await node.rpc<number>('getblockcount');
    await hub.start();
    hub.manager.on('blockResult', (o: BlockOutcome & { worker: string }) => results.push(o));
    assert.equal(hub.status().mode, 'solo');
    assert.equal(hub.status().node?.chain, 'regtest');
    const first = await until('a block accepted by btcd', () => results.find((r) => r.accepted));
    assert.equal(first.worker, 'hub');
    const onNode = await blockOnChain(first.hash);
    assert.ok(onNode.onChain, "the block is on btcd's best chain");
    assert.ok(onNode.height > before, `height went up (${before} -> ${onNode.height})`);
    assertPaysUs(onNode.coinbase);
    await until('the blocks found sensor counts it', () => hub.status().blocksFound >= 1);
    assert.ok(hub.minerSnapshot().hub.blocksFound >= 1);
    console.log(`# (a) block ${onNode.height} ${first.hash} by the hub's thread, accepted in ${first.ms} ms`);

    // (d) the node goes away: the hub keeps running and says so
    await node.stop(true);
    const down = await until('the hub says the node is unreachable', () => (hub.status().node?.state === 'unreachable' ? hub.status() : undefined), 60_000);
    assert.match(down.node!.message ?? '', /unreachable .*is it running/);
    assert.equal(down.poolConnected, false);
    assert.ok(hub.server && hub.server.address().port > 0, 'the local endpoint still listens');
    const page = await fetch(`http://127.0.0.1:${hub.statusServer!.port}/`);
    assert.match(await page.text(), /unreachable/, 'the status page says so');
    logs.push(down.node!.message ?? '');
    // ... and comes back on the same address (btcd starts regtest afresh on every start, its log
    // says "Removing regression test database": the hub meets a new chain at height 0 and mines on it)
    const accepted = results.filter((r) => r.accepted).length;
    node = await startBtcd({ miningAddress: MINER_ADDRESS, dataDir: node.dataDir, rpcPort: node.rpcPort, p2pPort: node.p2pPort });
    await until('the hub is back on the node', () => hub.status().node?.state === 'ready', 60_000);
    const again = await until('a block after the restart', () => results.filter((r) => r.accepted)[accepted], 120_000);
    assert.ok((await blockOnChain(again.hash)).onChain, 'the block after the restart is on the best chain');
    console.log(`# (d) node away: "${logs[0]}"; back: block ${again.height} accepted`);
  } finally {
    await hub.stop();
  }
});

test('(b) a household miner process on the local endpoint finds a regtest block through the hub (hub threads 0), btcd accepts it', async () => {
  const hub: Hub = soloHub(node.url, { threads: 0 });
  const results: (BlockOutcome & { worker: string })[] = [];
  await hub.start();
  hub.manager.on('blockResult', (o: BlockOutcome & { worker: string }) => results.push(o));
  const port = hub.server!.address().port;
  const miner = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/household-miner.ts', '--url', `stratum+tcp://127.0.0.1:${port}`, '--user', 'kitchen-pc', '--threads', '1', '--json'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MM_LOG_LEVEL: 'warn' },
    },
  );
  let out = '';
  miner.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  miner.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => miner.once('exit', () => r()));
  try {
    const found = await until('a block from the household miner', () => results.find((r) => r.accepted && r.worker === 'kitchen-pc'));
    const onNode = await blockOnChain(found.hash);
    assert.ok(onNode.onChain, "the miner's block is on btcd's best chain");
    assertPaysUs(onNode.coinbase);
    assert.equal(hub.status().threads, 0, 'the hub itself did not hash');
    assert.ok(
      results.filter((r) => r.accepted).every((r) => r.worker === 'kitchen-pc'),
      "every block is the miner's",
    );
    console.log(`# (b) block ${onNode.height} ${found.hash} by kitchen-pc through the hub`);
  } catch (err) {
    console.log(out.slice(-3000));
    throw err;
  } finally {
    miner.kill('SIGTERM');
    await exited;
    await hub.stop();
  }
});

test('(c) a block by another miner on the node (btcctl generate 1): clean_jobs to the endpoint within the detection interval, a share on the old job is stale', async () => {
  const hub: Hub = soloHub(node.url, { threads: 0 });
  const client = new RawStratum();
  try {
    await hub.start();
    await client.open(hub.server!.address().port);
    const firstJob = await until('a first job', () => client.notifies[0], 30_000, 20);
    const seen = client.notifies.length;
    const tipBefore = await node.rpc<string>('getbestblockhash');
    const t0 = Date.now();
    const [mined] = JSON.parse(await node.ctl('generate', '1')) as string[];
    const clean = await until("a clean job after the other miner's block", () => client.notifies.slice(seen).find((n) => n.params[8] === true), 30_000, 10);
    const ms = clean.at - t0;
    // the job builds on the other miner's block (prevhash in Stratum word order)
    const prevDisplay = Buffer.from(clean.params[1] as string, 'hex');
    const words = Buffer.alloc(32);
    for (let i = 0; i < 32; i += 4) words.writeUInt32LE(prevDisplay.readUInt32BE(i), i);
    assert.equal(Buffer.from(words).reverse().toString('hex'), mined);
    assert.notEqual(mined, tipBefore);
    // detection: a long poll answers at once; the best-hash poll (1 s) is the backstop
    assert.ok(ms < 5000, `clean job ${ms} ms after generate 1`);
    // a share on the old job: stale (21)
    const en2 = '00'.repeat(client.extranonce2Size);
    const r = await client.call('mining.submit', ['raw-test', firstJob.params[0], en2, firstJob.params[7], '00000000']);
    assert.equal(r.result, null);
    assert.equal((r.error as [number, string])[0], 21, `stale: ${JSON.stringify(r.error)}`);
    console.log(`# (c) clean_jobs ${ms} ms after btcctl generate 1 returned; old-job share: ${JSON.stringify(r.error)}`);
  } finally {
    client.close();
    await hub.stop();
  }
});

test('(b) a miner rolling version bits (BIP310, as a Bitaxe does) finds a block: btcd accepts it with the rolled version', async () => {
  const hub: Hub = soloHub(node.url, { threads: 0 });
  const client = new RawStratum();
  const results: (BlockOutcome & { worker: string })[] = [];
  try {
    await hub.start();
    hub.manager.on('blockResult', (o: BlockOutcome & { worker: string }) => results.push(o));
    await client.open(hub.server!.address().port, { configureMask: '1fffe000' });
    assert.equal(client.versionMask, 0x1fffe000);
    const last = await until('a job', () => client.notifies[client.notifies.length - 1], 30_000, 20);
    const [jobId, prevhash, coinb1, coinb2, merkleBranch, version, nbits, ntime] = last.params as [
      string,
      string,
      string,
      string,
      string[],
      string,
      string,
      string,
    ];
    const job: StratumJob = { jobId, prevhash, coinb1, coinb2, merkleBranch, version, nbits, ntime, cleanJobs: true };
    const bits = 0x0aaa_a000 & client.versionMask;
    const extranonce2 = '00'.repeat(client.extranonce2Size);
    const a = assembleHeader(job, { extranonce1: client.extranonce1, extranonce2, versionBits: u32Hex(bits), versionMask: client.versionMask });
    const { kernel } = await selectKernel('auto');
    // the endpoint's starting difficulty 0.001: about 4.3 million hashes; at regtest's target any share is a block
    const [find] = verifiedScan(kernel, a.header, 0, 2 ** 30, difficultyToTarget(0.001), 1);
    assert.ok(find, 'a share within 2^30 nonces at difficulty 0.001');
    const r = await client.call('mining.submit', ['raw-test', jobId, extranonce2, ntime, u32Hex(find.nonce), u32Hex(bits)]);
    assert.equal(r.result, true, `share accepted: ${JSON.stringify(r.error)}`);
    const found = await until('the block of the rolled share', () => results.find((x) => x.accepted && x.worker === 'raw-test'), 30_000, 20);
    const b = await node.rpc<{ version: number; height: number }>('getblock', found.hash, 1);
    const rolled = rollVersion(parseInt(version, 16), bits, client.versionMask);
    assert.equal(b.version >>> 0, rolled, 'the block carries the rolled version');
    assert.notEqual(rolled, parseInt(version, 16));
    assert.equal(await node.rpc<string>('getblockhash', b.height), found.hash);
    console.log(`# (b) version-rolled block ${b.height}: version ${u32Hex(rolled)} (job ${version}, bits ${u32Hex(bits)})`);
  } finally {
    client.close();
    await hub.stop();
  }
});
