import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assembleHeader,
  bytesToHex,
  coinbaseTx,
  difficultyToTarget,
  headerHash,
  displayHash,
  merkleRoot,
  nbitsToDifficulty,
  nbitsToTarget,
  parseU32Hex,
  sha256d,
  type StratumJob,
} from '../../src/core/index.js';
import { parseNotify } from '../../src/stratum/index.js';
import { WorkerStats, merkleBranches, practiceJob, prefixBytesFor, validateShare, type JobRecord } from '../../src/work/index.js';
import { BITAXE, ESP_13 } from '../core/vectors.js';

function record(job: StratumJob, upstreamDifficulty = 1): JobRecord {
  return {
    id: job.jobId,
    job,
    sourceJobId: job.jobId,
    session: 1,
    ntime: parseU32Hex(job.ntime, 'ntime'),
    networkTarget: nbitsToTarget(parseU32Hex(job.nbits, 'nbits')),
    upstreamTarget: difficultyToTarget(upstreamDifficulty),
    createdAt: 0,
    seen: new Set(),
  };
}

const bitaxeJob = parseNotify([...BITAXE.notify]);
const v3 = { extranonce1: BITAXE.extranonce1, extranonce2Size: 4, ...BITAXE.submit, versionMask: BITAXE.mask };

// public-pool's StratumV1Client.spec.ts accepts this recorded Bitaxe share at session difficulty 512 (V3)
test('V3: the recorded Bitaxe share with version bits is accepted at difficulty 512', () => {
  const rec = record(bitaxeJob, 512);
  const v = validateShare(rec, { ...v3, target: difficultyToTarget(512) });
  assert.equal(v.ok, true);
  if (!v.ok) return;
  assert.equal(displayHash(v.hashRaw), BITAXE.hash);
  assert.equal(bytesToHex(v.header), BITAXE.header);
  assert.ok(Math.abs(v.difficulty - BITAXE.difficulty) < 0.01);
  assert.equal(v.version, 0x20002000);
  assert.equal(v.meetsUpstream, true);
  assert.equal(v.isBlock, false);
});

test('V3: the same share with its version bits ignored is rejected as low difficulty (23)', () => {
  const rec = record(bitaxeJob, 512);
  const { versionBits: _vb, ...noBits } = v3;
  const v = validateShare(rec, { ...noBits, target: difficultyToTarget(512) });
  assert.deepEqual(v.ok ? null : v.code, 23);
  assert.match(v.ok ? '' : v.message, /low difficulty/);
});

test('V3: duplicates (22), extranonce2 size (20), ntime window (20) and version-mask (20) checks', () => {
  const rec = record(bitaxeJob, 512);
  const t = difficultyToTarget(512);
  assert.equal(validateShare(rec, { ...v3, target: t }).ok, true);
  const dup = validateShare(rec, { ...v3, nonce: 'ED460D91', target: t });
  assert.deepEqual(dup.ok ? null : [dup.code, dup.message], [22, 'duplicate share']);
  const size = validateShare(record(bitaxeJob), { ...v3, extranonce2: 'c70800', target: t });
  assert.deepEqual(size.ok ? null : [size.code, size.message], [20, 'incorrect size of extranonce2: expected 4 bytes']);
  const early = validateShare(record(bitaxeJob), { ...v3, ntime: '64b3f3eb', target: t });
  assert.deepEqual(early.ok ? null : [early.code, early.message], [20, 'ntime out of range']);
  const late = validateShare(record(bitaxeJob), { ...v3, ntime: (0x64b3f3ec + 7201).toString(16), target: t });
  assert.deepEqual(late.ok ? null : late.code, 20);
  const mask = validateShare(record(bitaxeJob), { ...v3, versionBits: '00000001', target: t });
  assert.deepEqual(mask.ok ? null : [mask.code, mask.message], [20, 'version bits outside the negotiated mask']);
  const noMask = validateShare(record(bitaxeJob), { ...v3, versionMask: 0, target: t });
  assert.match(noMask.ok ? '' : noMask.message, /not negotiated/);
  const junk = validateShare(record(bitaxeJob), { ...v3, nonce: 'xyz', target: t });
  assert.deepEqual(junk.ok ? null : junk.code, 20);
});

// ESP-Miner test_mining.c "Test nonce diff checking 2" (V4): 13 branches, (int)diff == 683
test('V4: a mainnet job with 13 merkle branches validates with difficulty 683', () => {
  const job: StratumJob = {
    jobId: 'v4',
    prevhash: ESP_13.prevhash,
    coinb1: ESP_13.coinb1,
    coinb2: ESP_13.coinb2,
    merkleBranch: ESP_13.branches,
    version: ESP_13.version,
    nbits: ESP_13.nbits,
    ntime: ESP_13.ntime,
    cleanJobs: true,
  };
  const v = validateShare(record(job), {
    extranonce1: '01000000',
    extranonce2: '00000000',
    extranonce2Size: 4,
    ntime: '647025b5',
    nonce: '0a029ed1',
    versionMask: 0,
    target: difficultyToTarget(683),
  });
  assert.equal(v.ok, true);
  if (!v.ok) return;
  assert.equal(Math.floor(v.difficulty), 683);
  assert.equal(displayHash(v.hashRaw), '00000000005fe144efbc66241c0094b8fdc2702b7729226fdfed70ca8094c0b5');
  const hi = validateShare(record(job), {
    extranonce1: '01000000',
    extranonce2: '00000000',
    extranonce2Size: 4,
    ntime: '647025b5',
    nonce: '0a029ed1',
    versionMask: 0,
    target: difficultyToTarget(684),
  });
  assert.equal(hi.ok ? 0 : hi.code, 23);
});

test('merkle branches for the coinbase give the same root as the full tree', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 13]) {
    const txids = Array.from({ length: n }, (_, i) => bytesToHex(sha256d(Uint8Array.of(i))));
    const cb = sha256d(Uint8Array.of(0xcb));
    let level = [cb, ...txids.map((t) => Buffer.from(t, 'hex'))];
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i < level.length; i += 2) next.push(sha256d(Buffer.concat([level[i], level[i + 1] ?? level[i]])));
      level = next;
    }
    assert.equal(bytesToHex(merkleRoot(cb, merkleBranches(txids))), bytesToHex(level[0]), `${n} transactions`);
  }
});

test('practice jobs are correctly formed: BIP34 height, an extranonce push, a zero-value OP_RETURN that says practice', () => {
  const job = practiceJob({
    jobId: '1',
    height: 900_001,
    prevhash: '00'.repeat(32),
    txids: [bytesToHex(sha256d(Uint8Array.of(1)))],
    extranonceBytes: 8,
    nbits: 0x17027726,
    ntime: 1_750_000_000,
    clean: true,
  });
  const cb = coinbaseTx(job, '0102', '030405060708');
  const hex = bytesToHex(cb);
  // scriptSig: height push 03 + a1bb0d (900001 = 0x0dbba1, little-endian), then the tag, then one 8-byte push of the extranonce
  assert.ok(hex.startsWith(`01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff`));
  const scriptLen = cb[41];
  const script = cb.subarray(42, 42 + scriptLen);
  assert.equal(bytesToHex(script.subarray(0, 4)), '03a1bb0d');
  assert.equal(bytesToHex(script.subarray(script.length - 9)), '080102030405060708');
  assert.match(Buffer.from(cb).toString('latin1'), /micro-mining practice: earns nothing/);
  // one output, value 0, OP_RETURN
  const after = cb.subarray(42 + scriptLen + 4);
  assert.equal(after[0], 1);
  assert.equal(bytesToHex(after.subarray(1, 9)), '0000000000000000');
  assert.equal(after[10], 0x6a);
  assert.equal(bytesToHex(cb.subarray(cb.length - 4)), '00000000');
  // a header assembles; the network target is a plausible mainnet one
  const { header } = assembleHeader(job, { extranonce1: '0102', extranonce2: '030405060708' });
  assert.equal(headerHash(header).length, 32);
  assert.ok(nbitsToDifficulty(0x17027726) > 1e13);
});

test('the extranonce2 split keeps room for miners and for the hub', () => {
  assert.equal(prefixBytesFor(8), 4);
  assert.equal(prefixBytesFor(6), 2);
  assert.equal(prefixBytesFor(4), 2);
  assert.equal(prefixBytesFor(2), 1);
  assert.equal(prefixBytesFor(1), 0);
});

test('worker stats: one worker never touches another, hashrate from credited difficulty, 0 when offline', () => {
  let now = 1_000_000;
  const s = new WorkerStats({ now: () => now, windowS: 600 });
  s.connected('nerd', 'miner', { userAgent: 'NerdMinerV2', address: '192.168.1.20' });
  s.connected('bitaxe', 'miner', { userAgent: 'bitaxe v2.2' });
  for (let i = 0; i < 60; i++) {
    now += 10_000;
    s.accepted('nerd', 'miner', 0.0002 + i * 1e-6, 0.0001, 'j');
  }
  s.rejected('bitaxe', 'miner', 21, 'stale job');
  s.rejected('bitaxe', 'miner', 23, 'low difficulty share');
  const nerd = s.worker('nerd')!;
  const bitaxe = s.worker('bitaxe')!;
  assert.equal(nerd.accepted, 60);
  assert.equal(nerd.rejected, 0);
  assert.equal(bitaxe.accepted, 0);
  assert.equal(bitaxe.rejected, 2);
  assert.equal(bitaxe.stale, 1);
  assert.equal(bitaxe.lowDifficulty, 1);
  // 0.0001 * 2^32 per 10 s = ~42.9 kH/s, an ESP32's rate
  assert.ok(Math.abs(nerd.hashrate - (0.0001 * 2 ** 32) / 10) / nerd.hashrate < 0.05, String(nerd.hashrate));
  assert.ok(Math.abs(nerd.bestDifficulty - (0.0002 + 59e-6)) < 1e-12);
  assert.equal(nerd.lastShareAt, now);
  assert.equal(nerd.userAgent, 'NerdMinerV2');
  s.disconnected('nerd');
  assert.equal(s.worker('nerd')!.hashrate, 0, 'offline reads 0');
  assert.equal(s.worker('nerd')!.online, false);
  assert.equal(s.totals().accepted, 60);
});
