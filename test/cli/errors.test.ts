// Errors that name the fix (issue 24 item 9), on the real command line: a negative number is a
// value that gets the range error, an unknown flag the nearest one, a bad choice its list once
// and the nearest word; --version; check-config names every problem at once in a user's words and
// prints settings that can be given back to it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOME, ROOT, runCli } from './support.js';

after(() => rmSync(HOME, { recursive: true, force: true }));

test('--threads -1 is a value: the range error with the fix, exit 2 (start, check-config, worker)', () => {
  for (const verb of ['start', 'check-config']) {
    const r = runCli([verb, '--threads', '-1']);
    assert.equal(r.code, 2, r.err);
    assert.equal(
      r.err.trim(),
      `micro-mining ${verb}: threads / --threads (from --threads -1): must be at least 0; give a whole number from 0 to the number of cores`,
    );
  }
  const w = runCli(['worker', '--hub', 'stratum+tcp://127.0.0.1:3333', '--threads', '-1']);
  assert.equal(w.code, 2, w.err);
  assert.match(w.err, /^micro-mining worker: --threads: expected a whole number from 1 to \d+, got "-1"; give a whole number from 1 to the number of cores\n$/);
  assert.doesNotMatch(w.err, /ambiguous/);
});

test('an unknown flag is answered with the nearest one, exit 2', () => {
  const r = runCli(['start', '--polcy', 'always']);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.trim(), `micro-mining start: Unknown option '--polcy'; did you mean --policy? (see "micro-mining start --help")`);
  const w = runCli(['worker', '--thread', '2']);
  assert.equal(w.code, 2, w.err);
  assert.match(w.err, /Unknown option '--thread'; did you mean --threads\?/);
});

test('a bad choice says the choices once, with the nearest one, exit 2', () => {
  const r = runCli(['start', '--policy', 'idl_only']);
  assert.equal(r.code, 2, r.err);
  assert.equal(r.err.trim(), 'micro-mining start: policy / --policy (from --policy idl_only): must be always, idle_only or surplus; did you mean idle_only?');
  // a word near none of them: the list, once
  const k = runCli(['check-config', '--kernel', 'gpu']);
  assert.equal(k.code, 2, k.err);
  assert.equal(k.err.split('auto, js, wasm or native').length - 1, 1, k.err);
});

test('--version and -V print the package version, exit 0', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = runCli([flag]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `micro-mining ${version}\n`);
  }
  const typo = runCli(['strat']);
  assert.equal(typo.code, 2);
  assert.match(typo.err, /unknown verb "strat"; did you mean start\?/);
});

test('check-config names every problem at once, each by file key and flag with its fix, exit 2', () => {
  const f = join(HOME, 'bad.yaml');
  writeFileSync(f, 'threads: 99\npolcy: always\nstratum_port: abc\nha_token: abc\n');
  const r = runCli(['check-config', '--config', f, '--log-level', 'loud']);
  assert.equal(r.code, 2, r.err);
  const lines = r.err.trim().split('\n');
  assert.equal(lines[0], 'micro-mining check-config: 5 settings need a fix:', r.err);
  assert.match(r.err, new RegExp(`  ${f}: unknown setting "polcy" \\(did you mean policy\\?\\)`));
  assert.match(r.err, new RegExp(`  threads / --threads \\(from ${f}\\): "99" must be at most \\d+ \\(this machine has \\d+ cores?\\); give a whole number`));
  assert.match(r.err, new RegExp(`  stratum_port / --stratum-port \\(from ${f}\\): "abc" must be a whole number; give a port`));
  assert.match(r.err, / {2}log_level \/ --log-level \(from --log-level loud\): must be trace, debug, info, warn, error, fatal or silent\n/);
  assert.match(r.err, / {2}ha_url \/ --ha-url: is required with ha_token; give a URL/);
  assert.equal(lines.length, 6, r.err);
});

test('check-config prints the effective settings by file key, and its output is a configuration it accepts', () => {
  const f = join(HOME, 'good.yaml');
  writeFileSync(
    f,
    'pool: stratum+tcp://pool.example.com:3333\npool_user: bc1qexample.home\npool_password: hunter2-secret\npractice: false\nshare_interval: 15\nquiet_hours: 22:00-07:00\nidle_overrides: [{match_type: area, match: Kitchen, state: ignore}]\n',
  );
  const r = runCli(['check-config', '--config', f, '--threads', '0', '--no-mqtt']);
  assert.equal(r.code, 0, r.err);
  assert.ok(!r.out.includes('hunter2-secret'), 'the password is masked');
  for (const internal of ['shareIntervalS', 'configFile', 'dataDir', 'maxWorkerDevices', 'sensorInverted'])
    assert.ok(!r.out.includes(internal), `no internal name ${internal}:\n${r.out}`);
  assert.match(r.out, /^share_interval: 15$/m);
  assert.match(r.out, /^threads: 0$/m);
  assert.match(r.out, /^mqtt: off$/m);
  assert.match(r.out, /^pool_user: bc1qexample\.home$/m);
  const back = join(HOME, 'back.yaml');
  writeFileSync(back, r.out);
  const again = runCli(['check-config', '--config', back]);
  assert.equal(again.code, 0, `${again.err}\n--- fed back:\n${r.out}`);
  // the same settings (the sources differ: now all from the file)
  const settings = (text: string) => text.split('\n').filter((l) => !l.startsWith('#'));
  assert.deepEqual(settings(again.out), settings(r.out));
});

test('a switch given a value says how a switch is written, exit 2', () => {
  const r = runCli(['check-config', '--stratum', 'maybe']);
  assert.equal(r.code, 2, r.err);
  assert.equal(
    r.err.trim(),
    'micro-mining check-config: --stratum takes no value, got "maybe"; give --stratum or --no-stratum (see "micro-mining check-config --help")',
  );
  const e = runCli(['start', '--practice=yes']);
  assert.equal(e.code, 2, e.err);
  assert.match(e.err, /'--practice' does not take an argument; give --practice or --no-practice/);
});

test('a flag of the other command says whose it is, exit 2', () => {
  const r = runCli(['check-config', '--nice', '3']);
  assert.equal(r.code, 2, r.err);
  assert.equal(
    r.err.trim(),
    `micro-mining check-config: Unknown option '--nice'; --nice is a setting of "micro-mining worker" (see "micro-mining check-config --help")`,
  );
  const w = runCli(['worker', '--pool', 'stratum+tcp://pool.example.com:3333']);
  assert.equal(w.code, 2, w.err);
  assert.match(w.err, /Unknown option '--pool'; --pool is a setting of the hub \("micro-mining start"\)/);
});
