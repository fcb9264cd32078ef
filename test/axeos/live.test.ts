// The live feed (/api/ws/live, v2.14+) against the stand-in AxeOS server (no miner hardware
// here), and against a websocket that misbehaves: bad frames skipped, an oversized frame ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { AxeosClient, LiveFeed, mergeLive, parseInfo } from '../../src/axeos/index.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

test('stand-in v2.14: the whole info first, then only the changed fields; a PATCH shows live', async () => {
  const s = await new AxeosStandIn({ generation: 'v2.14', host: '127.0.0.14', livePeriodMs: 100 }).start();
  let state: Record<string, unknown> = {};
  const updates: Record<string, unknown>[] = [];
  let ended: string | null = null;
  const feed = new LiveFeed({
    url: s.url,
    onUpdate: (d) => {
      updates.push(d);
      state = mergeLive(state, d);
    },
    onEnd: (w) => {
      ended = w;
    },
  });
  try {
    const end = Date.now() + 20_000;
    while (updates.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(parseInfo(state).frequency_mhz, 525);
    assert.ok((await new AxeosClient({ url: s.url }).set({ frequency: 490 })).ok);
    while (parseInfo(state).frequency_mhz !== 490 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(parseInfo(state).frequency_mhz, 490);
    const last = updates.at(-1)!;
    assert.ok('frequency' in last && !('macAddr' in last) && !('hostname' in last), `a diff, not the whole object: ${Object.keys(last).join(',')}`);
    assert.equal(ended, null);
  } finally {
    feed.close();
    await s.stop();
  }
});

test('a websocket that sends junk then an oversized frame: junk skipped, the feed ends cleanly', async () => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, path: '/api/ws/live' });
  wss.on('connection', (ws) => {
    ws.send('not json');
    ws.send(JSON.stringify({ event: 'log', data: 'x' }));
    ws.send(JSON.stringify({ event: 'update', data: [1, 2] }));
    ws.send(JSON.stringify({ event: 'update', data: { frequency: 400, ASICModel: 'BM1370' } }));
    ws.send('x'.repeat(300_000));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const got: unknown[] = [];
  const why = await new Promise<string>((resolve) => {
    new LiveFeed({ url: `http://127.0.0.1:${port}`, maxFrameBytes: 64 * 1024, onUpdate: (d) => got.push(d), onEnd: resolve });
  });
  assert.deepEqual(got, [{ frequency: 400, ASICModel: 'BM1370' }]);
  assert.match(why, /payload|length|closed/i);
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await new Promise<void>((r) => server.close(() => r()));
});

test('no /api/ws/live (older firmware): the feed ends at once, with the HTTP status', async () => {
  const s = await new AxeosStandIn({ generation: 'v2.9', host: '127.0.0.15' }).start();
  try {
    const why = await new Promise<string>((resolve) => new LiveFeed({ url: s.url, onUpdate: () => {}, onEnd: resolve }));
    assert.match(why, /HTTP|socket|closed|Unexpected/i);
  } finally {
    await s.stop();
  }
});
