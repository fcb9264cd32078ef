// Command messages from HA's control entities (`<base>/hub/<key>/set`, `<base>/worker/<slug>/mining/set`)
// turned into MinerCommands, one at a time, with the true state confirmed after each.
//
// An outsider on the broker can publish without end (issue 24 item 13: 5,000 publishes wrote
// 15,147 log lines and grew the hub by 120 MB). So: commands are coalesced per topic (the last
// valid value wins; a pending one is replaced, never queued behind), the queue holds at most one
// entry per topic and at most `maxPending` topics, commands are applied at most `rate` a second
// (after a burst of as many; what arrives meanwhile coalesces), per-command log lines have a
// budget per window, and a flood is written once per window as one line with its counts. A handler slower
// than the timeout gets the state confirmed anyway, without a warning: only a handler that
// fails is warned about.
import type { Logger } from 'pino';
import { MAX_COMMAND_BYTES, parseCommand } from './commands.js';
import { COMMAND_KEYS, PAYLOAD_OFF, PAYLOAD_ON, workerSlug, type CommandKey } from './entities.js';
import type { ExtraEntity, MinerCommand, MinerSnapshot } from './types.js';

/** How long a command handler may take before the state is confirmed anyway, ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1000;
/** Topics with a command waiting (one entry per topic: the last value). */
export const DEFAULT_MAX_PENDING = 64;
/** Commands applied per second, sustained (a burst of as many goes at once); the rest coalesce while they wait. */
export const DEFAULT_COMMAND_RATE = 10;
/** Per-command log lines written in one window; the rest are counted in the window's summary. */
export const DEFAULT_LOG_BUDGET = 10;
export const DEFAULT_FLOOD_WINDOW_MS = 10_000;
/** Handlers past their timeout and still running; at this many, the next command waits for one. */
const MAX_OVERDUE = 4;
/** Replaced commands in one window that make a summary worth a line even within the log budget. */
const SUMMARY_COALESCED = 10;
/** Command messages in one window that make it a flood (a warning). */
const FLOOD_MESSAGES = 50;

export interface CommandCounters {
  commandsAccepted: number;
  commandsRejected: number;
  /** valid commands replaced by a later one on the same topic before they ran */
  commandsCoalesced: number;
  /** commands refused because `maxPending` topics were already waiting */
  commandsDropped: number;
  /** the most topics ever waiting at once */
  commandQueuePeak: number;
}

export interface CommandRouterOptions {
  baseTopic: string;
  /** The latest snapshot (the thread limit, the workers that exist). */
  snapshot: () => MinerSnapshot | undefined;
  onCommand: (command: MinerCommand) => void | Promise<void>;
  /** Publishes the true state after a command: of one hub entity (a key), or the model (a worker's switch). */
  confirm: (key: CommandKey | undefined) => Promise<void>;
  counters: CommandCounters;
  log: Logger;
  timeoutMs?: number;
  maxPending?: number;
  /** commands applied per second, sustained, with a burst of as many (default 10) */
  rate?: number;
  logBudget?: number;
  floodWindowMs?: number;
}

interface Entry {
  topic: string;
  /** the hub entity, undefined for a worker's switch */
  key: CommandKey | undefined;
  /** undefined: a bad payload, only the true state is confirmed */
  command: MinerCommand | undefined;
}

interface FloodWindow {
  start: number;
  received: number;
  applied: number;
  coalesced: number;
  rejected: number;
  ignored: number;
  dropped: number;
  /** per-command lines written / suppressed in this window */
  lines: number;
  suppressed: number;
}

export class CommandRouter {
  readonly timeoutMs: number;
  private readonly queue = new Map<string, Entry>();
  private running = false;
  private stopped = false;
  private overdue = 0;
  private overdueSettled: (() => void) | null = null;
  private window: FloodWindow | null = null;
  private windowTimer?: NodeJS.Timeout;
  private tokens: number;
  private refilledAt = Date.now();
  private pause?: { timer: NodeJS.Timeout; resolve: () => void };
  private readonly hubPrefix: string;
  private readonly workerPrefix: string;

  constructor(private readonly o: CommandRouterOptions) {
    this.timeoutMs = o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.tokens = o.rate ?? DEFAULT_COMMAND_RATE;
    this.hubPrefix = `${o.baseTopic}/hub/`;
    this.workerPrefix = `${o.baseTopic}/worker/`;
  }

  /** Topics with a command waiting now. */
  get pending(): number {
    return this.queue.size;
  }

  /** True while nothing waits and no command runs. */
  get idle(): boolean {
    return !this.running && this.queue.size === 0;
  }

  /** Takes a message; false when its topic is not a command topic of ours. */
  message(topic: string, payload: Buffer, retained: boolean): boolean {
    if (this.stopped) return topic.startsWith(this.hubPrefix) || topic.startsWith(this.workerPrefix);
    if (topic.startsWith(this.workerPrefix) && topic.endsWith('/mining/set')) {
      this.workerMessage(topic, payload, retained);
      return true;
    }
    if (topic.startsWith(this.workerPrefix) && topic.endsWith('/set')) return this.extraMessage(topic, payload, retained);
    if (!topic.startsWith(this.hubPrefix) || !topic.endsWith('/set')) return false;
    const key = topic.slice(this.hubPrefix.length, -'/set'.length);
    if (!(COMMAND_KEYS as readonly string[]).includes(key)) return this.extraMessage(topic, payload, retained);
    const w = this.tally();
    w.received++;
    if (retained) {
      // a retained command would act again on every start: never obey one
      w.ignored++;
      this.line('warn', { topic }, 'ignored a retained command (commands must not be retained)');
      return true;
    }
    const parsed = parseCommand(key, payload, this.o.snapshot()?.hub.maxThreadsLimit ?? 0);
    if (!parsed.ok) {
      this.o.counters.commandsRejected++;
      w.rejected++;
      this.line('warn', { topic, payload: printable(payload), reason: parsed.reason }, `ignored a bad command on ${topic}: ${parsed.reason}`);
      this.push({ topic, key: key as CommandKey, command: undefined });
      return true;
    }
    this.o.counters.commandsAccepted++;
    this.push({ topic, key: key as CommandKey, command: parsed.command });
    return true;
  }

  /** Drops what waits, writes the flood summary of the open window; no timer is left. */
  stop(): void {
    this.stopped = true;
    this.queue.clear();
    this.flushWindow();
    this.overdueSettled?.();
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
      this.pause = undefined;
    }
  }

  /**
   * A command to an entity a part added (ExtraEntity with `command`): `<base>/hub/<key>/set` or
   * `<base>/worker/<slug>/<key>/set`. Only keys the snapshot offers as command entities are taken;
   * the value goes to the part as text (at most MAX_COMMAND_BYTES, printable), which checks it.
   */
  private extraMessage(topic: string, payload: Buffer, retained: boolean): boolean {
    const snap = this.o.snapshot();
    let key: string;
    let worker: { id: string; extra?: ExtraEntity[] } | undefined;
    if (topic.startsWith(this.hubPrefix)) key = topic.slice(this.hubPrefix.length, -'/set'.length);
    else {
      const rest = topic.slice(this.workerPrefix.length, -'/set'.length);
      const cut = rest.lastIndexOf('/');
      if (cut <= 0) return false;
      const slug = rest.slice(0, cut);
      key = rest.slice(cut + 1);
      worker = snap?.workers.find((x) => workerSlug(x.id) === slug);
      if (!worker) return false;
    }
    const entity = (worker ? worker.extra : snap?.hub.extra)?.find((e) => e.key === key && e.command);
    if (!entity) return false;
    const w = this.tally();
    w.received++;
    if (retained) {
      w.ignored++;
      this.line('warn', { topic }, 'ignored a retained command (commands must not be retained)');
      return true;
    }
    const text = payload
      .subarray(0, MAX_COMMAND_BYTES + 1)
      .toString('utf8')
      .trim();
    if (payload.length > MAX_COMMAND_BYTES || !/^[\x20-\x7e]*$/.test(text)) {
      this.o.counters.commandsRejected++;
      w.rejected++;
      this.line('warn', { topic, payload: printable(payload) }, `ignored a bad command on ${topic}: at most ${MAX_COMMAND_BYTES} printable characters`);
      return true;
    }
    this.o.counters.commandsAccepted++;
    this.push({ topic, key: undefined, command: { kind: 'extra', key, ...(worker ? { worker: worker.id } : {}), value: text } });
    return true;
  }

  private workerMessage(topic: string, payload: Buffer, retained: boolean): void {
    const slug = topic.slice(this.workerPrefix.length, -'/mining/set'.length);
    const worker = this.o.snapshot()?.workers.find((x) => workerSlug(x.id) === slug);
    const w = this.tally();
    w.received++;
    if (retained || !worker) {
      w.ignored++;
      this.line('warn', { topic }, retained ? 'ignored a retained command (commands must not be retained)' : 'ignored a command for an unknown worker');
      return;
    }
    const text = payload.subarray(0, 16).toString('utf8').trim().toUpperCase();
    if (payload.length > 16 || (text !== PAYLOAD_ON && text !== PAYLOAD_OFF)) {
      this.o.counters.commandsRejected++;
      w.rejected++;
      this.line('warn', { topic, payload: printable(payload) }, `ignored a bad command on ${topic}: expected ${PAYLOAD_ON} or ${PAYLOAD_OFF}`);
      return;
    }
    this.o.counters.commandsAccepted++;
    this.push({ topic, key: undefined, command: { kind: 'worker_mining', worker: worker.id, on: text === PAYLOAD_ON } });
  }

  /** Queues an entry: the last valid value of a topic wins; a bad payload never displaces a valid one. */
  private push(e: Entry): void {
    const w = this.tally();
    const waiting = this.queue.get(e.topic);
    if (waiting) {
      if (e.command) {
        if (waiting.command) {
          this.o.counters.commandsCoalesced++;
          w.coalesced++;
        }
        waiting.command = e.command;
      }
    } else if (this.queue.size >= (this.o.maxPending ?? DEFAULT_MAX_PENDING)) {
      this.o.counters.commandsDropped++;
      w.dropped++;
      return;
    } else {
      this.queue.set(e.topic, e);
      if (this.queue.size > this.o.counters.commandQueuePeak) this.o.counters.commandQueuePeak = this.queue.size;
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        if (this.stopped) return;
        if (this.overdue >= MAX_OVERDUE) {
          // handlers that never finish must not pile up: wait for one (new commands keep coalescing)
          this.line('warn', { overdue: this.overdue }, `${this.overdue} command handlers have not finished; the next command waits for one`);
          await new Promise<void>((r) => (this.overdueSettled = r));
          this.overdueSettled = null;
          continue;
        }
        const wait = this.takeToken();
        if (wait > 0) {
          // past the rate: the commands that arrive meanwhile coalesce, the last value goes next
          await new Promise<void>((resolve) => (this.pause = { timer: setTimeout(resolve, wait), resolve }));
          this.pause = undefined;
          continue;
        }
        const next = this.queue.entries().next();
        if (next.done) return;
        const [topic, entry] = next.value;
        this.queue.delete(topic);
        if (entry.command) await this.apply(entry.command);
        if (this.stopped) return;
        // the handler normally published already; this confirms the entity's state either way
        await this.o.confirm(entry.key).catch((err: Error) => this.o.log.warn({ error: err.message }, 'MQTT publish failed'));
      }
    } finally {
      this.running = false;
    }
  }

  /** A token of the rate's bucket: 0 when one was taken, else the ms until there is one. */
  private takeToken(): number {
    const rate = this.o.rate ?? DEFAULT_COMMAND_RATE;
    const now = Date.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / rate) * 1000);
  }

  /** Runs the handler, waiting at most the timeout; a later failure is still reported. */
  private async apply(command: MinerCommand): Promise<void> {
    this.tally().applied++;
    this.line('info', { command }, 'command from Home Assistant');
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    let late = false;
    const run = Promise.resolve().then(() => this.o.onCommand(command));
    const settled = run.then(
      () => {
        if (late) this.o.log.debug({ command, ms: Date.now() - t0 }, 'command applied after its state was confirmed');
      },
      (err: Error) => {
        this.line(
          'warn',
          { error: err?.message, command },
          late ? 'command handler failed; its state was published' : 'command handler failed; publishing the true state',
        );
      },
    );
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), this.timeoutMs)));
    const first = await Promise.race([settled.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      late = true;
      this.overdue++;
      void settled.then(() => {
        this.overdue--;
        const r = this.overdueSettled;
        this.overdueSettled = null;
        r?.();
      });
    }
  }

  // ---- bounded logging ---------------------------------------------------------------------

  /** The open window's counts (a window opens with its first message and closes after floodWindowMs). */
  private tally(): FloodWindow {
    if (!this.window) {
      this.window = { start: Date.now(), received: 0, applied: 0, coalesced: 0, rejected: 0, ignored: 0, dropped: 0, lines: 0, suppressed: 0 };
      if (!this.stopped) {
        this.windowTimer = setTimeout(() => this.flushWindow(), this.o.floodWindowMs ?? DEFAULT_FLOOD_WINDOW_MS);
        this.windowTimer.unref?.();
      }
    }
    return this.window;
  }

  /** A per-command line, within the window's budget; past it, only counted. */
  private line(level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): void {
    const w = this.tally();
    if (w.lines < (this.o.logBudget ?? DEFAULT_LOG_BUDGET)) {
      w.lines++;
      this.o.log[level](fields, msg);
    } else w.suppressed++;
  }

  private flushWindow(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    const w = this.window;
    this.window = null;
    if (!w) return;
    if (w.suppressed === 0 && w.dropped === 0 && w.coalesced < SUMMARY_COALESCED) return;
    const secs = Math.max(1, Math.round((Date.now() - w.start) / 1000));
    const n = (x: number) => x.toLocaleString('en-US');
    const flood = w.received >= FLOOD_MESSAGES || w.dropped > 0;
    this.o.log[flood ? 'warn' : 'info'](
      {
        commands: w.received,
        windowS: secs,
        applied: w.applied,
        coalesced: w.coalesced,
        rejected: w.rejected,
        ignored: w.ignored,
        dropped: w.dropped,
        linesNotWritten: w.suppressed,
      },
      `${flood ? 'MQTT command flood' : 'MQTT commands'}: ${n(w.received)} command messages in ${secs} s; ${n(w.applied)} applied, ${n(w.coalesced)} replaced by a later value on the same topic, ${n(w.rejected)} bad, ${n(w.ignored)} ignored, ${n(w.dropped)} dropped (queue full)`,
    );
  }
}

function printable(b: Buffer): string {
  const s = b
    .subarray(0, 64)
    .toString('utf8')
    .replace(/[^\x20-\x7e]/g, '?');
  return b.length > 64 ? `${s}…(${b.length} bytes)` : s;
}
