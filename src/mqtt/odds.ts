// What a hashrate is worth against a network difficulty: pure arithmetic, no I/O.
//
// A hash meets difficulty D with probability 1 / (D * 2^32) (diff1 target ≈ 2^224 / 2^256 * 2^32
// hashes per difficulty unit), so block finds are a Poisson process with rate h / (D * 2^32).

export const TWO_POW_32 = 4294967296;
export const SECONDS_PER_DAY = 86400;
/** Current block subsidy, 3.125 BTC, in satoshi (fees excluded: an honest lower estimate). */
export const DEFAULT_BLOCK_REWARD_SATS = 312_500_000;

function valid(hashrate: number, difficulty: number): boolean {
  return Number.isFinite(hashrate) && hashrate > 0 && Number.isFinite(difficulty) && difficulty > 0;
}

/** Expected seconds to find a block: D * 2^32 / h. Infinity when the hashrate is 0 or an input is invalid. */
export function expectedSecondsToBlock(hashrate: number, difficulty: number): number {
  if (!valid(hashrate, difficulty)) return Infinity;
  return (difficulty * TWO_POW_32) / hashrate;
}

/** Probability (0..1) of at least one block in a day: 1 - exp(-86400 h / (D * 2^32)). */
export function oddsPerDay(hashrate: number, difficulty: number): number {
  if (!valid(hashrate, difficulty)) return 0;
  // -expm1(-x) keeps precision for the tiny x of a CPU miner (1 - exp(-x) would round to 0).
  return -Math.expm1(-(SECONDS_PER_DAY * hashrate) / (difficulty * TWO_POW_32));
}

/**
 * Expected earnings per day in satoshi when a pool pays by contributed work (PPS/PPLNS on
 * average): blocks per day * reward * (1 - pool fee).
 */
export function earningsSatsPerDay(hashrate: number, difficulty: number, rewardSats = DEFAULT_BLOCK_REWARD_SATS, poolFee = 0): number {
  if (!valid(hashrate, difficulty) || !(rewardSats >= 0) || !(poolFee >= 0 && poolFee <= 1)) return 0;
  return ((SECONDS_PER_DAY * hashrate) / (difficulty * TWO_POW_32)) * rewardSats * (1 - poolFee);
}
