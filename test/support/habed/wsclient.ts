// A small raw websocket client for Home Assistant, for the test bed itself and for tests that
// want to poke HA directly (registries, services) without going through src/ha.
import WebSocket from 'ws';

export interface HaWsClient {
  /** Sends one command and resolves with its result (rejects on success=false, with HA's message). */
  call<T = unknown>(type: string, data?: Record<string, unknown>): Promise<T>;
  /** Starts a subscription (e.g. subscribe_events); returns the unsubscribe function. */
  subscribe(type: string, data: Record<string, unknown>, onEvent: (ev: unknown) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Connects and authenticates (rejects within timeoutMs on auth_invalid, close or silence). */
export function connectHaWs(wsUrl: string, token: string, timeoutMs = 10_000): Promise<HaWsClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { handshakeTimeout: timeoutMs });
    let id = 0;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const subs = new Map<number, (ev: unknown) => void>();
    let authed = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`HA websocket ${wsUrl}: no auth_ok within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('error', (err) => {
      if (!authed) {
        clearTimeout(timer);
        reject(err);
      }
    });
    ws.on('close', () => {
      clearTimeout(timer);
      for (const p of pending.values()) p.reject(new Error('HA websocket closed'));
      pending.clear();
      if (!authed) reject(new Error(`HA websocket ${wsUrl} closed before auth_ok`));
    });
    ws.on('message', (raw) => {
      let msg: { type?: string; id?: number; success?: boolean; result?: unknown; error?: { code?: string; message?: string }; event?: unknown };
      try {
        msg = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (msg.type === 'auth_required') {
        ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      } else if (msg.type === 'auth_invalid') {
        clearTimeout(timer);
        ws.close();
        reject(new Error('HA websocket: auth_invalid'));
      } else if (msg.type === 'auth_ok') {
        authed = true;
        clearTimeout(timer);
        resolve(client);
      } else if (msg.type === 'result' && msg.id !== undefined) {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.success) p.resolve(msg.result);
        else p.reject(new Error(`HA ${msg.error?.code ?? 'error'}: ${msg.error?.message ?? 'failed'}`));
      } else if (msg.type === 'event' && msg.id !== undefined) {
        subs.get(msg.id)?.(msg.event);
      }
    });
    const send = <T>(payload: Record<string, unknown>): { id: number; done: Promise<T> } => {
      const myId = ++id;
      const done = new Promise<T>((res, rej) => {
        pending.set(myId, { resolve: res as (v: unknown) => void, reject: rej });
      });
      ws.send(JSON.stringify({ ...payload, id: myId }));
      return { id: myId, done };
    };
    const client: HaWsClient = {
      call<T>(type: string, data: Record<string, unknown> = {}) {
        return send<T>({ type, ...data }).done;
      },
      async subscribe(type, data, onEvent) {
        const { id: subId, done } = send({ type, ...data });
        subs.set(subId, onEvent);
        await done;
        return async () => {
          subs.delete(subId);
          await client.call('unsubscribe_events', { subscription: subId }).catch(() => undefined);
        };
      },
      close() {
        return new Promise<void>((res) => {
          if (ws.readyState === WebSocket.CLOSED) return res();
          ws.once('close', () => res());
          ws.close();
          setTimeout(() => {
            ws.terminate();
            res();
          }, 2_000).unref();
        });
      },
    };
  });
}
