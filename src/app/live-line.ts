// The compact live line (a terminal of any width) and the summary printed once on Ctrl-C. Pure:
// both render a HubStatus (src/app/status.ts) with the one number formatter (src/core/format.ts).
//
//   24.2 MH/s | block/day 547 billion to 1 | 12 W (estimated) | 0.07 EUR/day | practice … | shares …
//
// The first four figures (hashrate, odds, watts with their source, cost per day when a price is
// known, else energy per day) always show; what else fits the width follows, least important last.
import {
  formatCount,
  formatDifficulty,
  formatDuration,
  formatEnergy,
  formatHashrate,
  formatOdds,
  formatSignificant,
  type FigureSource,
} from '../core/index.js';
import type { HubStatus } from './status.js';

declare module './hub/sections.js' {
  interface HubSections {
    /** the electricity price (HA's price sensor), when one is configured (snapshot.ts) */
    electricityPrice: { value: number | null; unit: string | null };
  }
}

/** A price per kWh and its currency from HA's price sensor ("EUR/kWh", "ct/kWh", "EUR/MWh"); null when unknown. */
export function pricePerKwh(s: Pick<HubStatus, 'electricityPrice'>): { value: number; currency: string } | null {
  const p = s.electricityPrice;
  if (!p || p.value === null || !Number.isFinite(p.value) || !p.unit) return null;
  const m = /^\s*(.+?)\s*\/\s*(k|M)?Wh\s*$/i.exec(p.unit);
  if (!m) return null;
  const per = m[2]?.toLowerCase() === 'm' ? 1000 : m[2] ? 1 : 0.001;
  return { value: p.value / per, currency: m[1] };
}

/** Where the mining's watts come from, as one word: a sum with an estimate in it is an estimate. */
export function powerSource(s: Pick<HubStatus, 'powerHow'>): FigureSource {
  const how = s.powerHow ?? 'estimated';
  if (/estimated/.test(how)) return 'estimated';
  if (/declared/.test(how)) return 'declared';
  return 'measured';
}

/** The watts with their source, short: "12 W est.", "27 W (declared+est.)". */
function shortPower(text: string): string {
  return text
    .replace(/\(estimated\)$/, 'est.')
    .replace(/\(measured\)$/, 'meas.')
    .replace(/\(declared\)$/, 'decl.')
    .replace(/estimated/g, 'est.');
}

/** What a day of mining at the current watts costs ("0.07 EUR/day"), else the energy ("288 Wh/day"). */
export function perDayText(s: HubStatus): string {
  const kwhDay = (Math.max(0, s.powerW) * 24) / 1000;
  const price = pricePerKwh(s);
  if (price) return `${formatSignificant(kwhDay * price.value, 2)} ${price.currency}/day`;
  return `${formatEnergy(kwhDay)}/day`;
}

/**
 * One line of at most `width - 1` columns: the four figures always (short forms when the long
 * ones do not fit), then the source, shares, threads and best difficulty as they fit.
 * `power` is the terminal's power text (terminal.ts powerText).
 */
export function compactLine(s: HubStatus, width: number, power: string): string {
  const w = Math.max(20, Math.floor(width) - 1);
  const hashrate = formatHashrate(s.mining ? s.hashrate : 0);
  const odds = formatOdds(s.oddsPerDay);
  const long = [hashrate, `block/day ${odds}`, power, perDayText(s)];
  const short = [hashrate, s.oddsPerDay > 0 ? `${odds}/day` : 'no block odds', shortPower(power), perDayText(s)];
  let line = long.join(' | ');
  if (line.length > w) line = short.join(' | ');
  if (line.length > w) line = short.join(' ');
  if (line.length > w) return `${line.slice(0, w - 1)}…`;
  const hashing = s.workers.filter((x) => x.status === 'mining').length;
  const source =
    s.mode === 'practice' ? 'practice (earns nothing, no pool)' : s.mode === 'solo' ? 'solo' : s.connection === 'connected' ? 'pool' : 'pool: reconnecting';
  const extras = [
    // the source whole, or one word when that is all that fits
    [source, s.mode === 'practice' ? 'practice' : ''],
    [`shares ${s.shares.accepted} ok/${s.shares.rejected} rej/${s.shares.stale} stale`],
    [`hub ${s.threads} thr, ${hashing} miner${hashing === 1 ? '' : 's'}`],
    [`best ${formatDifficulty(s.bestDifficulty.session)}`],
  ];
  for (const forms of extras) {
    const x = forms.find((f) => f && line.length + 3 + f.length <= w);
    if (x) line += ` | ${x}`;
  }
  return line;
}

/**
 * What a session did, sampled from the hub's status while it runs (every second): the time it
 * mined, and the first and last figures. summary() renders the lines printed on Ctrl-C.
 */
export class SessionTally {
  private first: HubStatus | null = null;
  private last: HubStatus | null = null;
  private lastAt = 0;
  private minedS = 0;

  observe(s: HubStatus, at = Date.now()): void {
    if (!this.first) this.first = s;
    else if (this.last?.mining && at > this.lastAt) this.minedS += Math.min(60, (at - this.lastAt) / 1000);
    this.last = s;
    this.lastAt = at;
  }

  /** The summary lines; none before the first status. */
  summary(at = Date.now()): string[] {
    const first = this.first;
    const last = this.last;
    if (!first || !last) return [];
    // the part of the last interval since the last sample counts when it was mining
    const minedS = this.minedS + (last.mining ? Math.min(60, Math.max(0, (at - this.lastAt) / 1000)) : 0);
    const ranS = Math.max(0, (at - last.startedAt) / 1000);
    const kwh = Math.max(0, last.energyKWh - first.energyKWh);
    const source = powerSource(last);
    const price = pricePerKwh(last);
    const sh = last.shares;
    const energy = formatEnergy(kwh, source);
    return [
      `session: mined ${formatDuration(minedS)} of ${formatDuration(ranS)} running`,
      `  shares: ${formatCount(sh.accepted)} accepted, ${formatCount(sh.rejected)} rejected${sh.stale ? `, ${formatCount(sh.stale)} stale` : ''}`,
      `  energy: ${energy}${/ kWh/.test(energy) ? '' : ` = ${formatSignificant(kwh, 3)} kWh`}`,
      ...(price ? [`  cost: ${formatSignificant(kwh * price.value, 3)} ${price.currency} (${source})`] : []),
    ];
  }
}
