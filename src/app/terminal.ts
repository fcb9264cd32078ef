import { setLogLineGuard } from '../log.js';
import { compactLine, perDayText } from './live-line.js';
import { formatDifficulty, formatHashrate, formatOdds, formatPower } from '../core/index.js';
import type { HubStatus } from './status.js';

/** The source as a word or two: practice has no pool, so it never says "connected". */
function sourceText(s: HubStatus): string {
  if (s.mode === 'practice') return 'practice (earns nothing, no pool)';
  if (s.mode === 'solo')
    return s.node?.state === 'ready' ? `solo ${s.node.chain ?? ''} h${s.node.height ?? '?'}` : `solo: node ${s.node?.state ?? 'connecting'}`;
  return s.connection === 'connected' ? 'pool' : 'pool: reconnecting';
}

/** The miners that hash now ("2 miners"): an offline, paused or yielding worker is not counted. */
export function minersText(s: HubStatus): string {
  const hashing = s.workers.filter((w) => w.status === 'mining').length;
  return `${hashing} miner${hashing === 1 ? '' : 's'}`;
}

/** The mining's power and where its figures come from: `12 W (estimated)`, `27 W (declared+estimated)` (the one formatter). */
export function powerText(s: HubStatus & { powerHow?: string }): string {
  if (!s.powerHow) return formatPower(s.powerW);
  const from = (['measured', 'plug', 'declared', 'estimated'] as const).filter((h) => s.powerHow!.includes(h));
  if (from.length === 0) return formatPower(s.powerW);
  if (from.length === 1 && from[0] !== 'plug') return formatPower(s.powerW, from[0]);
  return `${formatPower(s.powerW)} (${from.join('+')})`;
}

/**
 * The parts of the status line, most important first: the source, the decision, then the figures.
 * The decision is never the one left out.
 */
export function statusParts(s: HubStatus): { key: string; text: string }[] {
  return [
    { key: 'source', text: sourceText(s) },
    { key: 'decision', text: s.decision },
    // how many hub threads run and, when fewer than the cores may, what limits them
    { key: 'limit', text: s.threadLimit ?? '' },
    { key: 'hashrate', text: `${formatHashrate(s.mining ? s.hashrate : 0)} (hub ${s.threads} thr, ${minersText(s)})` },
    { key: 'shares', text: `shares ${s.shares.accepted} ok/${s.shares.rejected} rej/${s.shares.stale} stale` },
    { key: 'best', text: `best ${formatDifficulty(s.bestDifficulty.session)} (all ${formatDifficulty(s.bestDifficulty.allTime)})` },
    { key: 'odds', text: `block/day ${formatOdds(s.oddsPerDay)}` },
    { key: 'power', text: powerText(s) },
    // cost per day at the current watts when a price is known, else energy per day
    { key: 'perDay', text: perDayText(s) },
  ];
}

/** The whole status line (logs, files, a wide terminal): every part, the decision last. */
export function statusLine(s: HubStatus): string {
  const p = statusParts(s);
  const by = (k: string) => p.find((x) => x.key === k)!.text;
  return [by('source'), by('hashrate'), by('shares'), by('best'), by('odds'), by('power'), by('perDay'), by('limit'), by('decision')]
    .filter(Boolean)
    .join(' | ');
}

/** Words of `text` in lines of at most `width` characters (a longer word is cut). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const w = word.length > width ? `${word.slice(0, width - 1)}…` : word;
    if (!cur) cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}

/**
 * The status for a terminal `width` columns wide, as lines that each fit: one line when all fits;
 * otherwise the compact line (live-line.ts: hashrate, odds, watts and cost per day always, then
 * what fits), the decision wrapped below it, never cut, and what limits the hub's threads.
 */
export function statusLines(s: HubStatus, width: number): string[] {
  const w = Math.max(20, Math.floor(width) - 1); // the last column would wrap on some terminals
  const full = statusLine(s);
  if (full.length <= w) return [full];
  // the compact line: hashrate, odds, watts and cost (or energy) per day always, then what fits
  const head = compactLine(s, width, powerText(s));
  return [head, ...wrap(s.decision, w).slice(0, 4), ...(s.threadLimit ? wrap(s.threadLimit, w).slice(0, 2) : [])];
}

/** What TerminalLine writes to: a stream with an optional TTY width. */
export interface TerminalOut {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/**
 * Keeps the status on a terminal (redrawn in place, fitted to its width, log lines printed above
 * it: the status is cleared before each log line and drawn again after), or prints one line every
 * `everyMs` elsewhere.
 */
export class TerminalLine {
  private timer: NodeJS.Timeout | null = null;
  private lastPrint = 0;
  /** lines of the status now on the terminal (0: none) */
  private drawn = 0;
  private last: string[] = [];
  constructor(
    private readonly status: () => HubStatus,
    private readonly out: TerminalOut = process.stdout,
    private readonly everyMs = 30_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    if (this.out.isTTY) setLogLineGuard({ before: () => this.clear(), after: () => this.redraw() });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.out.isTTY) {
      setLogLineGuard(null);
      if (this.drawn) this.out.write('\n');
      this.drawn = 0;
    }
  }

  /** Draws the status now (also called every second). */
  tick(): void {
    if (this.out.isTTY) {
      this.last = statusLines(this.status(), this.out.columns || 80);
      this.redraw();
    } else if (Date.now() - this.lastPrint >= this.everyMs) {
      this.lastPrint = Date.now();
      this.out.write(`${statusLine(this.status())}\n`);
    }
  }

  /** Removes the status from the terminal; the cursor ends at the start of its first line. */
  private clear(): void {
    if (!this.drawn) return;
    this.out.write(`\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(this.drawn - 1)}`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.last.length) return;
    const clear = this.drawn ? `\r\x1b[2K${'\x1b[1A\x1b[2K'.repeat(this.drawn - 1)}` : '\r\x1b[2K';
    this.out.write(`${clear}${this.last.join('\n')}`);
    this.drawn = this.last.length;
  }
}
