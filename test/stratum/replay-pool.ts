// A loopback TCP peer that replays the pool side of the recorded Bitaxe/public-pool session (V3 in
// ../shared/reference/stratum-vectors.md): the same replies, difficulty and notify, byte for byte.
// A real public-pool needs a bitcoind behind it, which cannot run here; the recording stands in.
import net from 'node:net';
import tls from 'node:tls';
import { BITAXE } from '../core/vectors.js';
import { LinePeer, type Msg } from './helpers.js';

export interface ReplayOptions {
  tls?: { key: Buffer; cert: Buffer };
  /** difficulty sent after authorize (the recording: 512) */
  difficulty?: number;
  extranonce1?: string;
  extranonce2Size?: number;
  /** answer mining.configure (public-pool: yes) */
  configure?: boolean;
}

export class ReplayPool {
  readonly peers: LinePeer[] = [];
  readonly submits: unknown[][] = [];
  readonly requests: Msg[] = [];
  private server: net.Server | null = null;
  /** what to answer to mining.submit (default true) */
  onSubmit: (params: unknown[]) => { result: unknown; error: unknown } = () => ({ result: true, error: null });

  constructor(readonly opts: ReplayOptions = {}) {}

  get port(): number {
    return (this.server!.address() as net.AddressInfo).port;
  }

  async start(port = 0): Promise<void> {
    const onSocket = (s: net.Socket) => this.serve(LinePeer.wrap(s));
    this.server = this.opts.tls ? tls.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, onSocket) : net.createServer(onSocket);
    this.server.on('tlsClientError', () => {});
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', () => r()));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const p of this.peers) p.socket.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Sends a line to every connected client. */
  broadcast(m: Msg | string): void {
    for (const p of this.peers) if (!p.closed) typeof m === 'string' ? p.write(m) : p.send(m);
  }

  notify(clean = false, jobId: string = BITAXE.notify[0]): void {
    const params = [...BITAXE.notify] as unknown[];
    params[0] = jobId;
    params[8] = clean;
    this.broadcast({ id: null, method: 'mining.notify', params });
  }

  private serve(p: LinePeer): void {
    this.peers.push(p);
    const e1 = this.opts.extranonce1 ?? BITAXE.extranonce1;
    const size = this.opts.extranonce2Size ?? 4;
    const handle = (m: Msg) => {
      this.requests.push(m);
      switch (m.method) {
        case 'mining.configure':
          if (this.opts.configure === false) p.send({ id: m.id, result: null, error: [20, 'Unsupported method', null] });
          else p.send({ id: m.id, error: null, result: { 'version-rolling': true, 'version-rolling.mask': '1fffe000' } });
          break;
        case 'mining.subscribe':
          p.send({ id: m.id, error: null, result: [[['mining.notify', e1]], e1, size] });
          break;
        case 'mining.authorize':
          p.send({ id: m.id, error: null, result: true });
          p.send({ id: null, method: 'mining.set_difficulty', params: [this.opts.difficulty ?? 512] });
          p.send({ id: null, method: 'mining.notify', params: [...BITAXE.notify] });
          break;
        case 'mining.suggest_difficulty':
          p.send({ id: null, method: 'mining.set_difficulty', params: [m.params?.[0]] });
          break;
        case 'mining.submit': {
          this.submits.push(m.params ?? []);
          const r = this.onSubmit(m.params ?? []);
          p.send({ id: m.id, ...r });
          break;
        }
        default:
          break;
      }
    };
    p.onMsg = (m) => {
      if (m.method) handle(m);
    };
  }
}
