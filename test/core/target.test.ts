import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DIFF1,
  InputError,
  difficultyToTarget,
  hashDifficulty,
  hashrateFromShares,
  headerHash,
  hexToBytes,
  meetsTarget,
  nbitsToDifficulty,
  nbitsToTarget,
  targetToBytesLE,
  targetToDifficulty,
  targetToNbits,
} from '../../src/core/index.js';
import { BLOCK_125552, GENESIS } from './vectors.js';

test('nBits expand to targets and back', () => {
  assert.equal(nbitsToTarget(0x1d00ffff), DIFF1);
  assert.equal(DIFF1.toString(), '26959535291011309493156476344723991336010898738574164086137773096960');
  assert.equal(targetToNbits(DIFF1), 0x1d00ffff);
  assert.equal(nbitsToDifficulty(0x1d00ffff), 1);
  assert.equal(Math.round(nbitsToDifficulty(BLOCK_125552.nbits) * 100) / 100, 244112.49);
  assert.equal(targetToNbits(nbitsToTarget(0x1705ae3a)), 0x1705ae3a);
  assert.throws(() => nbitsToTarget(0x1d80ffff), /negative/);
});

test('targetToNbits round-trips every canonical compact value', () => {
  fc.assert(
    fc.property(fc.integer({ min: 4, max: 32 }), fc.integer({ min: 0x8000, max: 0x7fffff }), (exp, mant) => {
      const nbits = ((exp << 24) | mant) >>> 0;
      assert.equal(targetToNbits(nbitsToTarget(nbits)), nbits);
    }),
  );
});

test('pool difficulty and share targets', () => {
  assert.equal(difficultyToTarget(1), DIFF1);
  assert.equal(difficultyToTarget(512), DIFF1 / 512n);
  assert.equal(difficultyToTarget(0.5), DIFF1 * 2n);
  // a NerdMiner-sized fractional difficulty stays accurate
  const d = 0.00015;
  assert.ok(Math.abs(targetToDifficulty(difficultyToTarget(d)) / d - 1) < 1e-12);
  assert.throws(() => difficultyToTarget(0), InputError);
  assert.throws(() => difficultyToTarget(Number.NaN), /positive number/);
  assert.throws(() => difficultyToTarget(-1), InputError);
});

test('share difficulty of real hashes', () => {
  const g = headerHash(hexToBytes(GENESIS.header, 'h', 80));
  assert.equal(Math.round(hashDifficulty(g) * 1000) / 1000, 2536.426);
  const b = headerHash(hexToBytes(BLOCK_125552.header, 'h', 80));
  assert.equal(Math.round(hashDifficulty(b) * 10) / 10, 35987218905.5);
  assert.ok(meetsTarget(g, nbitsToTarget(GENESIS.nbits)));
  assert.ok(meetsTarget(g, difficultyToTarget(2536)));
  assert.ok(!meetsTarget(g, difficultyToTarget(2537)));
});

test('target bytes are little-endian like a raw hash', () => {
  const t = targetToBytesLE(DIFF1);
  // DIFF1 = 0xFFFF * 2^208: bytes 26 and 27 of the little-endian form, nothing above or below
  assert.equal(t[27], 0xff);
  assert.equal(t[26], 0xff);
  assert.equal(t[28], 0);
  assert.equal(t[25], 0);
});

test('hashrate from shares: sum of difficulty * 2^32 / seconds', () => {
  assert.equal(hashrateFromShares(600, 600), 2 ** 32);
  assert.equal(hashrateFromShares(10, 0), 0);
});
