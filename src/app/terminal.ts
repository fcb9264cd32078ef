import { formatDifficulty, formatHashrate, formatOdds, type HubStatus } from './status.js';

/** The live terminal line: hashrate, shares, best difficulty, odds and the policy decision. */
export function statusLine(s: HubStatus): string {
  const mode =
    s.mode === 'practice'
      ? 'practice (earns nothing)'
      : s.mode === 'solo'
        ? s.node?.state === 'ready'
          ? `solo ${s.node.chain ?? ''} h${s.node.height ?? '?'}`
          : `solo: node ${s.node?.state ?? 'connecting'}`
        : s.poolConnected
          ? 'pool'
          : 'pool: reconnecting';
  return [
    mode,
    `${formatHashrate(s.mining ? s.hashrate : 0)} (hub ${s.threads}/${s.maxThreads} thr, ${s.workers.length} miner${s.workers.length === 1 ? '' : 's'})`,
    `shares ${s.shares.accepted} ok/${s.shares.rejected} rej/${s.shares.stale} stale`,
    `best ${formatDifficulty(s.bestDifficulty.session)} (all ${formatDifficulty(s.bestDifficulty.allTime)})`,
    `block/day ${formatOdds(s.oddsPerDay)}`,
    `${Math.round(s.powerW)} W`,
    s.decision,
  ].join(' | ');
}

/** Keeps one status line on a terminal (rewritten in place), or prints one every `everyMs` elsewhere. */
export class TerminalLine {
  private timer: NodeJS.Timeout | null = null;
  private lastPrint = 0;
  constructor(
    private readonly status: () => HubStatus,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly everyMs = 30_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.out.isTTY) this.out.write('\n');
  }

  private tick(): void {
    const line = statusLine(this.status());
    if (this.out.isTTY) {
      const width = this.out.columns || 160;
      this.out.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
    } else if (Date.now() - this.lastPrint >= this.everyMs) {
      this.lastPrint = Date.now();
      this.out.write(`${line}\n`);
    }
  }
}
