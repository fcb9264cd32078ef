import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  InputError,
  assembleHeader,
  bytesToHex,
  coinbaseTx,
  displayHash,
  extranonce2Hex,
  hashDifficulty,
  headerHash,
  hexToBytes,
  merkleRoot,
  parseHeader,
  parseU32Hex,
  rollVersion,
  sha256d,
  type StratumJob,
} from '../../src/core/index.js';
import { BITAXE, BLOCK_125552, ESP_13, GENESIS } from './vectors.js';

test('genesis and block 125552 headers hash to their known block hashes', () => {
  assert.equal(displayHash(headerHash(hexToBytes(GENESIS.header, 'h', 80))), GENESIS.hash);
  assert.equal(displayHash(headerHash(hexToBytes(BLOCK_125552.header, 'h', 80))), BLOCK_125552.hash);
  const f = parseHeader(hexToBytes(GENESIS.header, 'h', 80));
  assert.equal(f.nonce, GENESIS.nonce);
  assert.equal(f.ntime, GENESIS.ntime);
  assert.equal(f.nbits, GENESIS.nbits);
  assert.equal(displayHash(f.merkleRootRaw), GENESIS.merkleRoot);
});

test('a Stratum job cut from the genesis coinbase rebuilds the genesis merkle root and header', () => {
  // split the coinbase inside its scriptSig: 4 bytes of extranonce1 and 4 of extranonce2
  const cb = GENESIS.coinbase;
  const at = 2 * 60;
  const job: StratumJob = {
    jobId: 'g',
    prevhash: '00'.repeat(32),
    coinb1: cb.slice(0, at),
    coinb2: cb.slice(at + 16),
    merkleBranch: [],
    version: '1',
    nbits: '1d00ffff',
    ntime: GENESIS.ntime.toString(16),
    cleanJobs: true,
  };
  const a = assembleHeader(job, { extranonce1: cb.slice(at, at + 8), extranonce2: cb.slice(at + 8, at + 16), nonce: GENESIS.nonce });
  assert.equal(bytesToHex(a.coinbase), cb);
  assert.equal(displayHash(a.merkleRootRaw), GENESIS.merkleRoot);
  assert.equal(bytesToHex(a.header), GENESIS.header);
  assert.equal(displayHash(headerHash(a.header)), GENESIS.hash);
});

test('the recorded Bitaxe job and submit rebuild the accepted share (version rolling)', () => {
  const [jobId, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean] = BITAXE.notify;
  const job: StratumJob = { jobId, prevhash, coinb1, coinb2, merkleBranch: [...branch], version, nbits, ntime, cleanJobs: clean };
  const cb = coinbaseTx(job, BITAXE.extranonce1, BITAXE.submit.extranonce2);
  assert.equal(bytesToHex(sha256d(cb)), BITAXE.coinbaseHashRaw);
  const a = assembleHeader(job, {
    extranonce1: BITAXE.extranonce1,
    extranonce2: BITAXE.submit.extranonce2,
    ntime: BITAXE.submit.ntime,
    nonce: BITAXE.submit.nonce,
    versionBits: BITAXE.submit.versionBits,
    versionMask: BITAXE.mask,
  });
  assert.equal(bytesToHex(a.merkleRootRaw), BITAXE.merkleRootRaw);
  assert.equal(a.version, 0x20002000);
  assert.equal(bytesToHex(a.header), BITAXE.header);
  const hash = headerHash(a.header);
  assert.equal(displayHash(hash), BITAXE.hash);
  assert.equal(Math.round(hashDifficulty(hash) * 1000) / 1000, BITAXE.difficulty);
  // ignoring the version bits hashes to nonsense: far below the session difficulty 512
  const plain = assembleHeader(job, { extranonce1: BITAXE.extranonce1, extranonce2: BITAXE.submit.extranonce2, nonce: BITAXE.submit.nonce });
  assert.ok(hashDifficulty(headerHash(plain.header)) < 1e-6);
});

test('the 13-branch mainnet job rebuilds its merkle root, header and difficulty 683', () => {
  const job: StratumJob = {
    jobId: 'esp',
    prevhash: ESP_13.prevhash,
    coinb1: ESP_13.coinb1,
    coinb2: ESP_13.coinb2,
    merkleBranch: ESP_13.branches,
    version: ESP_13.version,
    nbits: ESP_13.nbits,
    ntime: ESP_13.ntime,
    cleanJobs: false,
  };
  const a = assembleHeader(job, { extranonce1: ESP_13.extranonce1, extranonce2: ESP_13.extranonce2, nonce: ESP_13.nonce });
  assert.equal(bytesToHex(a.merkleRootRaw), ESP_13.merkleRootRaw);
  assert.equal(bytesToHex(a.header), ESP_13.header);
  assert.equal(displayHash(headerHash(a.header)), ESP_13.hash);
  assert.equal(Math.floor(hashDifficulty(headerHash(a.header))), 683);
});

test('ESP-Miner coinbase construction and extranonce2 counters', () => {
  const cb = coinbaseTx(
    {
      coinb1: '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008',
      coinb2: '072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
    },
    'e9695791',
    '99999999',
  );
  assert.equal(
    bytesToHex(cb),
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008e969579199999999072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000',
  );
  assert.equal(bytesToHex(sha256d(cb)), '5e3ed56048b29b7247b1f6eb1bfe762b0550adab59151904e9560871b2462edb');
  assert.equal(extranonce2Hex(0, 4), '00000000');
  assert.equal(extranonce2Hex(1, 4), '01000000');
  assert.equal(extranonce2Hex(2, 4), '02000000');
  assert.equal(extranonce2Hex(0xfffffffe, 4), 'feffffff');
  assert.equal(extranonce2Hex(Math.floor(0xffffffff / 2), 6), 'ffffff7f0000');
  assert.throws(() => extranonce2Hex(1n << 32n, 4), InputError);
});

test('version rolling follows BIP310', () => {
  assert.equal(rollVersion(0x20000000, 0x00002000, 0x1fffe000), 0x20002000);
  assert.equal(rollVersion(0x20000004, 0xffffffff, 0x00ffff00), 0x20ffff04);
  assert.equal(rollVersion(0x20000004, 0x00000100, 0), 0x20000004);
});

test('hex fields are parsed leniently on input and rejected clearly when malformed', () => {
  assert.equal(parseU32Hex('2402812d', 'nonce'), 0x2402812d);
  assert.equal(parseU32Hex('1d', 'nonce'), 0x1d); // NerdMiner drops leading zeros
  assert.throws(() => parseU32Hex('123456789', 'nonce'), /nonce: expected 1 to 8 hex digits/);
  assert.throws(() => parseU32Hex('xyz', 'nonce'), InputError);
  assert.throws(() => hexToBytes('abc', 'coinb1'), /coinb1: odd number of hex digits/);
  assert.throws(() => hexToBytes('zz', 'coinb1'), /coinb1: not hex/);
  assert.throws(() => hexToBytes('00', 'header', 80), /header: expected 80 bytes/);
  assert.throws(() => merkleRoot(new Uint8Array(32), ['00']), /merkle_branch\[0\]: expected 32 bytes/);
  assert.throws(() => merkleRoot(new Uint8Array(32), new Array(33).fill('00'.repeat(32))), /more than 32/);
});
