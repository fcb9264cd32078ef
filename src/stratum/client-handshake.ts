/**
 * The client's handshake with a pool: mining.configure (BIP310 version rolling and the
 * extensions) sent beside mining.subscribe, then mining.authorize. Its result is the session's
 * extranonce, the negotiated mask and the pool's configure answer; a refusal throws with the fix.
 */
import { u32Hex } from '../core/index.js';
import { parseSubscribeResult } from './codec.js';
import type { PoolReply, StratumClientOptions } from './client-types.js';
import { DEFAULT_VERSION_ROLLING } from './client-types.js';

/** How the handshake talks to the pool on one connection. */
export interface HandshakeIo {
  request(method: string, params: unknown[]): Promise<PoolReply>;
  /** a request whose reply is not waited for */
  send(method: string, params: unknown[]): void;
}

export interface HandshakeResult {
  extranonce1: string;
  extranonce2Size: number;
  versionMask: number;
  configured: Record<string, unknown>;
}

export async function handshake(
  io: HandshakeIo,
  o: Pick<StratumClientOptions, 'versionRolling' | 'extensions' | 'extranonceSubscribe'> & { userAgent: string; user: string; password: string },
): Promise<HandshakeResult> {
  const mask = o.versionRolling === undefined ? DEFAULT_VERSION_ROLLING : o.versionRolling;
  let versionMask = 0;
  let configuredResult: Record<string, unknown> = {};
  const ext = o.extensions;
  const names = [...(mask === false ? [] : ['version-rolling']), ...(ext?.names ?? [])];
  const configured =
    names.length === 0
      ? Promise.resolve()
      : io
          .request('mining.configure', [
            names,
            { ...(mask === false ? {} : { 'version-rolling.mask': u32Hex(mask), 'version-rolling.min-bit-count': 2 }), ...ext?.params },
          ])
          .then(({ result }) => {
            if (result && typeof result === 'object' && !Array.isArray(result)) configuredResult = { ...(result as Record<string, unknown>) };
            if (mask !== false && result && typeof result === 'object' && (result as Record<string, unknown>)['version-rolling'] === true) {
              const m = String((result as Record<string, unknown>)['version-rolling.mask'] ?? '');
              if (/^[0-9a-fA-F]{1,8}$/.test(m)) versionMask = (parseInt(m, 16) & mask) >>> 0;
            }
          });
  const sub = await io.request('mining.subscribe', [o.userAgent]);
  await configured;
  if (sub.error) throw new Error(`pool refused mining.subscribe: ${sub.error.message}`);
  const { extranonce1, extranonce2Size } = parseSubscribeResult(sub.result);
  if (o.extranonceSubscribe) io.send('mining.extranonce.subscribe', []);
  const auth = await io.request('mining.authorize', [o.user, o.password]);
  if (auth.result !== true || auth.error) {
    throw new Error(`pool refused mining.authorize for this user: ${auth.error?.message ?? 'result false'}; check --pool-user and --pool-password`);
  }
  return { extranonce1, extranonce2Size, versionMask, configured: configuredResult };
}
