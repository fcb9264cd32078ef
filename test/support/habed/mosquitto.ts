// A real Mosquitto (Debian's package) on a free loopback port, for HA's MQTT integration.
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupProcess, freePort, waitForPort } from './procs.js';

export interface HabedMosquitto {
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export function mosquittoBinary(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  return undefined;
}

/** Starts mosquitto on 127.0.0.1 (anonymous, no persistence); stop() ends it and removes its files. */
export async function startMosquitto(): Promise<HabedMosquitto> {
  const bin = mosquittoBinary();
  if (!bin) throw new Error('mosquitto is not installed: run bash test/support/habed/provision.sh (as root) or apt-get install mosquitto');
  const dir = mkdtempSync(join(tmpdir(), 'habed-mosquitto-'));
  const host = '127.0.0.1';
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort(host);
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [`listener ${port} ${host}`, 'allow_anonymous true', 'persistence false', 'log_dest stdout', 'log_type error', 'log_type warning', ''].join('\n'),
    );
    const proc = new GroupProcess(bin, ['-c', conf], join(dir, 'mosquitto.log'));
    try {
      await waitForPort(host, port, 10_000, () => proc.alive);
      return {
        host,
        port,
        url: `mqtt://${host}:${port}`,
        async stop() {
          await proc.stop(5_000);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastErr = new Error(`mosquitto did not start: ${(err as Error).message}\n${proc.tail()}`);
      await proc.stop(2_000);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}
