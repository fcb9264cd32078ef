// Issue 10 items 11 and 14: the status line says why in words and figures ("the rest of the
// machine uses 54% CPU, above the 50% limit", not "hub hub is busy"), is fitted to the terminal
// without hiding the decision, and log lines are printed above it, not onto it; practice mode is
// never "connected"; the appliance counts are the ones the flow sees; the thread count says what
// limits it and --headroom changes it (also standalone without Node-RED).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

// the logger reads its level when first used: set it before the modules load
process.env.MM_LOG_LEVEL = 'info';
process.env.MM_LOG_FORMAT = 'json';
const { schedule, defaultPolicy, parsePolicy } = await import('../../src/schedule/index.js');
const { statusLines, statusLine, TerminalLine } = await import('../../src/app/terminal.js');
const { logger, rootLogger } = await import('../../src/log.js');
const { testHub } = await import('../support/hub.js');
type HubStatus = import('../../src/app/status.js').HubStatus;

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mm-status-line-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BUSY = 'the rest of the machine uses 54% CPU, above the 50% limit';

function policy(over: Record<string, unknown> = {}) {
  const p = parsePolicy({ ...defaultPolicy(), ...over });
  assert.ok(p.ok);
  return p.value;
}

test('the schedule says why the hub waits in words and figures, not "hub hub is busy"', () => {
  const hub = { cores: 2, maxThreads: 2, hashratePerThread: 1e6, wattsPerThread: 6 };
  const { plan } = schedule(
    { now: 1, appliances: [{ id: 'hub', name: 'hub', status: 'busy', roles: ['worker'], workerId: 'hub', reason: BUSY }], hub, miners: [] },
    policy(),
  );
  assert.equal(plan.summary, `not mining: ${BUSY}`);
  assert.doesNotMatch(plan.summary, /hub hub/);
  // the other-load gate speaks the same way
  const { plan: p2 } = schedule(
    { now: 1, appliances: [], hub: { ...hub, otherLoadPercent: 71 }, miners: [] },
    policy({ mode: 'always', maxHubLoadPercent: 60 }),
  );
  assert.equal(p2.workers[0].reason, 'the rest of the machine uses 71% CPU, above the 60% limit');
});

test('--headroom: the hub input wins over the policy, and the plan says what limits the threads', () => {
  const hub = { cores: 4, maxThreads: 4, hashratePerThread: 1e6, wattsPerThread: 6 };
  const idle = [{ id: 'hub', name: 'hub', status: 'idle' as const, roles: ['worker' as const], workerId: 'hub' }];
  const dflt = schedule({ now: 1, appliances: idle, hub, miners: [] }, policy()).plan;
  assert.equal(dflt.hubThreads, 3);
  assert.equal(dflt.hubLimit, '3 of 4 threads: 1 core kept for Home Assistant (headroom 1)');
  const none = schedule({ now: 1, appliances: idle, hub: { ...hub, headroomCores: 0 }, miners: [] }, policy()).plan;
  assert.equal(none.hubThreads, 4);
  assert.equal(none.hubLimit, null);
  const capped = schedule({ now: 1, appliances: idle, hub: { ...hub, headroomCores: 0 }, miners: [], manual: { maxThreads: 2 } }, policy()).plan;
  assert.equal(capped.hubLimit, '2 of 4 threads: thread cap 2');
});

function status(over: Partial<HubStatus> = {}): HubStatus {
  return {
    mode: 'practice',
    source: 'practice',
    poolConnected: false,
    connection: 'practice',
    mining: false,
    policy: 'idle_only',
    decision: `not mining: ${BUSY}`,
    threads: 0,
    maxThreads: 2,
    threadLimit: '1 of 2 threads: 1 core kept for Home Assistant (--headroom 1)',
    kernel: 'js',
    hashrate: 0,
    hubHashrate: 0,
    shares: { accepted: 12, rejected: 1, stale: 0 },
    bestDifficulty: { session: 0.25, allTime: 3.5 },
    blocksFound: 0,
    networkDifficulty: 1.2e14,
    oddsPerDay: 0,
    expectedTimeToBlock: Infinity,
    powerW: 0,
    energyKWh: 0,
    workers: [],
    appliances: { idle: 0, busy: 1, total: 1, ignored: 0, list: [] },
    haConnected: null,
    mqttConnected: true,
    startedAt: Date.now(),
    ...over,
  } as HubStatus;
}

test('the terminal status fits its width and never cuts the decision (80, 60 and 200 columns)', () => {
  const s = status();
  for (const width of [80, 60, 200]) {
    const lines = statusLines(s, width);
    for (const l of lines) assert.ok(l.length <= width - 1, `${width} columns: "${l}" is ${l.length} long`);
    assert.ok(lines.join(' ').includes(s.decision), `${width} columns: the whole decision shows:\n${lines.join('\n')}`);
    // the compact line (issue 24 item 10): the four figures first, then the source as it fits
    assert.match(lines[0], /^0 H\/s \| .*\bpractice\b/);
  }
  assert.equal(statusLines(s, 400).length, 1, 'one line when all fits');
  assert.ok(statusLine(s).includes('1 of 2 threads: 1 core kept for Home Assistant (--headroom 1)'), 'the line says what limits the threads');
  assert.doesNotMatch(statusLine(s), /connected/);
});

test('a log line is printed above the status, not onto it: the status is cleared before and drawn again after', () => {
  const seen: string[] = [];
  const out = { isTTY: true, columns: 80, write: (c: string) => seen.push(`out:${c}`) };
  const line = new TerminalLine(() => status(), out);
  const write = process.stderr.write.bind(process.stderr);
  (process.stderr as unknown as { write: (c: string) => boolean }).write = (c: string) => {
    seen.push(`err:${c}`);
    return true;
  };
  try {
    line.start();
    line.tick();
    seen.length = 0;
    logger('test').info('a log line');
  } finally {
    (process.stderr as unknown as { write: typeof write }).write = write;
    line.stop();
    rootLogger().level = 'silent'; // the rest of this file needs no log
  }
  const i = seen.findIndex((x) => x.startsWith('err:') && x.includes('a log line'));
  assert.ok(i > 0, `the log line was written: ${JSON.stringify(seen)}`);
  assert.match(seen[i - 1], /^out:\r\x1b\[2K(\x1b\[1A\x1b\[2K)*$/, 'the status is cleared first');
  assert.ok(seen[i + 1]?.startsWith('out:') && seen[i + 1].includes('practice'), `the status is drawn again after: ${JSON.stringify(seen.slice(i + 1))}`);
});

test('a standalone hub (no Node-RED): practice is not "connected", the appliance counts are the flow\'s, and --headroom sets the threads', async () => {
  const cores = availableParallelism();
  for (const headroom of [1, 0]) {
    const hub = testHub({
      dataDir: dir,
      threads: cores,
      args: ['--kernel', 'js', '--hub-max-load', '100', '--headroom', String(headroom)],
      overrides: { tickMs: 200 },
    });
    try {
      await hub.start();
      const deadline = Date.now() + 30_000;
      while (!hub.planner.lastPlan && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const s = hub.status();
      assert.equal(s.mode, 'practice');
      assert.equal(s.poolConnected, false, 'practice has no pool');
      assert.equal(s.connection, 'practice');
      assert.equal(s.appliances.total, 1, 'the hub itself is the one appliance');
      assert.equal(s.appliances.idle + s.appliances.busy, 1);
      assert.equal(s.appliances.idle, hub.planner.lastPlan!.idleAppliances, 'the page counts what the plan counted');
      const plan = hub.planner.lastPlan!;
      if (headroom === 1) {
        assert.equal(plan.hubThreads, Math.max(0, cores - 1));
        assert.equal(s.threadLimit, `${cores - 1} of ${cores} thread${cores === 1 ? '' : 's'}: 1 core kept for Home Assistant (--headroom 1)`);
        assert.match(hub.threadsNote(), new RegExp(`^up to ${cores - 1} of ${cores} hub threads?: 1 core kept for Home Assistant \\(--headroom 1\\)$`));
      } else {
        assert.equal(plan.hubThreads, cores, 'every core with --headroom 0');
        assert.equal(s.threadLimit, null);
      }
      const page = await fetch(`http://127.0.0.1:${hub.statusServer!.port}/api/status`);
      const json = (await page.json()) as Record<string, unknown>;
      assert.equal(json.poolConnected, false);
      assert.equal(json.connection, 'practice');
      const html = await (await fetch(`http://127.0.0.1:${hub.statusServer!.port}/`)).text();
      if (headroom === 1) assert.ok(html.includes('kept for Home Assistant (--headroom 1)'), 'the page says what limits the threads');
      assert.ok(html.includes(`appliances idle ${s.appliances.idle}/1`));
    } finally {
      await hub.stop();
    }
  }
});

test('start --help says how many threads run on this machine and what limits them', () => {
  const r = spawnSync(process.execPath, ['bin/micro-mining.js', 'start', '--help'], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /--headroom N/);
  assert.match(r.stdout, /MM_HEADROOM, headroom/);
  const cores = availableParallelism();
  // the help is wrapped to the terminal: the words are read with line breaks as spaces
  const text = r.stdout.replace(/\s+/g, ' ');
  assert.ok(text.includes(`This machine has ${cores} core`), r.stdout.slice(0, 800));
  assert.ok(text.includes(`up to ${Math.max(0, cores - 1)} of them by default: 1 core kept for Home Assistant (--headroom 1)`), r.stdout.slice(0, 800));
});

test("with the embedded Node-RED flow, --headroom wins over the default flow's policy node (headroomCores 1)", async () => {
  const cores = availableParallelism();
  for (const headroom of [0, 1]) {
    const hub = testHub({
      dataDir: join(dir, 'nr'),
      nodeRed: true,
      threads: cores,
      args: ['--kernel', 'js', '--hub-max-load', '100', '--headroom', String(headroom)],
      overrides: { tickMs: 200 },
    });
    try {
      await hub.start();
      assert.ok(hub.flow, 'the flow runs');
      const want = Math.max(0, cores - headroom);
      const deadline = Date.now() + 60_000;
      while (hub.planner.lastPlan?.hubThreads !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        hub.planner.lastPlan?.hubThreads,
        want,
        `--headroom ${headroom}: ${want} of ${cores} threads through the flow (${hub.planner.lastPlan?.summary})`,
      );
      if (headroom === 1) assert.match(hub.status().threadLimit ?? '', /1 core kept for Home Assistant \(--headroom 1\)/);
      else assert.equal(hub.status().threadLimit, null);
    } finally {
      await hub.stop();
    }
  }
});

test('at 80 columns the first line keeps the figures and the source, and the thread limit has its own line', () => {
  const lines = statusLines(status(), 80);
  assert.match(lines[0], /^0 H\/s \| block\/day none \| 0 W \| 0 Wh\/day \| practice \(earns nothing, no pool\)/);
  assert.ok(statusLines(status(), 120)[0].includes('shares 12 ok'), 'wider: the shares too');
  assert.ok(lines.includes('1 of 2 threads: 1 core kept for Home Assistant (--headroom 1)'), lines.join('\n'));
});
