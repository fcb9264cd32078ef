// `micro-mining worker` with no hub to reach (the real CLI, bin/micro-mining.js): one line names the
// fix (is the hub running, does it listen beyond 127.0.0.1), the worker says "hub", never "pool",
// backs off instead of warning every few seconds, and prints a line when its state changes, not
// one per check. The live status line: on a terminal only, redrawn in place under the log lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { logger } from '../../src/log.js';
import { WorkerConsole, type AgentState } from '../../src/worker/index.js';
import { ROOT, until } from './support.js';

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('no hub: the message names the fix, the worker says hub, and its log lines are few', async () => {
  const port = await closedPort();
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/micro-mining.js'), 'worker', '--hub', `stratum+tcp://127.0.0.1:${port}`, '--name', 'pc-alone', '--threads', '1'],
    {
      cwd: ROOT,
      env: { ...process.env, MM_TEST: '', MM_LOG_LEVEL: 'info', MM_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: { at: number; o: Record<string, unknown> }[] = [];
  let stdout = '';
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push({ at: Date.now(), o: JSON.parse(l) as Record<string, unknown> });
      } catch {
        lines.push({ at: Date.now(), o: { msg: l } });
      }
    }
  });
  const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    const fix = await until('the line that names the fix', () => lines.find((l) => /cannot reach the hub/.test(String(l.o.msg))), 60_000);
    assert.equal(
      fix.o.msg,
      `cannot reach the hub at stratum+tcp://127.0.0.1:${port} (ECONNREFUSED 127.0.0.1:${port}): is it running, and does it listen beyond 127.0.0.1 (--stratum-bind)?`,
    );
    assert.equal(fix.o.level, 40);
    // the client keeps trying (1 s, 2 s, 4 s, … backoff) for 12 s more; at most a few lines come of it
    const t0 = fix.at;
    await until('12 s of retries', () => Date.now() - t0 >= 12_000 || undefined, 30_000);
    const window = lines.filter((l) => l.at >= t0);
    const msgs = lines.map((l) => String(l.o.msg));
    console.log(
      `# worker without a hub: ${lines.length} log lines in ${((Date.now() - started) / 1000).toFixed(1)} s (${window.length} in the 12 s after the first failure):\n#   ${msgs.join('\n#   ')}`,
    );
    assert.ok(window.length <= 6, `few lines while the hub stays away: ${window.length}`);
    assert.equal(msgs.filter((m) => /cannot reach the hub/.test(m)).length, 1, 'the fix is said once, then again only after a minute or more');
    assert.ok(!msgs.some((m) => /\bpool\b/i.test(m)), 'the worker calls the hub "hub"');
    assert.ok(!msgs.some((m) => /^working/.test(m)), 'no "working" while it has no hub');
    assert.equal(stdout, '', 'no live line when stdout is not a terminal');
  } finally {
    child.kill('SIGTERM');
    await exit;
  }
});

test('the console: one log line per state change, a live line on a terminal only, drawn under the log lines', () => {
  const state: AgentState = {
    state: 'working',
    threads: 2,
    hashrate: 2.5e6,
    hashes: 0,
    accepted: 3,
    rejected: 0,
    connected: true,
    controlled: true,
    hubPaused: false,
    hubThreads: null,
    yielding: null,
    kernel: 'native',
    gpuOff: null,
  };
  const agent = Object.assign(new EventEmitter(), { state: () => ({ ...state }) });
  const logged: string[] = [];
  const log = logger('test');
  const spy = new Proxy(log, { get: (t, p) => (p === 'info' ? (_o: unknown, m: string) => logged.push(m) : Reflect.get(t, p)) });
  const written: string[] = [];
  const tty = { isTTY: true, columns: 200, write: (c: string) => written.push(c) };
  const view = new WorkerConsole(agent, spy, 'stratum+tcp://hub.lan:3333', tty);
  view.start();
  try {
    assert.deepEqual(logged, ['working, 2 threads (native)']);
    assert.match(written.at(-1)!, /^\r\x1b\[2Khub hub\.lan:3333 connected \| working, 2 threads \(native\) \| 2\.5 MH\/s \| shares 3 ok\/0 rej$/);
    // the same state reported again, or a new figure in a reason: no new line
    agent.emit('state', { ...state });
    Object.assign(state, {
      state: 'yielding',
      threads: 0,
      hashrate: 0,
      yielding: 'this computer is busy (91% CPU by other programs)',
      reason: 'this computer is busy (91% CPU by other programs)',
    });
    agent.emit('state', { ...state });
    agent.emit('state', { ...state, reason: 'this computer is busy (97% CPU by other programs)' });
    Object.assign(state, { state: 'paused', reason: 'Office PC is busy' });
    agent.emit('state', { ...state });
    assert.deepEqual(logged, [
      'working, 2 threads (native)',
      'yielding: this computer is busy (91% CPU by other programs)',
      'paused by the hub: Office PC is busy',
    ]);
  } finally {
    view.stop();
  }
  assert.equal(written.at(-1), '\n', 'the live line is left on its own line at the end');
  // not a terminal: no live line at all
  const plain: string[] = [];
  const v2 = new WorkerConsole(agent, spy, 'stratum+tcp://hub.lan:3333', { isTTY: false, write: (c: string) => plain.push(c) });
  v2.start();
  v2.stop();
  assert.deepEqual(plain, []);
});
