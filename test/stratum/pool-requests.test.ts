// What a pool asks of the client, read into actions (pure), as pools really send it (HINTS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/index.js';
import { parseReconnect, routePoolRequest, type PoolRequestContext } from '../../src/stratum/pool-requests.js';

const ctx: PoolRequestContext = {
  versionRolling: undefined,
  extensionMethods: ['mining.mm_pause'],
  userAgent: 'mm/1',
  host: 'pool.example',
  port: 3333,
  followRedirects: false,
};

test('client.reconnect: port as a string, no params at all, another host refused unless followed, the wait capped', () => {
  assert.deepEqual(parseReconnect(['pool.example', '4444', 5], ctx), { host: 'pool.example', port: 4444, waitMs: 5000 });
  assert.deepEqual(parseReconnect([], ctx), { host: 'pool.example', port: 3333, waitMs: 0 });
  assert.deepEqual(parseReconnect(['evil.example', 5555], ctx), { host: 'pool.example', port: 3333, waitMs: 0, refusedHost: 'evil.example' });
  assert.deepEqual(parseReconnect(['other.example', 5555], { ...ctx, followRedirects: true }), { host: 'other.example', port: 5555, waitMs: 0 });
  assert.equal(parseReconnect(['', '', 99999], ctx).waitMs, 600_000);
  assert.throws(() => parseReconnect(['pool.example', 'x'], ctx), InputError);
  assert.throws(() => parseReconnect(['pool.example', 70000], ctx), /bad port/);
});

test('set_version_mask is ANDed with the mask asked for; none asked: 0; a bad mask throws', () => {
  assert.deepEqual(routePoolRequest('mining.set_version_mask', ['ffffffff'], ctx), { kind: 'versionMask', mask: 0x1fffe000 });
  assert.deepEqual(routePoolRequest('mining.set_version_mask', ['1fffe000'], { ...ctx, versionRolling: false }), { kind: 'versionMask', mask: 0 });
  assert.throws(() => routePoolRequest('mining.set_version_mask', [42], ctx), InputError);
});

test('the other requests: difficulty, extranonce, ping, version, message, extension, unknown', () => {
  assert.deepEqual(routePoolRequest('mining.set_difficulty', [0.5], ctx), { kind: 'difficulty', difficulty: 0.5 });
  assert.deepEqual(routePoolRequest('mining.set_extranonce', ['deadbeef', 4], ctx), { kind: 'extranonce', extranonce1: 'deadbeef', extranonce2Size: 4 });
  assert.deepEqual(routePoolRequest('mining.ping', [], ctx), { kind: 'reply', result: 'pong' });
  assert.deepEqual(routePoolRequest('client.get_version', [], ctx), { kind: 'reply', result: 'mm/1' });
  assert.deepEqual(routePoolRequest('client.show_message', ['x'.repeat(300)], ctx), { kind: 'message', text: 'x'.repeat(200) });
  assert.deepEqual(routePoolRequest('mining.mm_pause', [1], ctx), { kind: 'extension', method: 'mining.mm_pause', params: [1] });
  assert.deepEqual(routePoolRequest('mining.frobnicate', [], ctx), { kind: 'unknown', method: 'mining.frobnicate' });
  assert.throws(() => routePoolRequest('mining.set_difficulty', [-1], ctx), InputError);
});
