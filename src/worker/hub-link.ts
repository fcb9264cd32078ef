/**
 * The worker's side of its connection to the hub, in the worker's words. The Stratum client it
 * shares with the hub speaks of "the pool" and logs every failed attempt; for a worker the other
 * end is the hub, and a hub that cannot be reached needs one line that names the fix, not a
 * warning every few seconds. `logger` is the logger to give the client: its connection lines
 * say "hub", a failed attempt is counted, and the line naming the fix is written on the first
 * failure, then at growing intervals (1, 2, 4, 8, then every 10 minutes) while it goes on.
 */
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';

/** The first repeat of "cannot reach the hub", ms; it doubles up to REPEAT_MAX_MS. */
const REPEAT_FIRST_MS = 60_000;
const REPEAT_MAX_MS = 600_000;

type LogFn = (...args: unknown[]) => void;
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export class HubLink {
  readonly logger: Logger;
  private readonly hub: string;
  private failures = 0;
  private nextWarnAt = 0;
  private repeatMs = REPEAT_FIRST_MS;
  private everConnected = false;

  constructor(
    private readonly log: Logger,
    hub: string,
    private readonly now: () => number = Date.now,
  ) {
    this.hub = redactUrl(hub);
    this.logger = this.wrap(log);
  }

  /** Failed attempts since the last connection. */
  get attempts(): number {
    return this.failures;
  }

  /** The fix for a hub that does not answer, in one sentence. */
  cannotReach(reason: string): string {
    return `cannot reach the hub at ${this.hub} (${reason}): is it running, and does it listen beyond 127.0.0.1 (--stratum-bind)?`;
  }

  /** A connection attempt failed (refused, timed out, no route). */
  failed(reason: string): void {
    this.failures++;
    const t = this.now();
    if (this.failures === 1 || t >= this.nextWarnAt) {
      const again = this.failures > 1 ? ` (${this.failures} attempts so far; trying again every 30 s at most)` : '';
      this.log.warn({ hub: this.hub, attempts: this.failures, reason }, `${this.cannotReach(reason)}${again}`);
      if (this.failures > 1) this.repeatMs = Math.min(REPEAT_MAX_MS, this.repeatMs * 2);
      this.nextWarnAt = t + this.repeatMs;
    } else this.log.debug({ hub: this.hub, attempts: this.failures, reason }, 'the hub did not answer; trying again');
  }

  /** The session with the hub is ready. */
  connected(): void {
    this.log.info({ hub: this.hub, attempts: this.failures + 1 }, this.everConnected ? 'connected to the hub again' : 'connected to the hub');
    this.everConnected = true;
    this.failures = 0;
    this.repeatMs = REPEAT_FIRST_MS;
    this.nextWarnAt = 0;
  }

  /** The connection was lost: the next failure is told at once. */
  lost(): void {
    this.log.warn({ hub: this.hub }, 'lost the connection to the hub; reconnecting');
    this.failures = 0;
    this.nextWarnAt = 0;
    this.repeatMs = REPEAT_FIRST_MS;
  }

  /** The client's lines, said for a worker (anything else passes unchanged). */
  private rewrite(level: (typeof LEVELS)[number], args: unknown[]): { level: (typeof LEVELS)[number]; args: unknown[] } | null {
    const hasObj = args.length > 0 && typeof args[0] === 'object' && args[0] !== null;
    const obj = hasObj ? { ...(args[0] as Record<string, unknown>) } : null;
    const msg = hasObj ? args[1] : args[0];
    if (typeof msg !== 'string') return { level, args };
    const errMsg = (obj?.err as { message?: unknown } | undefined)?.message;
    if (msg === 'connecting to pool') return { level: 'debug', args: [{ hub: this.hub }, 'connecting to the hub'] };
    if (msg === 'pool socket error' || msg === 'pool connection timed out') {
      this.failed(msg === 'pool connection timed out' ? 'no answer' : typeof errMsg === 'string' ? errMsg.replace(/^connect /, '') : 'connection failed');
      return null;
    }
    if (msg === 'pool session ready') return null; // connected() says it
    if (obj && 'pool' in obj) {
      obj.hub = obj.pool;
      delete obj.pool;
    }
    // the client's other lines ("message from the pool", "pool asked us to reconnect"); the hash
    // pool's and the job manager's own lines say "hub" already where they mean it
    const said = /\bhub\b/.test(msg) ? msg : msg.replace(/\bthe pool\b/g, 'the hub').replace(/\bpool\b/g, 'hub');
    return { level, args: obj ? [obj, said, ...args.slice(2)] : [said, ...args.slice(1)] };
  }

  private wrap(target: Logger): Logger {
    return new Proxy(target, {
      get: (t, prop, receiver) => {
        if (typeof prop === 'string' && (LEVELS as readonly string[]).includes(prop)) {
          return (...args: unknown[]) => {
            const r = this.rewrite(prop as (typeof LEVELS)[number], args);
            if (r) (t[r.level] as unknown as LogFn).apply(t, r.args);
          };
        }
        if (prop === 'child') return (...args: Parameters<Logger['child']>) => this.wrap(t.child(...args) as unknown as Logger);
        const v = Reflect.get(t, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as LogFn).bind(t) : v;
      },
    });
  }
}
