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

/** A Julian year, the year of HA's `y` unit as people read it. */
export const SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY;

/**
 * The odds against finding a block in a day, "N to 1": (1 - p) / p = 1 / (e^λ - 1) for λ
 * expected blocks a day (about the expected number of days per block while λ is small).
 * Infinity when the hashrate is 0 or an input is invalid.
 */
export function oddsAgainstPerDay(hashrate: number, difficulty: number): number {
  if (!valid(hashrate, difficulty)) return Infinity;
  return 1 / Math.expm1((SECONDS_PER_DAY * hashrate) / (difficulty * TWO_POW_32));
}

/** What a price unit says: the currency and how many kWh its energy unit holds (`EUR/MWh` -> EUR, 1000). */
export interface PriceUnit {
  currency: string;
  kwhPerUnit: number;
}

const ENERGY_UNITS: Record<string, number> = { wh: 0.001, kwh: 1, mwh: 1000 };

/**
 * Reads an electricity price unit as HA sensors give it: `EUR/kWh`, `€/kWh`, `ct/kWh`, `EUR/MWh`,
 * `USD / kWh`. A unit without a known energy part (`EUR`, none) is taken as per kWh, the usual
 * tariff unit, with the whole text as the currency; a unit that names another denominator
 * (`EUR/m³`, a gas price) is refused (undefined), never misread.
 */
export function parsePriceUnit(unit: string | null | undefined): PriceUnit | undefined {
  const u = (unit ?? '').trim();
  if (u.length > 32) return undefined;
  const slash = u.lastIndexOf('/');
  if (slash < 0) return { currency: u, kwhPerUnit: 1 };
  const currency = u.slice(0, slash).trim();
  const per =
    ENERGY_UNITS[
      u
        .slice(slash + 1)
        .trim()
        .toLowerCase()
    ];
  return per === undefined ? undefined : { currency, kwhPerUnit: per };
}

/** Cost of mining for a day at a steady power (W) and a price in `unit`; NaN when unknown. */
export function costPerDay(powerW: number, price: number | null | undefined, unit: PriceUnit | undefined): number {
  if (!unit || typeof price !== 'number' || !Number.isFinite(price) || !(powerW >= 0) || !Number.isFinite(powerW)) return NaN;
  const kwhPerDay = (powerW * 24) / 1000;
  return (kwhPerDay / unit.kwhPerUnit) * price;
}
