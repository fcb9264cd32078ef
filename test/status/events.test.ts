// The status page's live stream (GET api/events): one `snapshot` event per publish with the JSON of
// /api/status, a bounded number of clients (503 beyond, saying so), a heartbeat, every stream
// ended when the server stops; /api/history's spans (400 lists them, 503 without a history).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { StatusServer, type HubStatus } from '../../src/app/status.js';

const status = {
  mode: 'practice',
  source: 'practice',
  poolConnected: false,
  connection: 'practice',
  mining: true,
  policy: 'always',
  decision: 'mining: 1 thread',
  threads: 1,
  maxThreads: 2,
  threadLimit: null,
  kernel: 'js',
  hashrate: 24_200_000,
  hubHashrate: 24_200_000,
  shares: { accepted: 3, rejected: 0, stale: 0 },
  bestDifficulty: { session: 1.5, allTime: 1.5 },
  blocksFound: 0,
  networkDifficulty: 1.14e14,
  oddsPerDay: 1 / 5.47e11,
  expectedTimeToBlock: Infinity,
  powerW: 15,
  powerHow: 'hub 15 W estimated',
  energyKWh: 1.5,
  workers: [],
  appliances: { idle: 0, busy: 0, total: 0, ignored: 0, list: [] },
  haConnected: null,
  mqttConnected: null,
  startedAt: 0,
} as unknown as HubStatus;

/** An open event stream: its status, and the text received so far. */
function stream(port: number): Promise<{ res: IncomingMessage; text: () => string; until: (re: RegExp) => Promise<void>; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/some/prefix/api/events' }, (res) => {
      let buf = '';
      const waiters: Array<() => void> = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (const w of waiters.splice(0)) w();
      });
      const ended = new Promise<void>((r) => res.on('end', () => r()));
      const until = async (re: RegExp) => {
        const deadline = Date.now() + 20_000;
        while (!re.test(buf)) {
          if (Date.now() > deadline) throw new Error(`no ${re} in ${buf.slice(-500)}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 200);
          });
        }
      };
      resolve({ res, text: () => buf, until, ended });
    });
    req.on('error', reject);
    req.end();
  });
}

test('api/events: the snapshot at once and on each publish, at most N clients (503 beyond), a heartbeat, all ended at stop', async () => {
  const server = new StatusServer({ port: 0, status: () => status, maxEventClients: 3 });
  await server.start();
  try {
    const open = await Promise.all([0, 1, 2].map(() => stream(server.port)));
    for (const s of open) {
      assert.equal(s.res.statusCode, 200);
      assert.match(String(s.res.headers['content-type']), /^text\/event-stream/);
      await s.until(/event: snapshot\ndata: \{.*\}\n\n/);
      const first = JSON.parse(/data: (.*)\n/.exec(s.text())![1]);
      assert.equal(first.text.odds_per_day, '547 billion to 1', 'the same JSON as /api/status, figures in words');
      assert.equal(first.expectedTimeToBlock, null);
    }
    assert.equal(server.eventClients, 3);
    const refused = await fetch(`http://127.0.0.1:${server.port}/api/events`);
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /at most 3 pages may follow this hub/);
    server.publish({ ...status, decision: 'paused: the washer runs' });
    for (const s of open) await s.until(/paused: the washer runs/);
    // a client that leaves frees its place
    open[0].res.destroy();
    for (let i = 0; i < 100 && server.eventClients > 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.eventClients, 2);
    const again = await stream(server.port);
    assert.equal(again.res.statusCode, 200);
    await server.stop();
    await Promise.all([open[1].ended, open[2].ended, again.ended]);
    assert.equal(server.eventClients, 0);
  } finally {
    await server.stop();
  }
});

test('api/events sends a heartbeat comment while nothing changes (proxies keep the stream)', async () => {
  const { EventStreams } = await import('../../src/app/status-events.js');
  const streams = new EventStreams(2, 50);
  const { createServer } = await import('node:http');
  const srv = createServer((req, res) => streams.open(req, res, () => '{}'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  try {
    const s = await stream((srv.address() as { port: number }).port);
    await s.until(/: heartbeat\n\n/);
  } finally {
    streams.close();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
});

test('api/history: a bad span is 400 with the allowed values; without a history 503; else the ring’s JSON', async () => {
  let history: { query: (span: '1h' | '24h' | '30d') => never } | null = null;
  const server = new StatusServer({ port: 0, status: () => status, history: () => history });
  await server.start();
  try {
    const base = `http://127.0.0.1:${server.port}/x/api/history`;
    for (const span of ['2h', '', '1h;drop', '30D']) {
      const r = await fetch(`${base}?span=${encodeURIComponent(span)}`);
      assert.equal(r.status, 400, span);
      const j = (await r.json()) as { error: string; allowed: string[] };
      assert.deepEqual(j.allowed, ['1h', '24h', '30d']);
      assert.match(j.error, /span must be one of 1h, 24h, 30d/);
    }
    assert.equal((await fetch(`${base}?span=1h`)).status, 503);
    const asked: string[] = [];
    history = { query: (span) => (asked.push(span), { span, step_s: 10, series: {}, plan: [] }) as never };
    const ok = await fetch(`${base}?span=24h`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { span: '24h', step_s: 10, series: {}, plan: [] });
    assert.deepEqual(asked, ['24h']);
    // no span: the last hour
    assert.equal((await fetch(base)).status, 200);
    assert.deepEqual(asked, ['24h', '1h']);
  } finally {
    await server.stop();
  }
});
