/**
 * One snapshot of the hub, built by one pure function from the figures the parts hold
 * (SnapshotInputs, gathered once by inputs.ts): the status page, `/api/status`, the terminal line
 * (`status`) and the MQTT states (`miner`) all render from it. Every tick the hub builds one and
 * sends it on the bus (`snapshot`); a reader between ticks (an HTTP request, the terminal, a
 * command's answer) gets one built the same way, now.
 *
 * A new figure: add it to SnapshotInputs (and gather it in inputs.ts), then to the view(s) here.
 */
import { expectedSecondsToBlock, oddsPerDay, describeDecision, type MinerSnapshot } from '../../mqtt/index.js';
import type { ApplianceInput, ManualInput, Plan, PolicyMode } from '../../schedule/index.js';
import type { NodeStatus, SessionTally, WorkerSnapshot } from '../../work/index.js';
import type { WorkerObedience } from '../obedience.js';
import type { HubStatus } from '../status.js';
import type { LifetimeTotals } from '../store.js';

/** Everything a snapshot is made of: plain data, read once per snapshot. */
export interface SnapshotInputs {
  at: number;
  startedAt: number;
  cores: number;
  config: {
    mode: HubStatus['mode'];
    practice: boolean;
    addon: boolean;
    policy: PolicyMode;
    threads: number;
    /** a price sensor is configured (the cost entity exists) */
    priceSensor: boolean;
    maxWorkerDevices: number;
  };
  /** the job source's label (pool URL without credentials, or practice) */
  source: string;
  /** an upstream pool has given a session (pool mode) */
  upstreamConnected: boolean;
  node: NodeStatus | null;
  /** the hub's hash pool */
  pool: { hashrate: number; threads: number; kernel: string };
  /** every worker of WorkerStats, read once */
  workers: WorkerSnapshot[];
  /** the hub-wide session tally (WorkerStats) */
  session: SessionTally;
  totals: Pick<LifetimeTotals, 'bestDifficulty' | 'blocksFound' | 'energyKwh'>;
  networkDifficulty: number | undefined;
  plan: Plan | null;
  manual: ManualInput;
  /** what each worker was asked and did (obedience) */
  obeyed: WorkerObedience[];
  /** the power of each miner that hashes now, W (obedience: sensor, declared or estimated) */
  minerWatts: Record<string, number>;
  /** each miner's energy while hashing since the start, kWh */
  minerEnergyKwh: Record<string, number>;
  /** the appliances as the flow sees them (with HA: HA's; without: the hub itself) */
  appliances: ApplianceInput[];
  /** HA devices that are not appliances (0 without HA) */
  ignoredAppliances: number;
  /** null: no HA */
  haAway: boolean | null;
  /** null: no MQTT */
  mqtt: boolean | null;
  price: { value: number | null; unit: string | null };
}

/** The hub's snapshot: the same figures in the two shapes the views need, computed once. */
export interface TickSnapshot {
  at: number;
  /** the status page, `/api/status` and the terminal line */
  status: HubStatus;
  /** the MQTT entities' states */
  miner: MinerSnapshot;
}

/** The mining's power now, W: the plan's hub estimate while the hub hashes, plus every hashing miner. */
export function miningPowerW(plan: Plan | null, hubHashrate: number, minerWatts: Record<string, number>): number {
  const hubW = plan && hubHashrate > 0 ? (plan.workers.find((w) => w.kind === 'hub')?.watts ?? 0) : 0;
  let w = hubW;
  for (const v of Object.values(minerWatts)) w += v;
  return w;
}

/** Builds the snapshot. Pure: the same inputs give the same snapshot. */
export function buildSnapshot(i: SnapshotInputs): TickSnapshot {
  const status = statusView(i);
  return { at: i.at, status, miner: minerView(i, status) };
}

function connected(i: SnapshotInputs): boolean {
  // honest: practice has no pool, so it is never "connected"
  if (i.config.practice) return false;
  return i.node ? i.node.state === 'ready' : i.upstreamConnected;
}

function statusView(i: SnapshotInputs): HubStatus {
  const miners = i.workers.filter((w) => w.kind === 'miner');
  const hubRate = i.pool.hashrate;
  const hashrate = hubRate + miners.reduce((s, w) => s + w.hashrate, 0);
  const d = i.networkDifficulty ?? 0;
  const plan = i.plan;
  return {
    mode: i.config.mode,
    source: i.source,
    poolConnected: connected(i),
    connection: i.config.practice ? 'practice' : connected(i) ? 'connected' : 'connecting',
    ...(i.node ? { node: i.node } : {}),
    mining: hashrate > 0,
    policy: i.manual.mode ?? i.config.policy,
    decision: plan?.summary ?? 'starting',
    threadLimit: plan?.hubLimit ? plan.hubLimit.replace(/\(headroom (\d+)\)/, i.config.addon ? '(option headroom $1)' : '(--headroom $1)') : null,
    threads: i.pool.threads,
    maxThreads: i.manual.maxThreads ?? i.config.threads,
    kernel: i.pool.kernel,
    hashrate,
    hubHashrate: hubRate,
    // the session tally counts stale shares among the rejected; the views show them apart
    shares: { accepted: i.session.accepted, rejected: i.session.rejected - i.session.stale, stale: i.session.stale },
    bestDifficulty: { session: i.session.bestDifficulty, allTime: i.totals.bestDifficulty },
    blocksFound: i.totals.blocksFound,
    networkDifficulty: d,
    oddsPerDay: d > 0 ? oddsPerDay(hashrate, d) : 0,
    expectedTimeToBlock: d > 0 && hashrate > 0 ? expectedSecondsToBlock(hashrate, d) : Infinity,
    powerW: miningPowerW(plan, hubRate, i.minerWatts),
    energyKWh: i.totals.energyKwh,
    workers: miners.map((w) => {
      const o = i.obeyed.find((x) => x.name === w.name);
      return {
        name: w.name,
        status: w.online ? 'mining' : 'offline',
        hashrate: w.hashrate,
        estimate: { low: w.hashrateEstimate.low, high: w.hashrateEstimate.high, shares: w.hashrateEstimate.shares, settled: w.hashrateEstimate.settled },
        accepted: w.accepted,
        rejected: w.rejected,
        bestDifficulty: w.bestDifficulty,
        lastShare: w.lastShareAt,
        ...(o ? { kind: o.kind, by: o.by, asked: o.asked, did: o.did, device: o.device, watts: o.watts } : {}),
      };
    }),
    appliances: {
      idle: i.appliances.filter((a) => a.status === 'idle').length,
      busy: i.appliances.filter((a) => a.status === 'busy').length,
      total: i.appliances.length,
      ignored: i.ignoredAppliances,
      list: i.appliances.map((a) => ({
        name: a.name,
        area: a.area ?? null,
        role: a.roles.includes('worker') ? 'worker' : 'load',
        status: a.status,
        reason: a.reason ?? '',
        why: a.why ?? '',
      })),
    },
    haConnected: i.haAway === null ? null : !i.haAway,
    mqttConnected: i.mqtt,
    startedAt: i.startedAt,
  };
}

function minerView(i: SnapshotInputs, s: HubStatus): MinerSnapshot {
  const decision = describeDecision(i.plan);
  const workersOff = i.manual.workersOff ?? [];
  return {
    hub: {
      hashrate: s.hashrate,
      sharesAccepted: s.shares.accepted,
      sharesRejected: s.shares.rejected,
      sharesStale: s.shares.stale,
      bestDifficultySession: s.bestDifficulty.session,
      bestDifficultyAllTime: s.bestDifficulty.allTime,
      blocksFound: s.blocksFound,
      poolConnected: s.poolConnected,
      activeWorkers: s.workers.filter((w) => w.status === 'mining').length + (s.hubHashrate > 0 ? 1 : 0),
      networkDifficulty: s.networkDifficulty || undefined,
      mode: s.mode,
      ...(s.node ? { nodeHeight: s.node.height ?? undefined } : {}),
      decision: decision.decision,
      decisionReason: decision.reason,
      ...(i.config.priceSensor ? { electricityPrice: i.price } : {}),
      powerW: s.powerW,
      energyKwh: s.energyKWh,
      mining: !i.manual.paused,
      maxThreads: i.manual.maxThreads ?? i.config.threads,
      maxThreadsLimit: i.cores,
      policy: i.manual.mode ?? i.config.policy,
    },
    // a miner name gets its HA device only after its first accepted share, and never more of
    // them than the cap (the endpoint refuses new names beyond it at authorize)
    workers: i.workers
      .filter((w) => w.kind === 'miner' && w.accepted > 0)
      .slice(0, i.config.maxWorkerDevices)
      .map((w) => {
        const d = i.plan?.workers.find((x) => x.kind === 'miner' && x.id === w.name);
        return {
          id: w.name,
          name: w.name,
          status: w.online ? (w.hashrate > 0 ? 'mining' : 'idle') : 'offline',
          hashrate: w.hashrate,
          shares: w.accepted,
          bestDifficulty: w.bestDifficulty,
          lastShareAt: w.lastShareAt ?? undefined,
          powerW: i.minerWatts[w.name] ?? 0,
          energyKwh: i.minerEnergyKwh[w.name] ?? 0,
          ...(d ? { decision: d.action, decisionReason: d.reason } : {}),
          miningAllowed: !workersOff.includes(w.name),
        };
      }),
  };
}
