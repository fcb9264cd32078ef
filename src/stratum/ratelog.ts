/**
 * Log lines that a hostile peer could repeat without end, rate-limited: the first of a kind is
 * written at once, the rest of its window are counted and summed up in one line when the window
 * ends ("refused a connection … (1,234 more in 10 s)"). flush() is called by the owner's timer
 * and on stop; windows with nothing to report are forgotten, so the memory used stays bounded by
 * the number of kinds (fixed strings), whatever the flood.
 */
import type { Logger } from 'pino';

interface Window {
  start: number;
  suppressed: number;
  level: 'info' | 'warn';
  msg: string;
  fields: Record<string, unknown>;
}

export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.write('warn', kind, fields, msg);
  }

  info(kind: string, fields: Record<string, unknown>, msg: string): void {
    this.write('info', kind, fields, msg);
  }

  private write(level: 'info' | 'warn', kind: string, fields: Record<string, unknown>, msg: string): void {
    const w = this.windows.get(kind);
    if (w) {
      w.suppressed++;
      w.fields = fields;
      w.msg = msg;
      return;
    }
    this.windows.set(kind, { start: this.now(), suppressed: 0, level, msg, fields });
    this.log[level](fields, msg);
  }

  /** Writes the summary of every window that ended (all of them with `all`, e.g. on stop). */
  flush(all = false): void {
    const now = this.now();
    for (const [kind, w] of this.windows) {
      const ms = now - w.start;
      if (!all && ms < this.windowMs) continue;
      if (w.suppressed === 0) {
        this.windows.delete(kind);
        continue;
      }
      const secs = Math.max(1, Math.round(ms / 1000));
      this.log[w.level]({ ...w.fields, repeated: w.suppressed, windowS: secs }, `${w.msg} (${w.suppressed.toLocaleString('en-US')} more in ${secs} s)`);
      if (all) this.windows.delete(kind);
      // a flood still going on: the next window sums it up again, without a first line
      else this.windows.set(kind, { ...w, start: now, suppressed: 0 });
    }
  }

  /** Kinds with an open window (for tests and the memory check). */
  get open(): number {
    return this.windows.size;
  }
}
