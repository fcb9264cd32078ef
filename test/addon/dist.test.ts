// Compiled JavaScript: dist/ mirrors src/ (what `npm start`, the bin and the add-on's run entry
// run, with no TypeScript loader), and a dist/ older than src/ is rebuilt before it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildDist, distIsStale, ensureDist } from '../../scripts/build-dist.mjs';

const root = new URL('../..', import.meta.url).pathname;
const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));

test('dist/ holds one JavaScript file per program source, at the same depth, and no TypeScript loader', async () => {
  await buildDist({ quiet: true });
  assert.equal(distIsStale(), false);
  const program = walk(join(root, 'src'))
    .map((f) => relative(join(root, 'src'), f))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/^core\/(kernels\/wasm|native)\//.test(f));
  assert.ok(program.length > 30);
  for (const f of program) assert.ok(existsSync(join(root, 'dist', f.replace(/\.ts$/, '.js'))), `dist/${f.replace(/\.ts$/, '.js')}`);
  for (const f of walk(join(root, 'dist')).filter((x) => /\.m?js$/.test(x))) {
    const text = readFileSync(f, 'utf8');
    assert.ok(!/from ['"]tsx|import\(['"]tsx|\.ts['"]\)/.test(text), `${relative(root, f)} loads no TypeScript`);
  }
  // the piscina worker file imports the compiled worker
  assert.match(readFileSync(join(root, 'dist/hashpool/worker-entry.mjs'), 'utf8'), /from '\.\/worker\.js'/);
  // paths relative to a module resolve the same from dist/ as from src/ (same depth)
  assert.equal(relative(join(root, 'dist/core/kernels'), join(root, 'build')), relative(join(root, 'src/core/kernels'), join(root, 'build')));
});

test('the command and the run entry run dist/ with plain Node (no tsx)', () => {
  for (const f of ['bin/micro-mining.js', 'bin/ensure-dist.js', 'addon/run.mjs'])
    assert.ok(!readFileSync(join(root, f), 'utf8').includes('tsx'), `${f} does not use tsx`);
  const r = spawnSync(process.execPath, ['bin/micro-mining.js', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: micro-mining/);
});

test('a dist/ older than src/ is rebuilt before it runs', async () => {
  await buildDist({ quiet: true });
  const stamp = join(root, 'dist', '.build-stamp');
  utimesSync(stamp, new Date(0), new Date(0));
  assert.equal(distIsStale(), true, 'sources newer than the last build');
  assert.equal(await ensureDist(), true, 'rebuilt');
  assert.equal(distIsStale(), false);
  assert.equal(await ensureDist(), false, 'nothing to do when fresh');
  // the same through the command itself
  utimesSync(stamp, new Date(0), new Date(0));
  const r = spawnSync(process.execPath, ['bin/micro-mining.js', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(statSync(stamp).mtimeMs > 0 && distIsStale() === false, 'the command rebuilt dist/ first');
});
