// Help fits the terminal (issue 24 item 10): `start --help`, `worker --help` and `check-config
// --help` wrap at the terminal's width (80 when stdout is not a terminal, COLUMNS when given),
// never inside a word, and a setting's meaning continues in its own column.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { HOME, ROOT, runCli } from './support.js';

after(() => rmSync(HOME, { recursive: true, force: true }));

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** Lines of a row table ("  --flag ARG   meaning") whose continuation lines are not under the meaning. */
function misaligned(text: string): string[] {
  const bad: string[] = [];
  const lines = text.split('\n');
  let col: number | null = null;
  for (const line of lines) {
    const row = /^( {2}--\S.*?\S {2,})\S/.exec(line);
    if (row) col = row[1].length;
    else if (line.startsWith('  ') && col !== null && !line.startsWith('  --')) {
      const indent = line.length - line.trimStart().length;
      if (indent !== col) bad.push(`${indent} != ${col}: ${line}`);
    } else col = null;
  }
  return bad;
}

for (const verb of ['start', 'worker', 'check-config']) {
  test(`${verb} --help fits 80 columns when stdout is not a terminal, no word cut, meanings aligned`, () => {
    const r = runCli([verb, '--help']);
    assert.equal(r.code, 0, r.err);
    const wide = r.out.split('\n').filter((l) => l.length > 80);
    assert.deepEqual(wide, [], `${wide.length} lines wider than 80 columns`);
    // the same words as the help laid out on a very wide terminal: no word was cut or lost
    const flat = runCli([verb, '--help'], { COLUMNS: '2000' });
    assert.equal(flat.code, 0, flat.err);
    assert.ok(
      flat.out.split('\n').some((l) => l.length > 120),
      'COLUMNS widens the help',
    );
    assert.deepEqual(words(r.out), words(flat.out));
    assert.deepEqual(misaligned(r.out), []);
  });
}

test('start --help at 60 columns (COLUMNS): every line that has room fits, meanings aligned', () => {
  const r = runCli(['start', '--help'], { COLUMNS: '60' });
  assert.equal(r.code, 0, r.err);
  const wide = r.out.split('\n').filter((l) => l.length > 60 && words(l).length > 1);
  assert.deepEqual(wide, []);
  assert.deepEqual(misaligned(r.out), []);
});

test('worker --help on a terminal of 100 columns (a pty by script(1)) uses its width', (t) => {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return t.skip('script(1) is not installed');
  const cmd = `stty cols 100; exec '${process.execPath}' --import tsx test/worker/run-cli.ts worker --help`;
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME, TERM: 'dumb' },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.replace(/\r/g, '').split('\n');
  const widest = Math.max(...lines.map((l) => l.length));
  assert.ok(widest <= 100, `widest line ${widest}`);
  assert.ok(widest > 80, `the terminal's 100 columns are used (widest line ${widest})`);
  assert.ok(
    lines.some((l) => l.includes('MM_HUB')),
    `help printed: ${r.stdout.slice(0, 200)}`,
  );
});
