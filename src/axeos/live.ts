// The optional live feed of recent AxeOS (v2.14+): websocket /api/ws/live sends the whole info
// object on connect, then the changed fields every ~500 ms as {"event":"update","data":{…}}.
// Frames are capped in size; a bad frame is skipped; the feed ends on any error (the caller polls).
import WebSocket from 'ws';

export interface LiveFeedOptions {
  /** http://host[:port] of the device */
  url: string;
  maxFrameBytes?: number;
  handshakeTimeoutMs?: number;
  /** no frame for this long: the feed is considered dead (default 15 s) */
  idleTimeoutMs?: number;
  localAddress?: string;
  onUpdate: (data: Record<string, unknown>) => void;
  onEnd: (why: string) => void;
}

export class LiveFeed {
  private ws: WebSocket | null;
  private ended = false;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly o: LiveFeedOptions) {
    const u = new URL(o.url);
    const wsUrl = `ws://${u.host}${u.pathname.replace(/\/+$/, '')}/api/ws/live`;
    this.ws = new WebSocket(wsUrl, {
      maxPayload: o.maxFrameBytes ?? 256 * 1024,
      handshakeTimeout: o.handshakeTimeoutMs ?? 4000,
      localAddress: o.localAddress,
      perMessageDeflate: false,
    });
    this.ws.on('message', (data, isBinary) => {
      this.kick();
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!msg || typeof msg !== 'object') return;
      const m = msg as { event?: unknown; data?: unknown };
      if (m.event !== 'update' || !m.data || typeof m.data !== 'object' || Array.isArray(m.data)) return;
      try {
        this.o.onUpdate(m.data as Record<string, unknown>);
      } catch {
        /* the consumer's error is not the feed's */
      }
    });
    this.ws.on('open', () => this.kick());
    this.ws.on('unexpected-response', (_req, res) => this.end(`HTTP ${res.statusCode} on /api/ws/live`));
    this.ws.on('error', (err) => this.end(err.message.slice(0, 200)));
    this.ws.on('close', () => this.end('closed by the device'));
  }

  private kick(): void {
    if (this.ended) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.end('no update for a while'), this.o.idleTimeoutMs ?? 15_000);
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const ws = this.ws;
    this.ws = null;
    try {
      ws?.terminate();
    } catch {
      /* already gone */
    }
    this.o.onEnd(why);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    try {
      this.ws?.terminate();
    } catch {
      /* already gone */
    }
    this.ws = null;
  }
}
