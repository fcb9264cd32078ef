/**
 * What a pool asks of the client, read into one action each (pure: client.ts carries them out).
 * Bad parameters throw InputError; the client answers them with an error and counts a bad line.
 */
import { InputError, type StratumJob } from '../core/index.js';
import { checkExtranonce, parseDifficulty, parseNotify } from './codec.js';
import { DEFAULT_VERSION_ROLLING } from './client-types.js';

export type PoolAction =
  | { kind: 'job'; job: StratumJob }
  | { kind: 'difficulty'; difficulty: number }
  /** answered true */
  | { kind: 'extranonce'; extranonce1: string; extranonce2Size: number }
  /** the pool's mask ANDed with the one asked for */
  | { kind: 'versionMask'; mask: number }
  | { kind: 'reconnect'; to: Reconnect }
  /** answered with `result` */
  | { kind: 'reply'; result: unknown }
  /** client.show_message: logged, answered true */
  | { kind: 'message'; text: string }
  /** a method of a configured extension: emitted, answered true */
  | { kind: 'extension'; method: string; params: unknown[] }
  | { kind: 'unknown'; method: string };

export interface Reconnect {
  host: string;
  port: number;
  waitMs: number;
  /** the other host the pool named and the client does not follow (then it reconnects to its own) */
  refusedHost?: string;
}

export interface PoolRequestContext {
  /** the options' versionRolling */
  versionRolling: number | false | undefined;
  /** methods of the configured extensions */
  extensionMethods: readonly string[];
  userAgent: string;
  /** the pool configured now */
  host: string;
  port: number;
  followRedirects: boolean;
}

export function routePoolRequest(method: string, params: unknown[], ctx: PoolRequestContext): PoolAction {
  switch (method) {
    case 'mining.notify':
      return { kind: 'job', job: parseNotify(params) };
    case 'mining.set_difficulty':
      return { kind: 'difficulty', difficulty: parseDifficulty(params[0], 'mining.set_difficulty') };
    case 'mining.set_extranonce':
      return { kind: 'extranonce', ...checkExtranonce(params[0], params[1], 'mining.set_extranonce') };
    case 'mining.set_version_mask': {
      const m = typeof params[0] === 'string' && /^[0-9a-fA-F]{1,8}$/.test(params[0]) ? parseInt(params[0], 16) >>> 0 : null;
      if (m === null) throw new InputError('mining.set_version_mask: expected a hex mask', 'mining.set_version_mask');
      const asked = ctx.versionRolling === false ? 0 : (ctx.versionRolling ?? DEFAULT_VERSION_ROLLING);
      return { kind: 'versionMask', mask: (m & asked) >>> 0 };
    }
    case 'client.reconnect':
      return { kind: 'reconnect', to: parseReconnect(params, ctx) };
    case 'mining.ping':
      return { kind: 'reply', result: 'pong' };
    case 'client.get_version':
      return { kind: 'reply', result: ctx.userAgent };
    case 'client.show_message':
      return { kind: 'message', text: String(params[0] ?? '').slice(0, 200) };
    default:
      if (ctx.extensionMethods.includes(method)) return { kind: 'extension', method, params };
      return { kind: 'unknown', method };
  }
}

/** `client.reconnect [host, port, wait]`: port may be a string; no params means "this pool again". */
export function parseReconnect(params: unknown[], ctx: Pick<PoolRequestContext, 'host' | 'port' | 'followRedirects'>): Reconnect {
  const host = typeof params[0] === 'string' && params[0].length ? params[0] : ctx.host;
  const portNum = params[1] === undefined || params[1] === null || params[1] === '' ? ctx.port : Number(params[1]);
  const wait = params[2] === undefined ? 0 : Number(params[2]);
  if (!Number.isInteger(portNum) || portNum < 1 || portNum > 65535) throw new InputError('client.reconnect: bad port', 'client.reconnect');
  const follow = host === ctx.host || ctx.followRedirects;
  const waitMs = Number.isFinite(wait) && wait > 0 ? Math.min(wait, 600) * 1000 : 0;
  return { host: follow ? host : ctx.host, port: follow ? portNum : ctx.port, waitMs, ...(follow ? {} : { refusedHost: host.slice(0, 100) }) };
}
