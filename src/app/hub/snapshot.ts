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
import type { WorkerFigures, WorkerObedience } from '../obedience.js';
import type { WattFigure, WattHow } from '../power-estimate.js';
import type { HubStatus } from '../status.js';
import type { LifetimeTotals } from '../store.js';
import type { SectionValues } from './sections.js';

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
  /**
   * what each worker does now by its own report (state, hashrate, threads, kernel) or, for a
   * plain miner, by its shares, and its watts with their source (obedience); absent: by shares
   */
  figures?: WorkerFigures[];
  /** the hub's own mining draw now (its threads by the power model, or measured); absent: the plan's figure, estimated */
  hubPower?: WattFigure;
  /** the power of each miner that hashes now, W (obedience: plug, declared or estimated) */
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
  /** what the parts add (sections.ts): top-level sections and per-worker ones */
  sections: SectionValues;
}

/** One worker as the status page and `/api/status` show it (HubStatus's, and what it reports). */
export type StatusWorker = HubStatus['workers'][number] & {
  /** `mining` (it hashes now), `paused`, `yielding` (its own computer needs it), `idle`, `connected` (a plain miner without shares in the window), `offline` */
  status: string;
  /** where `hashrate` comes from: the worker's own report, or its shares (the estimate) */
  hashrateFrom: 'reported' | 'shares';
  /** the share-based figure stays visible as the cross-check: its value too */
  estimate?: { low: number; high: number; shares: number; settled: boolean; hashrate: number };
  /** what it says it does (mm_state) and why; null for a plain miner */
  state: string | null;
  reason: string | null;
  threads: number | null;
  /** the kernel it reports ("webgpu", "wasm", "native"); null when unknown */
  kernel: string | null;
  /** W for its mining now (0 when it does not hash) and where the figure comes from */
  watts: number;
  how: WattHow;
};

/** The status view: HubStatus with every watt figure saying where it comes from. */
export type StatusView = Omit<HubStatus, 'workers'> & {
  workers: StatusWorker[];
  /** the hub's own mining draw now */
  hubPower: WattFigure;
  /** how `powerW` is made up, e.g. `hub 12 W estimated; 1 declared, 2 estimated` */
  powerHow: string;
};

/** The hub's snapshot: the same figures in the two shapes the views need, computed once. */
export interface TickSnapshot {
  at: number;
  /** the status page, `/api/status` and the terminal line */
  status: StatusView;
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

/** What the status words of a reported state are. */
const STATE_WORDS: Record<string, string> = { working: 'mining', paused: 'paused', yielding: 'yielding', idle: 'idle' };

/** "3 min", "45 s", "2 h", "3 days" (ms >= 0). */
export function agoText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

/** Each worker now: its report where it sends one, else its shares; offline workers say when they last sent a share. */
function statusWorkers(i: SnapshotInputs): StatusWorker[] {
  return i.workers
    .filter((w) => w.kind === 'miner')
    .map((w) => {
      const o = i.obeyed.find((x) => x.name === w.name);
      const f = i.figures?.find((x) => x.name === w.name);
      const hashing = f ? f.hashing : w.online && w.hashrate > 0;
      const status = !w.online ? 'offline' : f?.state ? (STATE_WORDS[f.state] ?? f.state) : hashing ? 'mining' : 'connected';
      const e = w.hashrateEstimate;
      // an offline worker's window is empty: its estimate says nothing ("no shares yet" would be wrong)
      const estimate = w.online || e.shares > 0 ? { low: e.low, high: e.high, shares: e.shares, settled: e.settled, hashrate: w.hashrate } : undefined;
      const offline = w.lastShareAt !== null ? `offline, last share ${agoText(i.at - w.lastShareAt)} ago` : 'offline, no shares';
      const watts = f ? f.watts : hashing ? (i.minerWatts[w.name] ?? 0) : 0;
      return {
        name: w.name,
        status,
        hashrate: f ? f.hashrate : hashing ? w.hashrate : 0,
        hashrateFrom: f?.hashrateFrom ?? 'shares',
        ...(estimate ? { estimate } : {}),
        accepted: w.accepted,
        rejected: w.rejected,
        bestDifficulty: w.bestDifficulty,
        lastShare: w.lastShareAt,
        ...(o ? { kind: o.kind, by: o.by, asked: o.asked, device: o.device } : f ? { kind: f.kind } : {}),
        did: o?.did ?? (w.online ? '' : offline),
        state: f?.state ?? null,
        reason: f?.reason ?? null,
        threads: f?.threads ?? null,
        kernel: f?.kernel ?? null,
        watts,
        how: f?.how ?? o?.how ?? 'estimated',
        ...(i.sections.workers[w.name] ?? {}),
      };
    });
}

/** `hub 12 W estimated; 1 declared, 2 estimated` */
function powerHowText(hub: WattFigure, workers: StatusWorker[]): string {
  const counts = new Map<WattHow, number>();
  for (const w of workers) if (w.status === 'mining') counts.set(w.how, (counts.get(w.how) ?? 0) + 1);
  const order: WattHow[] = ['measured', 'plug', 'declared', 'estimated'];
  const parts = order.filter((h) => counts.has(h)).map((h) => `${counts.get(h)} ${h}`);
  return `hub ${Math.round(hub.watts)} W ${hub.how}${parts.length ? `; workers: ${parts.join(', ')}` : ''}`;
}

function statusView(i: SnapshotInputs): StatusView {
  const workers = statusWorkers(i);
  const hubRate = i.pool.hashrate;
  // the home's total: the hub and the workers that hash now, each at the figure shown
  const hashrate = hubRate + workers.reduce((s, w) => s + (w.status === 'mining' ? w.hashrate : 0), 0);
  const hubPower: WattFigure = i.hubPower ?? { watts: miningPowerW(i.plan, hubRate, {}), how: 'estimated' };
  const d = i.networkDifficulty ?? 0;
  const plan = i.plan;
  return {
    ...i.sections.top,
    // the live line's cost per day (src/app/live-line.ts)
    ...(i.config.priceSensor ? { electricityPrice: i.price } : {}),
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
    powerW: hubPower.watts + Object.values(i.minerWatts).reduce((a, b) => a + b, 0),
    hubPower,
    powerHow: powerHowText(hubPower, workers),
    energyKWh: i.totals.energyKwh,
    workers,
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

function minerView(i: SnapshotInputs, s: StatusView): MinerSnapshot {
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
      ...(i.sections.entities.hub.length ? { extra: i.sections.entities.hub } : {}),
    },
    // a miner name gets its HA device only after its first accepted share, and never more of
    // them than the cap (the endpoint refuses new names beyond it at authorize)
    workers: i.workers
      .filter((w) => w.kind === 'miner' && w.accepted > 0)
      .slice(0, i.config.maxWorkerDevices)
      .map((w) => {
        const d = i.plan?.workers.find((x) => x.kind === 'miner' && x.id === w.name);
        const v = s.workers.find((x) => x.name === w.name);
        return {
          id: w.name,
          name: w.name,
          // a worker yielding to its own computer reads busy; paused or idle, idle
          status: !w.online ? 'offline' : v?.status === 'mining' ? 'mining' : v?.status === 'yielding' ? 'busy' : 'idle',
          hashrate: v?.status === 'mining' ? v.hashrate : 0,
          shares: w.accepted,
          bestDifficulty: w.bestDifficulty,
          lastShareAt: w.lastShareAt ?? undefined,
          powerW: i.minerWatts[w.name] ?? 0,
          ...(v ? { powerHow: v.how } : {}),
          ...(v?.kernel ? { kernel: v.kernel } : {}),
          energyKwh: i.minerEnergyKwh[w.name] ?? 0,
          ...(d ? { decision: d.action, decisionReason: d.reason } : {}),
          miningAllowed: !workersOff.includes(w.name),
          ...(i.sections.entities.workers[w.name] ? { extra: i.sections.entities.workers[w.name] } : {}),
        };
      }),
  };
}
