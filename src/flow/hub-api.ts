// What the Node-RED nodes need from the hub. In the embedded runtime the hub passes an in-process
// implementation (InProcessHub) through the Node-RED setting `microMiningHub`; a Node-RED elsewhere
// reaches the hub over MQTT (see MQTT_TOPICS). Types only here, so the node bundle can import it.
import type { BudgetInput, ApplianceInput, HubInput, ManualInput, MinerInput, Plan, PolicyMode } from '../schedule/index.js';
export type { ManualInput } from '../schedule/index.js';

/** The state the scheduler plans from (everything of ScheduleInput but the clock). */
export interface HubSnapshot {
  appliances: ApplianceInput[];
  hub: HubInput | null;
  miners: MinerInput[];
  budget: BudgetInput;
  manual: ManualInput;
  /** Devices in HA that are not appliances (counted, not listed; see docs/appliances.md). */
  ignoredAppliances?: number;
}

/** What changed (the snapshot that comes with it is already up to date). */
export type HubChange =
  | { type: 'appliance'; id: string; status: ApplianceInput['status'] | 'gone'; at: number }
  | { type: 'budget'; at: number }
  | { type: 'workers'; at: number }
  | { type: 'manual'; at: number };

export interface HubStats {
  at: number;
  hubThreads: number;
  /** H/s of the hub pool */
  hubHashrate: number;
  /** H/s of all (hub and miners) */
  hashrate: number;
  miners: { id: string; connected: boolean; hashrate: number; working: boolean }[];
  /** the last applied plan's summary, or null before the first plan */
  summary: string | null;
  manual: ManualInput;
  /** extra figures the app adds (shares, best difficulty, practice mode, ...) */
  extra?: Record<string, unknown>;
  /** miners that did what the last plan asked, of those it asked something */
  obeyed?: { obeyed: number; total: number };
}

export type ControlCommand =
  | { action: 'start' }
  | { action: 'stop' }
  | { action: 'threads'; threads: number | null }
  | { action: 'policy'; mode: PolicyMode | null }
  /** a worker's own Mining switch: work allowed or not */
  | { action: 'worker'; id: string; on: boolean };

export interface HubApi {
  /** `in-process` or the MQTT broker (without credentials) */
  readonly name: string;
  snapshot(): Promise<HubSnapshot>;
  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (snapshot: HubSnapshot, change: HubChange) => void): () => void;
  /** Applies a plan: hub threads and local miners' work/pause. Returns the plan as applied (hub threads clamped to what the hub has). */
  applyPlan(plan: Plan): Promise<Plan>;
  stats(): Promise<HubStats>;
  /** Manual control: stop/start mining, a cap on hub threads (clamped to 0..the hub's threads). The flow re-plans on the change. Returns the manual state as applied. */
  control(cmd: ControlCommand): Promise<ManualInput>;
}

/** The Node-RED settings key under which the embedded runtime passes the in-process hub. */
export const HUB_SETTING = 'microMiningHub';

/**
 * The MQTT bridge (hub side: MqttHubBridge; remote side: the config node in `mqtt` mode), under a
 * base topic (default `micro-mining`). JSON payloads.
 *   <base>/bridge/availability  hub -> all   `online` / `offline` (retained, last will)
 *   <base>/bridge/snapshot      hub -> all   HubSnapshot (retained, on every change)
 *   <base>/bridge/change        hub -> all   HubChange
 *   <base>/bridge/stats         hub -> all   HubStats (retained, every few seconds)
 *   <base>/bridge/plan          hub -> all   the applied Plan (retained)
 *   <base>/bridge/plan/set      flow -> hub  a Plan to apply
 *   <base>/bridge/control/set   flow -> hub  a ControlCommand
 *   <base>/bridge/control/applied hub -> all {id, manual}: the manual state as applied, for a command that carried an id
 * Every command to the hub carries the bridge key: `{"key": "…", …}` (a plan: `{"key": "…", "plan": {…}}`).
 */
export const MQTT_TOPICS = {
  availability: 'bridge/availability',
  snapshot: 'bridge/snapshot',
  change: 'bridge/change',
  stats: 'bridge/stats',
  plan: 'bridge/plan',
  planSet: 'bridge/plan/set',
  controlSet: 'bridge/control/set',
  controlApplied: 'bridge/control/applied',
} as const;
