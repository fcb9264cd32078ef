// The one settings table (hub and worker sections) and the pure helpers of src/settings/: nearest
// name, negative values after a flag, help wrapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELDS, KEYS, SETTINGS, WORKER_FIELDS, WORKER_KEYS, envName, helpTable, inlineNegativeValues, nearest, wrapHelp } from '../../src/settings/index.js';
import { WORKER_FIELDS as AGENT_FIELDS } from '../../src/worker/index.js';

test('one table: the hub and the worker read sections of it, the shared rows are the same rows', () => {
  assert.equal(AGENT_FIELDS, WORKER_FIELDS, 'the worker agent exports the section of the table');
  for (const k of ['hub', 'name', 'password', 'nice', 'max_load', 'resume_after', 'battery', 'watts', 'difficulty'] as const) {
    assert.ok(WORKER_KEYS.includes(k), `${k} is a worker setting`);
    assert.ok(!(KEYS as string[]).includes(k), `${k} is not a hub setting`);
  }
  for (const k of ['threads', 'kernel', 'log_level'] as const) {
    assert.ok(WORKER_KEYS.includes(k) && KEYS.includes(k), `${k} is read by both`);
    assert.equal(WORKER_FIELDS[k].flag, FIELDS[k].flag);
    assert.equal(WORKER_FIELDS[k].kind, FIELDS[k].kind);
  }
  assert.equal(WORKER_FIELDS.kernel.help, FIELDS.kernel.help, 'a shared row without a worker variant is the same text');
  assert.match(WORKER_FIELDS.threads.fix, /from 1/, "the worker's own fix for threads (at least 1)");
  assert.match(FIELDS.threads.fix, /from 0/);
  assert.equal(Object.keys(SETTINGS).length, new Set([...KEYS, ...WORKER_KEYS]).size, 'every row is in one section or both');
  assert.equal(envName('max_load'), 'MM_MAX_LOAD');
});

test('nearest: a typo, case and - for _, nothing when nothing is near', () => {
  assert.equal(nearest('polcy', ['policy', 'pool', 'threads']), 'policy');
  assert.equal(nearest('POOL-USER', ['pool_user', 'pool']), 'pool_user');
  assert.equal(nearest('idl_only', ['always', 'idle_only', 'surplus']), 'idle_only');
  assert.equal(nearest('gpu', ['auto', 'js', 'wasm', 'native']), null);
});

test('a negative number after a flag that takes a value is that value; other dashes are left alone', () => {
  const opts = { threads: { type: 'string' as const }, practice: { type: 'boolean' as const } };
  assert.deepEqual(inlineNegativeValues(['--threads', '-1'], opts), ['--threads=-1']);
  assert.deepEqual(inlineNegativeValues(['--threads', '-.5'], opts), ['--threads=-.5']);
  assert.deepEqual(inlineNegativeValues(['--threads', '--practice'], opts), ['--threads', '--practice']);
  assert.deepEqual(inlineNegativeValues(['--practice', '-1'], opts), ['--practice', '-1']);
  assert.deepEqual(inlineNegativeValues(['--threads=-2'], opts), ['--threads=-2']);
});

test('wrapHelp: rows continue under their meaning, prose is refilled, no word is cut, wrapping twice changes nothing', () => {
  const row = `  --pool URL        ${'upstream Stratum pool at the address given '.repeat(3).trim()}`;
  const text = `usage: x\n\n${'A paragraph of prose that runs on and on '.repeat(4).trim()}\nand its second line.\n\nsettings:\n${row}\n  --short           fits`;
  const out = wrapHelp(text, 50);
  const lines = out.split('\n');
  for (const l of lines) assert.ok(l.length <= 50, `"${l}" fits 50`);
  assert.deepEqual(out.split(/\s+/), text.split(/\s+/), 'the same words in the same order');
  const start = lines.findIndex((l) => l.startsWith('  --pool'));
  assert.equal(lines[start + 1].search(/\S/), 20, 'continuation under the meaning');
  assert.equal(wrapHelp(out, 50), out);
  // a word longer than the line stays whole, on its own line
  const long = wrapHelp(`  --x     ${'a'.repeat(70)} b`, 50);
  assert.ok(long.includes('a'.repeat(70)));
  assert.deepEqual(helpTable([{ flag: '--a', help: 'one two', where: '[MM_A, a]' }], 80), '  --a  one two [MM_A, a]');
});
