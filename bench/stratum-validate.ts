// Shares validated per second on one core: the hub's full check of a miner's share (re-assemble
// the coinbase, the merkle root over 13 branches as in a real mainnet job, the header, sha256d,
// duplicate check, target) through the job manager's submit path and the pure validator.
//   node --import tsx bench/stratum-validate.ts [seconds]
import { randomBytes } from 'node:crypto';
import { bytesToHex, nbitsToTarget, difficultyToTarget } from '../src/core/index.js';
import type { ShareContext } from '../src/stratum/index.js';
import { JobManager, PracticeSource, practiceJob, validateShare, type JobRecord } from '../src/work/index.js';

process.env.MM_LOG_LEVEL ??= 'warn';
const seconds = Number(process.argv[2] ?? 3);
const txids = Array.from({ length: 4000 }, () => bytesToHex(randomBytes(32))); // 13 branches
const job = practiceJob({
  jobId: '1',
  height: 900_001,
  prevhash: '00'.repeat(32),
  txids,
  extranonceBytes: 8,
  nbits: 0x17027726,
  ntime: 1_750_000_000,
  clean: true,
});
const rec: JobRecord = {
  id: '1',
  job,
  sourceJobId: '1',
  session: 1,
  ntime: 1_750_000_000,
  networkTarget: nbitsToTarget(0x17027726),
  upstreamTarget: 0n,
  createdAt: 0,
  seen: new Set(),
};
const target = difficultyToTarget(1e-12); // every share passes: the full path, accounting included

function run(label: string, fn: (i: number) => void): number {
  for (let i = 0; i < 2000; i++) fn(i); // warm up
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    for (let k = 0; k < 500; k++) fn(2000 + n++);
  }
  const rate = n / ((performance.now() - t0) / 1000);
  console.log(`${label.padEnd(58)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} shares/s`);
  return rate;
}

console.log(
  `stratum-validate: one core, ${job.merkleBranch.length} merkle branches, ${job.coinb1.length / 2 + job.coinb2.length / 2 + 8}-byte coinbase, ${seconds} s each`,
);
run('validateShare (pure: header, sha256d, dup check, target)', (i) => {
  const v = validateShare(rec, {
    extranonce1: '01020304',
    extranonce2: (i >>> 0).toString(16).padStart(8, '0'),
    extranonce2Size: 4,
    ntime: job.ntime,
    nonce: i,
    versionMask: 0,
    target,
  });
  if (!v.ok) throw new Error(v.message);
});

const practice = new PracticeSource({ jobIntervalS: 3600, transactions: 4000 });
const manager = new JobManager({ source: practice });
await manager.start();
const slot = manager.allocate()!;
const cur = manager.currentJob()!;
const ctx: ShareContext = {
  sessionId: 1,
  worker: 'bench',
  userAgent: 'bench',
  address: '127.0.0.1',
  extranonce1: slot.extranonce1,
  extranonce2Size: slot.extranonce2Size,
  difficulty: 1e-12,
  previousDifficulty: null,
  versionMask: 0x1fffe000,
};
run('JobManager.submit (validation + per-worker accounting)', (i) => {
  const v = manager.submit(ctx, {
    worker: 'bench',
    jobId: cur.jobId,
    extranonce2: (i >>> 0).toString(16).padStart(8, '0'),
    ntime: cur.ntime,
    nonce: (i & 0xffff).toString(16),
    versionBits: (((i >>> 16) << 13) & 0x1fffe000).toString(16),
  });
  if (!v.ok) throw new Error(v.message);
});
await manager.stop();
