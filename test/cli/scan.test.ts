import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BITAXE, GENESIS } from '../core/vectors.js';

const bin = join(import.meta.dirname, '../../bin/micro-mining.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MM_LOG_LEVEL: 'silent' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('scan --header --json prints the genesis nonce and a summary', () => {
  const r = run([
    'scan',
    '--header',
    GENESIS.header,
    '--start',
    String(GENESIS.nonce - 5000),
    '--count',
    '10000',
    '--kernel',
    'js',
    '--threads',
    '1',
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(lines[0], { nonce: GENESIS.nonce, hash: GENESIS.hash });
  assert.equal(lines.length, 2);
  assert.equal(lines[1].hashes, 10000);
  assert.equal(lines[1].kernel, 'js');
  assert.ok(lines[1].hashrate > 0);
});

test('scan --job rebuilds the recorded Bitaxe header and finds its share at difficulty 512', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-scan-'));
  try {
    const [job_id, prevhash, coinb1, coinb2, merkle_branch, _version, nbits, ntime] = BITAXE.notify;
    // the submit rolled the version bits to 0x00002000 under mask 1fffe000: the job's version becomes 20002000
    const file = join(dir, 'job.json');
    writeFileSync(
      file,
      JSON.stringify({
        job_id,
        prevhash,
        coinb1,
        coinb2,
        merkle_branch,
        version: '20002000',
        nbits,
        ntime,
        extranonce1: BITAXE.extranonce1,
        extranonce2: BITAXE.submit.extranonce2,
      }),
    );
    const nonce = parseInt(BITAXE.submit.nonce, 16);
    const r = run(['scan', '--job', file, '--start', String(nonce - 2000), '--count', '4000', '--difficulty', '512', '--kernel', 'js', '--threads', '1']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`header\\s+${BITAXE.header.slice(0, 152)}`));
    assert.match(r.out, /merkle root 5f07f18b9628ba20e984ff8a1661bb1dfcd126535c37b262be4a4b704a685d6b/);
    assert.match(r.out, new RegExp(`nonce ${nonce} \\(0x${BITAXE.submit.nonce}\\)\\s+hash ${BITAXE.hash}`));
    // the notify message form is accepted too
    writeFileSync(
      file,
      JSON.stringify({ method: 'mining.notify', params: [...BITAXE.notify], extranonce1: BITAXE.extranonce1, extranonce2: BITAXE.submit.extranonce2 }),
    );
    const r2 = run(['scan', '--job', file, '--count', '16', '--json', '--kernel', 'js', '--threads', '1']);
    assert.equal(r2.code, 0, r2.err);
    assert.equal(JSON.parse(r2.out.trim().split('\n').at(-1)!).hashes, 16);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const [what, args, message] of [
  ['malformed hex', ['scan', '--header', 'zz'.repeat(80)], /--header: not hex/],
  ['wrong length', ['scan', '--header', '00'.repeat(79)], /--header: expected 80 bytes/],
  ['count overflow', ['scan', '--header', GENESIS.header, '--start', '4294967000', '--count', '1000'], /--count: .*lower --count to at most 296/],
  ['count not a number', ['scan', '--header', GENESIS.header, '--count', 'many'], /--count: expected an integer/],
  ['unknown kernel', ['scan', '--header', GENESIS.header, '--kernel', 'gpu'], /--kernel: unknown kernel "gpu"/],
  ['unknown flag', ['scan', '--bogus'], /Unknown option '--bogus'/],
  ['both header and job', ['scan', '--header', GENESIS.header, '--job', 'x.json'], /exactly one of --header/],
  ['missing job file', ['scan', '--job', '/nonexistent/job.json'], /--job: cannot read/],
  ['bad difficulty', ['scan', '--header', GENESIS.header, '--difficulty', '0'], /--difficulty: expected a positive number/],
  ['unknown verb', ['mine'], /unknown verb "mine"/],
] as const) {
  test(`bad input: ${what} exits 2 with a clear message and no stack trace`, () => {
    const r = run([...args]);
    assert.equal(r.code, 2);
    assert.match(r.err, message);
    assert.doesNotMatch(r.err, /\n\s+at /);
  });
}
