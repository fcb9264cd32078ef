/**
 * A browser's WebSocket as the Stratum server sees a TCP miner: a Duplex with the browser's
 * address, so the endpoint's own handling and limits (connection caps per address, flood and line
 * limits, the password) apply to it unchanged. Text messages carry newline-delimited JSON lines.
 */
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

export class WsStratumSocket extends Duplex {
  readonly remoteAddress: string;
  private ended = false;

  constructor(
    private readonly ws: WebSocket,
    address: string,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = address;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        // Stratum is text; a binary frame is a protocol error
        this.ws.close(1003, 'text frames only');
        return;
      }
      this.push(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer));
    });
    ws.on('close', () => {
      this.ended = true;
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  // what the server calls on a net.Socket
  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  destroySoon(): void {
    this.end();
    this.destroy();
  }

  override _read(): void {
    // messages are pushed as they come; the server reads everything at once
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ended || this.ws.readyState !== this.ws.OPEN) return cb();
    this.ws.send(chunk.toString('utf8'), (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.ended) this.ws.close(1000, 'closed by the hub');
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.ended) {
      this.ended = true;
      this.ws.terminate();
    }
    cb(err);
  }
}
