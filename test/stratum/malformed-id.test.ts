// Issue 24 item 15: a malformed request whose id can be read is answered with that id (a client
// waiting on it hears back); only lines without a readable id get `id: null`. Real TCP on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StratumServer } from '../../src/stratum/index.js';
import { JobManager, PracticeSource } from '../../src/work/index.js';
import { LinePeer, handshake } from './helpers.js';

let manager: JobManager;
let server: StratumServer;
const peers: LinePeer[] = [];
before(async () => {
  manager = new JobManager({ source: new PracticeSource({ jobIntervalS: 3600, blockIntervalS: 3600 }) });
  await manager.start();
  server = new StratumServer({ backend: manager, port: 0, initialDifficulty: 1e-6 });
  await server.start();
});
after(async () => {
  for (const p of peers) await p.close();
  await server.stop();
  await manager.stop();
});

async function peer(): Promise<LinePeer> {
  const p = await LinePeer.connect(server.address().port);
  peers.push(p);
  return p;
}

test('mining.configure with params as an object: the error carries the request id', async () => {
  const p = await peer();
  const reply = p.wait((m) => m.error !== undefined && m.error !== null, 10_000, 'the error reply');
  p.write('{"id":3,"method":"mining.configure","params":{"a":1}}\n');
  const m = await reply;
  assert.equal(m.id, 3);
  assert.deepEqual(m.error, [20, 'malformed message: params must be an array', null]);
  assert.equal(m.result, null);
});

test('every malformed line with a readable id is answered with it; unreadable ids get null', async () => {
  const p = await peer();
  const cases: Array<[string, number | string | null, RegExp]> = [
    ['{"id":"abc","method":"mining.subscribe","params":"x"}', 'abc', /params must be an array/],
    ['{"id":7,"method":"mining.authorize","params":7}', 7, /params must be an array/],
    [`{"id":8,"method":"${'m'.repeat(80)}","params":[]}`, 8, /method name too long/],
    ['{"id":9,"params":[]}', 9, /neither a request nor a response/],
    ['{"id":{"x":1},"method":"mining.ping","params":[]}', null, /bad id/],
    ['not json', null, /not JSON/],
    ['[1,2,3]', null, /expected a JSON object/],
  ];
  for (const [line, id, why] of cases) {
    const reply = p.wait((m) => m.error !== undefined && m.error !== null, 10_000, `the error for ${line.slice(0, 40)}`);
    p.write(`${line}\n`);
    const m = await reply;
    assert.equal(m.id, id, line.slice(0, 60));
    assert.match(String((m.error as unknown[])[1]), why);
  }
  // the connection is still usable after these (under the cap of malformed lines)
  const r = await p.call('mining.ping', []);
  assert.equal(r.result, 'pong');
});

test('a working miner that sends one malformed request keeps mining and hears back on that id', async () => {
  const p = await peer();
  await handshake(p, { user: 'dave.cpu' });
  const reply = p.wait((m) => m.id === 42, 10_000, 'the reply to id 42');
  p.write('{"id":42,"method":"mining.suggest_difficulty","params":{"difficulty":1}}\n');
  const m = await reply;
  assert.deepEqual(m.error, [20, 'malformed message: params must be an array', null]);
  const ping = await p.call('mining.ping', []);
  assert.equal(ping.result, 'pong');
});
