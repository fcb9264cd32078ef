import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/core/index.js';
import {
  ERR,
  LineSplitter,
  backoffDelay,
  normalizeError,
  notifyParams,
  parseMessage,
  parseNotify,
  parsePoolUrl,
  parseSubmit,
  parseSubscribeResult,
  pow2Floor,
  Vardiff,
} from '../../src/stratum/index.js';
import { BITAXE } from '../core/vectors.js';

// ESP-Miner components/stratum/test/test_stratum_json.c and public-pool message specs (stratum-vectors.md V8)
test('subscribe result gives extranonce1 and extranonce2 size (ESP-Miner vector)', () => {
  const m = parseMessage('{"result":[[["mining.notify","695482c0"]],"4de05269",8],"id":2,"error":null}');
  assert.equal(m.kind, 'response');
  assert.deepEqual(parseSubscribeResult(m.kind === 'response' ? m.result : null), { extranonce1: '4de05269', extranonce2Size: 8 });
  assert.throws(() => parseSubscribeResult([[], 'zz', 4]), /extranonce1/);
  assert.throws(() => parseSubscribeResult([[], '00', 99]), /extranonce2_size/);
});

test('every error form seen in the wild becomes {code, message}', () => {
  const forms: [string, number, RegExp][] = [
    ['{"id":4,"result":null,"error":[21,"Job not found",""]}', 21, /Job not found/],
    ['{"reject-reason":"Above target 2","result":false,"error":null,"id":8}', 23, /Above target/],
    ['{"result":false,"error":"Stale","id":618}', 21, /Stale/],
    ['{"jsonrpc":"2.0","error":{"code":22,"message":"duplicate share","data":null},"id":42}', 22, /duplicate/],
    ['{"id":9,"result":false,"error":null}', 20, /rejected/],
  ];
  for (const [line, code, re] of forms) {
    const m = parseMessage(line);
    assert.equal(m.kind, 'response');
    if (m.kind !== 'response') continue;
    assert.equal(m.error?.code, code, line);
    assert.match(m.error?.message ?? '', re);
  }
  assert.equal(normalizeError(null, undefined, true), null);
});

test('notifications: set_extranonce, set_version_mask, fractional set_difficulty, reconnect with [] params, ping', () => {
  const se = parseMessage('{"id":1,"method":"mining.set_extranonce","params":["deadbeef",8]}');
  assert.deepEqual(se, { kind: 'request', id: 1, method: 'mining.set_extranonce', params: ['deadbeef', 8] });
  const d = parseMessage('{"id":null,"method":"mining.set_difficulty","params":[100.5]}');
  assert.equal(d.kind === 'request' && d.params[0], 100.5);
  const r = parseMessage('{"id":null,"method":"client.reconnect","params":[]}');
  assert.equal(r.kind === 'request' && r.params.length, 0);
  const p = parseMessage('{"id":7,"method":"mining.ping"}');
  assert.equal(p.kind === 'request' && p.params.length, 0);
});

test('the Bitaxe notify parses to a job and is re-emitted padded', () => {
  const job = parseNotify([...BITAXE.notify]);
  assert.equal(job.jobId, '1');
  assert.equal(job.merkleBranch.length, 3);
  assert.equal(job.cleanJobs, false);
  // public-pool drops leading zeros in version/nbits/ntime: accepted, emitted padded
  const short = parseNotify(['a', BITAXE.notify[1], BITAXE.notify[2], BITAXE.notify[3], [], '2000000', '192495f8', '64b3f3ec', true]);
  assert.equal(short.version, '02000000');
  assert.deepEqual(notifyParams(short).slice(5), ['02000000', '192495f8', '64b3f3ec', true]);
  assert.throws(() => parseNotify(['a', 'zz', '', '', [], '1', '1', '1', true]), InputError);
  assert.throws(() => parseNotify(['a', BITAXE.notify[1], '', '', new Array(33).fill('00'.repeat(32)), '1', '1', '1']), /mining.notify/);
});

test('submit: five params (cpuminer, NerdMiner with an unpadded nonce) or six (Bitaxe)', () => {
  const five = parseSubmit(['w', '1', '99020000', '64b1f10f', '2812d']);
  assert.equal(five.nonce, '2812d');
  assert.equal(five.versionBits, undefined);
  const six = parseSubmit(['tb1qumezefzdeqqwn5zfvgdrhxjzc5ylr39uhuxcz4.bitaxe3', '1', '99020000', '64b1f10f', '2402812d', '00006000']);
  assert.equal(six.versionBits, '00006000');
  assert.throws(() => parseSubmit(['w', '1', 'xyz', '64b1f10f', '1']), /malformed mining.submit: param 2/);
  assert.throws(() => parseSubmit(['w', '1', '00', '123456789', '1']), /param 3/);
  assert.throws(() => parseSubmit(['w']), /malformed/);
  assert.throws(() => parseSubmit(['w', '1', '00', '1', '1', 5]), /version bits/);
});

test('pool URLs: tcp and ssl schemes, port required, credentials kept apart', () => {
  assert.deepEqual(parsePoolUrl('stratum+tcp://public-pool.io:21496'), { tls: false, host: 'public-pool.io', port: 21496 });
  assert.deepEqual(parsePoolUrl('stratum+ssl://pool.example:443'), { tls: true, host: 'pool.example', port: 443 });
  assert.equal(parsePoolUrl('stratum+tcp://[::1]:3333').host, '::1');
  assert.equal(parsePoolUrl('stratum+tcp://me.w1:secret@h:1').password, 'secret');
  assert.throws(() => parsePoolUrl('http://h:1'), /scheme "http" is not supported/);
  assert.throws(() => parsePoolUrl('stratum+tcp://h'), /needs a port/);
  assert.throws(() => parsePoolUrl('nonsense'), /not a URL/);
});

test('the line splitter joins chunks, strips CR, and refuses overlong lines', () => {
  const s = new LineSplitter(32);
  assert.deepEqual(s.push(Buffer.from('{"a":')), []);
  assert.deepEqual(s.push(Buffer.from('1}\r\n\n{"b":2}\n{"c"')), ['{"a":1}', '{"b":2}']);
  assert.deepEqual(s.push(Buffer.from(':3}\n')), ['{"c":3}']);
  assert.throws(() => s.push(Buffer.alloc(40, 0x41)), /longer than 32 bytes/);
  assert.throws(() => new LineSplitter(8).push(Buffer.from('123456789\n')), /longer than 8/);
});

test('fuzz: parseMessage and parseSubmit throw only InputError, whatever the line', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify({ id: 1, method: 'mining.submit', params: v })),
      ),
      (line) => {
        try {
          const m = parseMessage(line);
          if (m.kind === 'request') {
            try {
              parseSubmit(m.params);
            } catch (e) {
              assert.ok(e instanceof InputError);
            }
          }
        } catch (e) {
          assert.ok(e instanceof InputError, String(e));
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('backoff doubles up to the cap, with jitter in [base/2, base]', () => {
  assert.equal(
    backoffDelay(0, 1000, 60000, () => 0),
    500,
  );
  assert.equal(
    backoffDelay(0, 1000, 60000, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(3, 1000, 60000, () => 1),
    8000,
  );
  assert.equal(
    backoffDelay(20, 1000, 60000, () => 1),
    60000,
  );
  assert.equal(
    backoffDelay(20, 1000, 60000, () => 0),
    30000,
  );
});

test('vardiff: floods raise the difficulty early, silence halves it, floors hold for tiny devices', () => {
  assert.equal(pow2Floor(3), 2);
  assert.equal(pow2Floor(0.3), 0.25);
  // a fast miner at 0.001: 16 shares in 1 s is ~68.7 MH/s; 10 s per share wants ~0.16 -> 0.125
  const v = new Vardiff(0.001, 0, { targetIntervalS: 10 });
  let changed: number | null = null;
  for (let i = 1; i <= 16; i++) changed = v.onShare(i * 62.5, 0.001) ?? changed;
  assert.equal(changed, 0.125);
  // an ESP32 at ~60 kH/s that finds nothing in a minute at 0.001: halved each minute, never below the floor
  const e = new Vardiff(0.001, 0, { minDifficulty: 0.0001 });
  assert.equal(e.tick(30_000), null);
  assert.equal(e.tick(60_000), 2 ** -11); // powers of two, as public-pool uses
  assert.equal(e.tick(120_000), 2 ** -12);
  assert.equal(e.tick(180_000), 2 ** -13);
  assert.equal(e.tick(240_000), null, 'the floor holds');
  assert.ok(e.difficulty >= 0.0001);
  // on target: no change (hysteresis)
  const s = new Vardiff(1, 0, { targetIntervalS: 10 });
  for (let t = 10_000; t <= 60_000; t += 10_000) s.onShare(t, 1);
  assert.equal(s.tick(60_000), null);
  assert.equal(s.set(1e-12, 0), VARDIFF_MIN());
});

function VARDIFF_MIN(): number {
  return new Vardiff(1, 0).opts.minDifficulty;
}

test('error codes are the standard 20-25', () => {
  assert.deepEqual(Object.values(ERR), [20, 21, 22, 23, 24, 25]);
});

test('a bad pool URL is named without its password, also when the password holds @ or /', async () => {
  const { parsePoolUrl } = await import('../../src/stratum/index.js');
  for (const url of ['stratum+tcp://user:p@ss@word@host:notaport', 'stratum+tcp://user:se/cr@et@host', 'stratum+tcp://u:hunter2@:3333']) {
    let msg = '';
    try {
      parsePoolUrl(url);
    } catch (err) {
      msg = (err as Error).message;
    }
    assert.ok(msg, `refused: ${url}`);
    assert.ok(!/p@ss|word|se\/cr|cr@et|hunter2/.test(msg), msg);
  }
});
