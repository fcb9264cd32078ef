// The idle classifier's inner model (not exported from index.ts): one slot per appliance and
// per voting entity, holding what the pure steps read and write between HA events.
import type { Appliance } from './types.js';

/** The id of the hub's own appliance when no HA device is linked to it. */
export const HUB = 'hub';

/** One entity's verdict; `none`: it has no say (no rule for its domain, not a status). */
export type Verdict = 'idle' | 'busy' | 'unknown' | 'none';

/** The rules that apply to one entity after overrides. */
export interface EntityRule {
  idleStates: Record<string, string[]>;
  powerThresholdW: number;
  force?: 'idle' | 'busy';
}

export interface EntityEval {
  verdict: Verdict;
  /** W for a power sensor with a numeric state, else null; undefined for non-power entities. */
  watts?: number | null;
  reason: string;
  /** A bad-input description (logged once). */
  bad?: string;
}

/** One voting entity: its rule and its latest evaluation (the fields of EntityEval, one shape). */
export interface EntitySlot {
  id: string;
  applianceId: string;
  rule: EntityRule;
  verdict: Verdict;
  /** W for a power sensor with a numeric state, else null; undefined for non-power entities. */
  watts: number | null | undefined;
  reason: string;
  /** When the current verdict began. */
  since: number;
}

/** The hub's CPU use by others (%; null: no reading) and since when it says busy or not. */
export interface HubLoad {
  percent: number | null;
  since: number;
}

export interface AppSlot {
  appliance: Appliance;
  entities: EntitySlot[];
  holdMs: number;
  force?: 'idle' | 'busy';
  /** Idle verdict waiting for the hold time: when it will count. */
  pendingUntil?: number;
  pendingSince?: number;
  initialised: boolean;
  hubLoad?: HubLoad;
}

/** A warning a pure step asks the classifier to log once per key. */
export interface Warning {
  key: string;
  msg: string;
  fields: Record<string, unknown>;
}
