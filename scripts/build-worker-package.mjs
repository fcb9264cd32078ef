#!/usr/bin/env node
// Builds the worker package the hub serves at GET /worker/package.tgz, so any computer of the home
// becomes a worker with `npm install -g http://HUB:8099/worker/package.tgz` (docs/workers.md):
// build/worker-package/micro-mining-worker.tgz, made by `npm pack` from a staging folder holding
//   - package.json: bin `micro-mining` (the `worker` verb only), the npm dependencies the worker's
//     compiled files import (versions from the hub's own package.json), no dev dependencies;
//   - dist/: the compiled JavaScript the worker runs (the files `micro-mining worker` imports,
//     found by following the imports of dist/, which scripts/build-dist.mjs made: no TypeScript,
//     no esbuild at install);
//   - build/wasm/kernel.wasm (the WebAssembly kernel: runs on any machine) and, when this hub
//     built it, build/native/mm_native.node with install.mjs, which keeps it only where it loads
//     (the same OS and CPU family as the hub) and otherwise removes it with one warning line: the
//     worker then hashes with the wasm kernel. Nothing is compiled on the worker's computer.
// Run by `npm run build` (build:worker-package) and by scripts/postinstall.mjs; needs dist/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(root, 'dist');
const OUT_DIR = join(root, 'build', 'worker-package');
const STAGE = join(OUT_DIR, 'stage');
export const WORKER_PACKAGE = join(OUT_DIR, 'micro-mining-worker.tgz');

/** The worker's entry files in dist/ (the piscina worker is loaded by file name, not imported). */
const ENTRIES = ['app/verbs/worker.js', 'hashpool/worker-entry.mjs', 'hashpool/worker.js'];

function fail(why) {
  console.error(`build-worker-package: ${why}; the hub will not serve /worker/package.tgz until it is built (npm run build)`);
  process.exit(1);
}

/** Import specifiers of one compiled file: static (from "x", import "x") and dynamic with a literal. */
function importsOf(text) {
  const out = [];
  for (const re of [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\(\s*["']([^"']+)["']\s*\)/g]) {
    for (const m of text.matchAll(re)) out.push({ spec: m[1], dynamic: re.source.startsWith('\\bimport\\(') });
  }
  return out;
}

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The files of dist/ the worker needs, and the npm packages they import (dynamic-only ones are optional). */
function closure() {
  const files = new Set();
  const packages = new Set();
  const optional = new Set();
  const builtins = new Set(builtinModules);
  const queue = ENTRIES.map((e) => join(DIST, e));
  while (queue.length) {
    const f = queue.pop();
    if (files.has(f)) continue;
    if (!existsSync(f)) fail(`${relative(root, f)} is missing (run npm run build:dist)`);
    files.add(f);
    for (const { spec, dynamic } of importsOf(readFileSync(f, 'utf8'))) {
      if (spec.startsWith('node:') || builtins.has(spec)) continue;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(f), spec.replace(/\?.*$/, ''));
        if (!target.startsWith(DIST + sep)) fail(`${relative(root, f)} imports ${spec}, outside dist/`);
        queue.push(target);
      } else if (dynamic) optional.add(packageName(spec));
      else packages.add(packageName(spec));
    }
  }
  for (const p of packages) optional.delete(p);
  return { files: [...files].sort(), packages: [...packages].sort(), optional: [...optional].sort() };
}

const BIN = `#!/usr/bin/env node
// micro-mining worker: this computer hashes for a Micro Mining hub (the package the hub serves at
// /worker/package.tgz; the hub itself is the full micro-mining package).
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const verb = argv[0];
if (verb === '--version' || verb === '-V' || verb === 'version') {
  console.log(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
} else if (verb === 'worker') {
  const { runWorker } = await import('../dist/app/verbs/worker.js');
  const { InputError } = await import('../dist/core/errors.js');
  const { scrub } = await import('../dist/log.js');
  try {
    process.exitCode = await runWorker(argv.slice(1));
  } catch (err) {
    // a bad setting: the message names it and the fix (exit 2, like the hub's command)
    const input = err instanceof InputError;
    console.error(scrub(\`micro-mining worker: \${input ? '' : 'internal error: '}\${err?.message ?? err}\`));
    process.exitCode = input ? 2 : 1;
  }
} else {
  console.error('this is the worker package of a Micro Mining hub: run  micro-mining worker --hub stratum+tcp://HUB:3333 --name NAME  (micro-mining worker --help for all settings)');
  process.exitCode = verb === undefined || verb === '--help' || verb === '-h' || verb === 'help' ? 0 : 2;
}
`;

const INSTALL = `// Runs once after npm installs the worker package: the native kernel was built on the hub; it is
// kept only where it loads (the same OS and CPU family); otherwise the wasm kernel hashes instead.
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('./build/native/mm_native.node', import.meta.url));
if (existsSync(file)) {
  try {
    createRequire(import.meta.url)(file);
  } catch (err) {
    rmSync(file, { force: true });
    console.warn(\`micro-mining worker: the hub's native kernel does not load on this computer (\${String(err?.message ?? err).split('\\\\n')[0]}); the WebAssembly kernel hashes instead (slower)\`);
  }
}
`;

export function buildWorkerPackage({ quiet = false } = {}) {
  const t0 = performance.now();
  if (!existsSync(join(DIST, 'app', 'verbs', 'worker.js'))) fail('dist/ is not built (run npm run build:dist)');
  const wasm = join(root, 'build', 'wasm', 'kernel.wasm');
  if (!existsSync(wasm)) fail('build/wasm/kernel.wasm is not built (run npm run build:wasm)');
  const hub = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const { files, packages, optional } = closure();
  const dependencies = {};
  for (const p of packages) {
    const v = hub.dependencies?.[p];
    if (!v) fail(`the worker imports ${p}, which is not a dependency in package.json`);
    dependencies[p] = v;
  }
  rmSync(STAGE, { recursive: true, force: true });
  for (const f of files) {
    const to = join(STAGE, 'dist', relative(DIST, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  mkdirSync(join(STAGE, 'build', 'wasm'), { recursive: true });
  copyFileSync(wasm, join(STAGE, 'build', 'wasm', 'kernel.wasm'));
  const native = join(root, 'build', 'native', 'mm_native.node');
  const withNative = existsSync(native);
  if (withNative) {
    mkdirSync(join(STAGE, 'build', 'native'), { recursive: true });
    copyFileSync(native, join(STAGE, 'build', 'native', 'mm_native.node'));
    writeFileSync(join(STAGE, 'install.mjs'), INSTALL);
  }
  mkdirSync(join(STAGE, 'bin'), { recursive: true });
  writeFileSync(join(STAGE, 'bin', 'micro-mining.js'), BIN, { mode: 0o755 });
  const pkg = {
    name: 'micro-mining-worker',
    version: hub.version,
    description: 'The worker of a Micro Mining hub: this computer hashes for the hub while it is idle (served by the hub at /worker/package.tgz)',
    license: hub.license,
    type: 'module',
    engines: hub.engines,
    bin: { 'micro-mining': 'bin/micro-mining.js' },
    ...(withNative ? { scripts: { postinstall: 'node install.mjs' } } : {}),
    dependencies,
    ...(optional.length ? { micromining: { optionalImports: optional } } : {}),
  };
  writeFileSync(join(STAGE, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(STAGE, 'README.md'),
    `# micro-mining-worker\n\nThe worker of a Micro Mining hub, served by the hub itself. On this computer:\n\n    micro-mining worker --hub stratum+tcp://HUB:3333 --name NAME\n\nSee the hub's docs/workers.md. ${optional.length ? `Optional: ${optional.join(', ')} (install it for --gpu).` : ''}\n`,
  );
  // npm pack from the staging folder: exactly the files npm would publish
  const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
  const r = spawnSync(npm[0], [...npm[1], 'pack', '--json', '--pack-destination', OUT_DIR], {
    cwd: STAGE,
    encoding: 'utf8',
    env: { ...process.env, npm_config_ignore_scripts: 'true', npm_config_loglevel: 'error' },
  });
  if (r.status !== 0) fail(`npm pack failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-1)[0]}`);
  let made;
  try {
    made = JSON.parse(r.stdout)[0].filename;
  } catch {
    fail(`npm pack said: ${r.stdout.slice(0, 200)}`);
  }
  const tmp = `${WORKER_PACKAGE}.${process.pid}.tmp`;
  renameSync(join(OUT_DIR, made), tmp);
  renameSync(tmp, WORKER_PACKAGE);
  rmSync(STAGE, { recursive: true, force: true });
  const size = statSync(WORKER_PACKAGE).size;
  if (!quiet)
    console.log(
      `build-worker-package: ${relative(root, WORKER_PACKAGE)} ${(size / 1024).toFixed(0)} KiB (${files.length} files of dist/, the wasm kernel${withNative ? ', the native kernel where it loads' : ', no native kernel (not built here)'}; dependencies: ${Object.keys(dependencies).join(', ')}) in ${Math.round(performance.now() - t0)} ms`,
    );
  return { file: WORKER_PACKAGE, size, dependencies, files: files.length };
}

if (import.meta.url === `file://${process.argv[1]}`) buildWorkerPackage();
