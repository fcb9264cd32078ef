/**
 * What `micro-mining worker` prints: one log line when its state changes (working, paused by the
 * hub, yielding to this computer, waiting for the hub), never one per check or per report; and on
 * a terminal a live status line redrawn in place, log lines printed above it (like the hub's,
 * src/app/terminal.ts). Not on a terminal (a service, a pipe): the log lines only.
 */
import { redactUrl, setLogLineGuard, type Logger } from '../log.js';
import { formatHashrate } from '../core/index.js';
import type { AgentState } from './agent.js';

/** What the console writes the live line to: a stream with an optional TTY width. */
export interface ConsoleOut {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

/** The agent as the console sees it. */
export interface ConsoleAgent {
  state(): AgentState;
  on(event: 'state', fn: (s: AgentState) => void): unknown;
  off(event: 'state', fn: (s: AgentState) => void): unknown;
}

/** The state in words, for the log line and the live line. */
export function stateText(s: AgentState): string {
  if (!s.connected) return `waiting for the hub${s.state === 'yielding' && s.reason ? `; meanwhile yielding: ${s.reason}` : ''}`;
  if (s.state === 'paused') return `paused by the hub${s.reason && s.reason !== 'paused by the hub' ? `: ${s.reason}` : ''}`;
  if (s.state === 'yielding') return `yielding${s.reason ? `: ${s.reason}` : ''}`;
  if (s.state === 'idle') return s.hubThreads === 0 ? 'idle: the hub allows 0 threads' : 'idle';
  return `working, ${s.threads} thread${s.threads === 1 ? '' : 's'} (${s.kernel})`;
}

/** The live line: the hub, the state, the figures. */
export function workerStatusLine(s: AgentState, hub: string): string {
  const shares = `shares ${s.accepted} ok/${s.rejected} rej`;
  return [
    `hub ${redactUrl(hub).replace(/^stratum\+tcp:\/\//, '')} ${s.connected ? 'connected' : 'unreachable'}`,
    stateText(s),
    formatHashrate(s.threads > 0 ? s.hashrate : 0),
    shares,
  ].join(' | ');
}

export class WorkerConsole {
  private lastKey = '';
  private timer: NodeJS.Timeout | null = null;
  private drawn = false;
  private line = '';
  private readonly onState = (s: AgentState) => this.changed(s);

  constructor(
    private readonly agent: ConsoleAgent,
    private readonly log: Logger,
    private readonly hub: string,
    private readonly out: ConsoleOut = process.stdout,
  ) {}

  start(): void {
    this.agent.on('state', this.onState);
    this.changed(this.agent.state());
    if (!this.out.isTTY) return;
    setLogLineGuard({ before: () => this.clear(), after: () => this.draw() });
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
    this.tick();
  }

  stop(): void {
    this.agent.off('state', this.onState);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.out.isTTY) {
      setLogLineGuard(null);
      if (this.drawn) this.out.write('\n');
      this.drawn = false;
    }
  }

  /** One line per change of what the worker does (not per new figure in a reason). */
  private changed(s: AgentState): void {
    const key = s.connected ? `${s.state}|${s.threads}|${s.state === 'paused' ? (s.reason ?? '') : ''}|${s.kernel}` : `offline|${s.state === 'yielding'}`;
    if (key === this.lastKey) return;
    const first = this.lastKey === '';
    this.lastKey = key;
    // the first "waiting for the hub" is said by the connection itself (connected, or the fix)
    if (first && !s.connected) return;
    this.log.info({ state: s.state, threads: s.threads, connected: s.connected, controlled: s.controlled, accepted: s.accepted }, stateText(s));
  }

  private tick(): void {
    const width = Math.max(20, (this.out.columns || 120) - 1);
    const full = workerStatusLine(this.agent.state(), this.hub);
    this.line = full.length > width ? `${full.slice(0, width - 1)}…` : full;
    this.draw();
  }

  private clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(): void {
    if (!this.line) return;
    this.out.write(`\r\x1b[2K${this.line}`);
    this.drawn = true;
  }
}
