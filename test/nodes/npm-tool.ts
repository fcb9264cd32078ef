// A pinned npm package installed once into a cache folder outside the repository (another
// Node-RED major, Node-RED's package validator), under a lock so that parallel test runs do not
// install it twice. Its own node_modules never mix with the repository's.
//
//   const dir = ensureNpmTool('node-red', '3.1.15');   // <cache>/node-red@3.1.15/node_modules/node-red
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function toolCache(): string {
  return join(process.env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache'), 'micro-mining', 'npm-tools');
}

/** Installs `name@version` (exact) into its own folder unless there; returns the package's folder. */
export function ensureNpmTool(name: string, version: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`ensureNpmTool: pin an exact version, got ${version}`);
  const dir = join(toolCache(), `${name.replace('/', '+')}@${version}`);
  const pkgDir = join(dir, 'node_modules', ...name.split('/'));
  const done = join(dir, '.installed');
  if (existsSync(done)) return pkgDir;
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mm-npm-tool', private: true }));
  // flock(1) holds the lock while npm runs; a second caller waits, then finds it installed
  const script = `test -f .installed || { npm install --no-audit --no-fund --no-save --loglevel=error ${name}@${version} && touch .installed; }`;
  const r = spawnSync('flock', [join(dir, '.lock'), 'sh', '-c', script], { cwd: dir, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0 || !existsSync(done))
    throw new Error(`could not install ${name}@${version} into ${dir}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  return pkgDir;
}
