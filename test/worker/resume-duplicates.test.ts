// A `micro-mining worker` paused and resumed by a real hub, again and again, never submits a share
// twice (code 22, "duplicate share"): after a resume it goes on where it stopped, even when the
// hub meanwhile sent the same job again (a new difficulty re-sends the current job under a new id,
// a keepalive the last job line). Shares are certain: the hub's practice jobs at difficulty
// 0.00001 (a share every ~43,000 hashes) and the worker asks for that difficulty.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Hub } from '../../src/app/hub.js';
import { JobManager, practiceJob, type JobSource, type ShareEvent } from '../../src/work/index.js';
import { startTestHub } from '../support/hub.js';
import { until, workerProcess, type WorkerProcess } from './support.js';

let hub: Hub | null = null;
let worker: WorkerProcess | null = null;

after(async () => {
  await worker?.stop();
  await hub?.stop();
});

test("pause/resume cycles through the hub's control: no duplicate share, shares accepted after each resume", async () => {
  hub = await startTestHub({ args: ['--practice-difficulty', '0.00001', '--kernel', 'js'] });
  const h = hub;
  const events: ShareEvent[] = [];
  h.manager.stats.on('share', (e: ShareEvent) => {
    if (e.worker === 'pc-dup') events.push(e);
  });
  const port = h.server!.address().port;
  worker = workerProcess([
    '--hub',
    `stratum+tcp://127.0.0.1:${port}`,
    '--name',
    'pc-dup',
    '--threads',
    '1',
    '--max-load',
    '100',
    '--battery',
    '--difficulty',
    '0.00001',
    '--nice',
    '0',
  ]);
  const agent = () => h.obedience.control.list().find((w) => w.worker === 'pc-dup');
  await until('the worker reports it works', () => agent()?.report?.state === 'working', 60_000);
  const accepted = () => events.filter((e) => e.accepted).length;
  await until('first shares accepted', () => accepted() >= 3, 90_000);

  const cycles = 4;
  for (let i = 0; i < cycles; i++) {
    // it has found shares on the hub's current job: re-scanning that job from its start would meet them again
    await until('a share on the current job', () => events.some((e) => e.accepted && e.jobId === h.manager.currentJob()?.jobId), 90_000);
    h.obedience.setWorking('pc-dup', false, `test pause ${i + 1}`);
    await until(`pause ${i + 1}: the worker reports paused`, () => agent()?.report?.state === 'paused' && agent()?.report?.threads === 0, 30_000);
    // while it is paused the hub sends the same job again, as a new difficulty or a keepalive does
    const session = [...(h.server as unknown as { sessions: Map<number, { worker: string; vardiff: { difficulty: number } }> }).sessions.values()].find(
      (s) => s.worker === 'pc-dup',
    ) as { worker: string; vardiff: { difficulty: number } } | undefined;
    assert.ok(session, "the worker's session on the hub");
    // (the endpoint's own job feed, reached here as the stand-in for a long pause or a retarget)
    const feed = (h.server as unknown as { feed: { applyDifficulty(s: unknown, d: number): void; handle(s: unknown): { giveWork(): void } } }).feed;
    if (i % 2 === 0)
      feed.handle(session).giveWork(); // the current job again, clean_jobs true
    else feed.applyDifficulty(session, session.vardiff.difficulty); // set_difficulty (unchanged) and the current job under a new id
    const before = accepted();
    h.obedience.setWorking('pc-dup', true);
    await until(`resume ${i + 1}: shares accepted again`, () => accepted() >= before + 3, 90_000);
  }
  const dup = events.filter((e) => !e.accepted && e.code === 22);
  const rejected = events.filter((e) => !e.accepted);
  console.log(`# worker agent, ${cycles} pause/resume cycles: ${accepted()} shares accepted, ${rejected.length} rejected (${dup.length} duplicate)`);
  assert.equal(dup.length, 0, `no duplicate share: ${JSON.stringify(dup.slice(0, 3))}`);
  assert.equal(rejected.length, 0, `no rejected share: ${JSON.stringify(rejected.slice(0, 3))}`);
});

test('the work units of a job sent again go on where they stopped; a new job starts at its beginning (pure)', async () => {
  // a job source is an event emitter; this one only emits what the test says
  const source = Object.assign(new EventEmitter(), {
    kind: 'practice',
    label: 'test',
    start: async () => {},
    stop: async () => {},
    current: () => null,
    difficulty: () => 1,
  }) as unknown as JobSource;
  const manager = new JobManager({ source, unitNonces: 1000 });
  await manager.start();
  source.emit('session', { session: 1, extranonce1: 'abcd', extranonce2Size: 6, versionMask: 0 });
  const job = (id: string, ntime: number, clean: boolean) =>
    practiceJob({ jobId: id, height: 900_001, prevhash: '00'.repeat(32), txids: [], extranonceBytes: 8, nbits: 0x17027726, ntime, clean });
  const cursor = () => {
    const u = manager.unitSource()!;
    return `${u.extranonce2}:${u.start}`;
  };
  source.emit('job', job('a', 1_800_000_000, true));
  assert.deepEqual([cursor(), cursor()], ['000000000000:0', '000000000000:1000']);
  // the same job again, clean_jobs or not (a resume, a keepalive, a new difficulty): no nonce twice
  source.emit('job', job('a', 1_800_000_000, true));
  assert.equal(cursor(), '000000000000:2000');
  source.emit('job', job('a2', 1_800_000_000, false));
  assert.equal(cursor(), '000000000000:3000');
  // a different job (here a later ntime): its own headers, from the start
  source.emit('job', job('b', 1_800_000_030, false));
  assert.equal(cursor(), '000000000000:0');
  // a new session (another extranonce1): from the start even for the same job
  source.emit('session', { session: 2, extranonce1: 'ef01', extranonce2Size: 6, versionMask: 0 });
  source.emit('job', job('b', 1_800_000_030, true));
  assert.equal(cursor(), '000000000000:0');
  await manager.stop();
});
