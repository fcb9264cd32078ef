// The embedded MQTT broker (aedes) for a run with no broker configured: loopback by default.
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { logger } from '../log.js';

const log = logger('mqtt-broker');

export interface EmbeddedBrokerOptions {
  /** TCP port (default 1883; 0 = any free port). */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** When both are set, clients must give them. */
  username?: string;
  password?: string;
}

export interface EmbeddedBroker {
  host: string;
  port: number;
  /** mqtt://host:port (no credentials). */
  url: string;
  stop(): Promise<void>;
}

/** Starts aedes on host:port; rejects with a clear message when the port is taken. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const wantPort = opts.port ?? 1883;
  if (!Number.isInteger(wantPort) || wantPort < 0 || wantPort > 65535) throw new Error(`embedded MQTT broker: port ${wantPort} is not 0-65535`);
  const aedes = await Aedes.createBroker({
    ...(opts.username !== undefined
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username === opts.username && password !== undefined && password.toString('utf8') === opts.password;
            if (ok) done(null, true);
            else {
              const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
              done(err, false);
            }
          },
        }
      : {}),
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  aedes.on('clientError', (client, err) => log.debug({ client: client?.id, error: err.message }, 'client error'));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wantPort, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'EADDRINUSE' ? ` (EADDRINUSE: the port is in use; give --mqtt URL of the broker that runs there)` : '';
    throw new Error(`embedded MQTT broker: cannot listen on ${host}:${wantPort}: ${e.message}${hint}`);
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : wantPort;
  log.info({ host, port }, 'embedded MQTT broker listening');
  let stopped = false;
  return {
    host,
    port,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => aedes.close(() => r()));
      await closed;
      log.info('embedded MQTT broker stopped');
    },
  };
}
