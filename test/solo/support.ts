// Helpers of the solo-mining tests: regtest addresses, a hub on a btcd, a raw Stratum client.
import { connect, type Socket } from 'node:net';
import { Address, NETWORK } from '@scure/btc-signer';
import type { Hub } from '../../src/app/hub.js';
import { testHub } from '../support/hub.js';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

/** A regtest P2WPKH address from a fixed 20-byte hash (nobody needs the key in these tests). */
export function regtestAddress(fill: number): string {
  return Address(REGTEST).encode({ type: 'wpkh', hash: new Uint8Array(20).fill(fill) });
}

export function mainnetAddress(fill: number): string {
  return Address(NETWORK).encode({ type: 'wpkh', hash: new Uint8Array(20).fill(fill) });
}

export const MINER_ADDRESS = regtestAddress(1); // btcd's own --miningaddr ("another miner")
export const PAYOUT_ADDRESS = regtestAddress(2); // the hub's payout address

export async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 120_000, stepMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A hub on the node: no MQTT, no Node-RED, no HA; the endpoint and status page on free ports. */
export function soloHub(nodeUrl: string, opts: { threads: number; payout?: string; extra?: string[] }): Hub {
  return testHub({
    threads: opts.threads,
    args: ['--node', nodeUrl, '--payout-address', opts.payout ?? PAYOUT_ADDRESS, '--hub-max-load', '100', ...(opts.extra ?? [])],
    overrides: { tickMs: 500 },
  });
}

/** ASCII text as hex, to find it in a coinbase scriptSig. */
export function hexOf(text: string): string {
  return Buffer.from(text, 'latin1').toString('hex');
}

/** A raw Stratum V1 client on the wire (what a household miner says), for notify/submit checks. */
export class RawStratum {
  private sock!: Socket;
  private buf = '';
  private id = 0;
  readonly notifies: { at: number; params: unknown[] }[] = [];
  private readonly waiting = new Map<number, (m: { result: unknown; error: unknown }) => void>();
  extranonce1 = '';
  extranonce2Size = 0;

  /** the version-rolling mask the endpoint granted (with `configureMask`) */
  versionMask = 0;

  async open(port: number, opts: { configureMask?: string } = {}): Promise<void> {
    this.sock = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    this.sock.on('data', (d) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (!line.trim()) continue;
        const m = JSON.parse(line) as { id: number | null; method?: string; params?: unknown[]; result?: unknown; error?: unknown };
        if (m.method === 'mining.notify') this.notifies.push({ at: Date.now(), params: m.params ?? [] });
        else if (m.id !== null && this.waiting.has(m.id)) {
          this.waiting.get(m.id)!({ result: m.result, error: m.error });
          this.waiting.delete(m.id);
        }
      }
    });
    if (opts.configureMask) {
      const c = await this.call('mining.configure', [['version-rolling'], { 'version-rolling.mask': opts.configureMask }]);
      this.versionMask = parseInt((c.result as Record<string, string>)['version-rolling.mask'], 16);
    }
    const sub = await this.call('mining.subscribe', ['raw-test/1.0']);
    const r = sub.result as [unknown, string, number];
    this.extranonce1 = r[1];
    this.extranonce2Size = r[2];
    await this.call('mining.authorize', ['raw-test', 'x']);
  }

  call(method: string, params: unknown[]): Promise<{ result: unknown; error: unknown }> {
    const id = ++this.id;
    this.sock.write(`${JSON.stringify({ id, method, params })}\n`);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${method}: no answer`)), 30_000);
      this.waiting.set(id, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }

  close(): void {
    this.sock?.destroy();
  }
}
