// The AxeOS miners' remembered settings file (axeos.json): written whole through a rename and only
// when it changed; a file that exists but cannot be read is never written over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RememberedFile, parseRemembered, REMEMBERED_MAX } from '../../src/axeos/index.js';
import { logger } from '../../src/log.js';

const log = logger('test');

function folder(): string {
  const d = mkdtempSync(join(tmpdir(), 'mm-axeos-rem-'));
  return d;
}

test('written on change only, whole (no temporary file left), read back the same', () => {
  const d = folder();
  try {
    const path = join(d, 'axeos.json');
    const f = new RememberedFile(path, log);
    assert.deepEqual(f.load(), {}, 'a missing file is empty');
    f.set('bitaxe', { frequency: 525, coreVoltage: 1150 });
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { version: 1, miners: { bitaxe: { frequency: 525, coreVoltage: 1150 } } });
    // unchanged: not written again (the removed file does not come back)
    unlinkSync(path);
    f.set('bitaxe', { frequency: 525, coreVoltage: 1150 });
    assert.equal(existsSync(path), false);
    f.set('bitaxe', { frequency: 490, coreVoltage: 1150, pausedByHub: true });
    assert.deepEqual(readdirSync(d), ['axeos.json'], 'no temporary file left');
    const again = new RememberedFile(path, log);
    assert.deepEqual(again.load(), { bitaxe: { frequency: 490, coreVoltage: 1150, pausedByHub: true } });
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('a file that cannot be read (broken JSON, another format, too large, a folder) is left as it is', () => {
  const d = folder();
  try {
    const cases: [string, string | null][] = [
      ['broken.json', '{"version": 1, "miners": {'],
      ['other.json', '{"version": 2, "miners": {}}'],
      ['large.json', `{"version": 1, "miners": {}, "pad": "${'x'.repeat(300 * 1024)}"}`],
      ['folder.json', null],
    ];
    for (const [name, text] of cases) {
      const path = join(d, name);
      if (text === null) mkdirSync(path);
      else writeFileSync(path, text);
      const f = new RememberedFile(path, log);
      assert.deepEqual(f.load(), {}, name);
      f.set('bitaxe', { frequency: 525, coreVoltage: 1150 });
      if (text !== null) assert.equal(readFileSync(path, 'utf8'), text, `${name} is as it was`);
      else assert.deepEqual(readdirSync(path), [], 'the folder is as it was');
    }
    assert.equal(
      readdirSync(d).some((n) => n.endsWith('.tmp')),
      false,
    );
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});

test('parseRemembered keeps well-formed entries only, and at most REMEMBERED_MAX', () => {
  const miners: Record<string, unknown> = {
    ok: { frequency: 525, coreVoltage: 1150 },
    paused: { frequency: 400, coreVoltage: 1100, pausedByHub: true },
    zero: { frequency: 0, coreVoltage: 1150 },
    text: { frequency: '525', coreVoltage: 1150 },
    nothing: null,
  };
  assert.deepEqual(parseRemembered(JSON.stringify({ version: 1, miners })), {
    ok: { frequency: 525, coreVoltage: 1150 },
    paused: { frequency: 400, coreVoltage: 1100, pausedByHub: true },
  });
  assert.equal(parseRemembered('[]'), null);
  assert.equal(parseRemembered('{"version":1,"miners":[]}'), null);
  const many = Object.fromEntries(Array.from({ length: REMEMBERED_MAX + 10 }, (_, i) => [`m${i}`, { frequency: 500, coreVoltage: 1100 }]));
  assert.equal(Object.keys(parseRemembered(JSON.stringify({ version: 1, miners: many })) ?? {}).length, REMEMBERED_MAX);
});
