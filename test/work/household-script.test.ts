// scripts/household-miner.ts as a process of its own, against the endpoint in another process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from '../stratum/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kids: ChildProcess[] = [];
function run(args: string[]): { child: ChildProcess; lines: Record<string, unknown>[]; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  kids.push(child);
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      /* status text */
    }
  });
  return { child, lines, exit: new Promise((r) => child.on('exit', (c) => r(c))) };
}
after(async () => {
  for (const k of kids) if (k.exitCode === null) k.stdin?.end();
});

test('bad flags exit 2 and name the flag', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/household-miner.ts', '--url', 'http://x:1', '--user', 'u'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /scheme "http" is not supported/);
  const t = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/household-miner.ts', '--url', 'stratum+tcp://127.0.0.1:1', '--user', 'u', '--threads', '0'],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(t.status, 2);
  assert.match(t.stderr, /--threads/);
});

test('the household-miner script mines on the endpoint process and stops on its own after 2 accepted shares (difficulty 0.00001: ~43k hashes a share)', async () => {
  const ep = run(['test/stratum/fixtures/endpoint-process.ts']);
  await until(() => ep.lines.some((e) => 'listening' in e), 20_000, 'endpoint');
  const port = ep.lines.find((e) => 'listening' in e)!.listening;
  const m = run([
    'scripts/household-miner.ts',
    '--url',
    `stratum+tcp://127.0.0.1:${port}`,
    '--user',
    'garage-pc',
    '--kernel',
    'js',
    '--suggest-difficulty',
    '0.00001',
    '--shares',
    '2',
    '--seconds',
    '300',
    '--json',
  ]);
  assert.equal(await m.exit, 0);
  const accepted = m.lines.filter((l) => 'share' in l && (l.share as { accepted: boolean }).accepted).length;
  assert.ok(accepted >= 2, `accepted ${accepted}`);
  const last = m.lines.at(-1)!;
  assert.equal(last.stopped, true);
  const endpointSaw = ep.lines.filter(
    (l) => 'share' in l && (l.share as { worker: string; accepted: boolean }).worker === 'garage-pc' && (l.share as { accepted: boolean }).accepted,
  ).length;
  assert.ok(endpointSaw >= accepted, `endpoint accepted ${endpointSaw}, miner saw ${accepted}`); // a reply may be lost at stop
  ep.child.stdin!.end();
  assert.equal(await ep.exit, 0);
});
