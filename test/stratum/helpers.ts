// Test helpers: a raw line-based Stratum peer on loopback, and a tiny share miner on the core.
import net from 'node:net';
import { assembleHeader, createJsKernel, difficultyToTarget, u32Hex, verifiedScan, type StratumJob } from '../../src/core/index.js';

export interface Msg {
  id?: number | string | null;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

/** A raw TCP peer that writes JSON lines and collects the lines it receives. */
export class LinePeer {
  readonly msgs: Msg[] = [];
  readonly raw: string[] = [];
  private buf = '';
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void; from: number }[] = [];
  closed = false;
  /** called for every message received */
  onMsg?: (m: Msg) => void;
  readonly closedP: Promise<void>;
  private nextId = 1;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (!line.trim()) continue;
        this.raw.push(line);
        let m: Msg;
        try {
          m = JSON.parse(line);
        } catch {
          continue;
        }
        this.msgs.push(m);
        this.onMsg?.(m);
        this.waiters = this.waiters.filter((w) => {
          if (w.pred(m)) {
            w.resolve(m);
            return false;
          }
          return true;
        });
      }
    });
    socket.on('error', () => {});
    this.closedP = new Promise((r) =>
      socket.on('close', () => {
        this.closed = true;
        r();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<LinePeer> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new LinePeer(s)));
      s.once('error', reject);
    });
  }

  static wrap(socket: net.Socket): LinePeer {
    return new LinePeer(socket);
  }

  write(line: string): void {
    if (!this.socket.destroyed) this.socket.write(line);
  }

  send(m: Msg): void {
    this.write(`${JSON.stringify(m)}\n`);
  }

  /** Sends a request and waits for the response with its id. */
  async call(method: string, params: unknown[], ms = 5000): Promise<Msg> {
    const id = this.nextId++;
    const p = this.wait((m) => m.id === id && m.method === undefined, ms, `reply to ${method}`);
    this.send({ id, method, params });
    return p;
  }

  /** Waits for a message (also one already received, when `fromStart`). */
  wait(pred: (m: Msg) => boolean, ms = 5000, what = 'message', fromStart = false): Promise<Msg> {
    if (fromStart) {
      const found = this.msgs.find(pred);
      if (found) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms; got ${this.raw.slice(-5).join(' | ')}`)), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
        from: this.msgs.length,
      });
    });
  }

  method(name: string, ms = 5000, fromStart = true): Promise<Msg> {
    return this.wait((m) => m.method === name, ms, name, fromStart);
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closedP;
  }
}

/** A miner's handshake: subscribe, authorize, optional suggest; returns the subscription and the first job. */
export async function handshake(
  peer: LinePeer,
  opts: { user?: string; password?: string; suggest?: number; agent?: string; configureMask?: string } = {},
): Promise<{ extranonce1: string; extranonce2Size: number; job: StratumJob; difficulty: number; versionMask: number }> {
  let versionMask = 0;
  if (opts.configureMask) {
    const c = await peer.call('mining.configure', [['version-rolling'], { 'version-rolling.mask': opts.configureMask }]);
    versionMask = parseInt((c.result as Record<string, string>)['version-rolling.mask'], 16);
  }
  const sub = await peer.call('mining.subscribe', [opts.agent ?? 'test-miner/1.0']);
  const [, extranonce1, extranonce2Size] = sub.result as [unknown, string, number];
  if (opts.suggest) await peer.call('mining.suggest_difficulty', [opts.suggest]);
  const auth = await peer.call('mining.authorize', [opts.user ?? 'alice.esp32', opts.password ?? 'x']);
  if (auth.result !== true) throw new Error(`authorize failed: ${JSON.stringify(auth.error)}`);
  const diffMsg = [...peer.msgs].reverse().find((m) => m.method === 'mining.set_difficulty') ?? (await peer.method('mining.set_difficulty'));
  const notify = [...peer.msgs].reverse().find((m) => m.method === 'mining.notify') ?? (await peer.method('mining.notify'));
  return { extranonce1, extranonce2Size, job: jobOf(notify.params!), difficulty: Number(diffMsg.params![0]), versionMask };
}

export function jobOf(p: unknown[]): StratumJob {
  return {
    jobId: String(p[0]),
    prevhash: String(p[1]),
    coinb1: String(p[2]),
    coinb2: String(p[3]),
    merkleBranch: p[4] as string[],
    version: String(p[5]),
    nbits: String(p[6]),
    ntime: String(p[7]),
    cleanJobs: Boolean(p[8]),
  };
}

const kernel = createJsKernel();

/** Finds `n` nonces of this job meeting the difficulty (with the JS kernel; keep difficulties tiny). */
export function mineShares(
  job: StratumJob,
  extranonce1: string,
  extranonce2: string,
  difficulty: number,
  n = 1,
  extra: { versionBits?: string; versionMask?: number; ntime?: string; start?: number } = {},
): { nonce: string; difficulty: number }[] {
  const { header } = assembleHeader(job, { extranonce1, extranonce2, ntime: extra.ntime, versionBits: extra.versionBits, versionMask: extra.versionMask });
  const target = difficultyToTarget(difficulty);
  const out: { nonce: string; difficulty: number }[] = [];
  let start = extra.start ?? 0;
  for (let round = 0; round < 2000 && out.length < n; round++) {
    for (const f of verifiedScan(kernel, header, start, 1 << 16, target)) {
      out.push({ nonce: u32Hex(f.nonce), difficulty: f.difficulty });
      if (out.length >= n) break;
    }
    start += 1 << 16;
  }
  if (out.length < n) throw new Error('mineShares: not enough shares; is the difficulty tiny?');
  return out;
}

export async function until(cond: () => boolean, ms: number, what = 'condition'): Promise<number> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - t0;
}
