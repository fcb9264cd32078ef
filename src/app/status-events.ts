// Server-sent events of the status page (`GET api/events`): one `snapshot` event per hub tick with
// the JSON of `/api/status`. Bounded: at most `max` clients (503 beyond, saying so), a client that
// does not read (more than 1 MiB waiting) is dropped, a heartbeat comment keeps proxies (HA's
// ingress) from closing an idle stream, and stop() ends every stream.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const SSE_MAX_CLIENTS = 16;
const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED = 1 << 20;

export class EventStreams {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;
  private last: string | null = null;

  constructor(
    private readonly max = SSE_MAX_CLIENTS,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Opens one stream (or answers 503 when `max` are open); the last snapshot is sent at once. */
  open(req: IncomingMessage, res: ServerResponse, first: () => string): void {
    if (this.clients.size >= this.max) {
      res
        .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' })
        .end(`too many live views: at most ${this.max} pages may follow this hub at once; close one and reload\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 5000\n\n');
    this.clients.add(res);
    const gone = () => this.clients.delete(res);
    req.on('close', gone);
    res.on('close', gone);
    res.on('error', gone);
    this.send(res, this.last ?? first());
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const c of this.clients) this.write(c, ': heartbeat\n\n');
      }, this.heartbeatMs);
      this.timer.unref();
    }
  }

  /** Sends one snapshot (its JSON) to every open stream. */
  publish(json: string): void {
    this.last = json;
    for (const c of this.clients) this.send(c, json);
  }

  /** Ends every stream (the server stops). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private send(res: ServerResponse, json: string): void {
    // JSON.stringify leaves no raw newline in its output: one data line
    this.write(res, `event: snapshot\ndata: ${json}\n\n`);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableLength > MAX_BUFFERED) {
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}
