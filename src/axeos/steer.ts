// Steering an AxeOS miner to a power budget, as pure functions. The rules:
// - a frequency or voltage sent is one the device lists (frequencyOptions / voltageOptions), or the
//   user's own setting put back; with no list, never above the device's own current setting;
// - never above the user's own setting (the user's choice is the ceiling; the hub only lowers);
// - never a raise (nor a resume) while overheat_mode or a power fault shows;
// - a minimum time between changes;
// - below the lowest step: pause where the firmware can (v2.14+), else only the plug can stop it;
// - steering off or the hub stopping: the user's own frequency and voltage come back.

/** The user's own settings, remembered at first contact (and after the firmware lowered them itself). */
export interface UserSettings {
  frequency: number;
  coreVoltage: number;
}

export interface DeviceOptions {
  /** MHz the device lists (empty: the firmware lists none) */
  frequency: readonly number[];
  /** mV the device lists (empty: none) */
  voltage: readonly number[];
}

/** One step of a miner for the power-target allocator; watts and hashrate are estimated. */
export interface AxeosStep {
  /** 0: paused */
  frequency_mhz: number;
  core_voltage_mv: number;
  watts: number;
  hashrate_ghs: number;
  source: 'estimated';
}

/** A reference point for estimates: a reading taken while hashing. */
export interface Reference {
  power_w: number;
  frequency_mhz: number;
  core_voltage_mv: number;
  hashrate_ghs: number;
}

/** Watts a paused device still draws (fan, ESP32, regulator): estimated. */
export const PAUSED_WATTS = 2;

/**
 * The frequencies the hub may choose, ascending: the listed options at or below the user's own
 * frequency, plus the user's own frequency itself (putting it back is always allowed). With no
 * list: only the user's own frequency capped by the current setting (no steps to choose from).
 */
export function allowedFrequencies(options: DeviceOptions, user: UserSettings, current: number | null): number[] {
  const ceiling = user.frequency;
  if (options.frequency.length === 0) {
    const only = current !== null && current > 0 ? Math.min(current, ceiling) : ceiling;
    return [only];
  }
  const set = new Set(options.frequency.filter((f) => f <= ceiling));
  set.add(ceiling);
  return [...set].sort((a, b) => a - b);
}

/** Is this value one the hub may send? (listed, or the user's own; with no list: at most the current setting) */
export function isSendable(value: number, list: readonly number[], userValue: number, current: number | null): boolean {
  if (!Number.isFinite(value) || value <= 0) return false;
  if (value === userValue) return true;
  if (list.length === 0) return current !== null && value <= current && value <= userValue;
  return list.includes(value) && value <= userValue;
}

/** Power at frequency f, estimated from a reference: proportional to frequency at fixed voltage, to voltage squared. */
export function estimateWatts(ref: Reference, f: number, mv: number): number {
  if (f <= 0) return PAUSED_WATTS;
  const v = ref.core_voltage_mv > 0 ? (mv / ref.core_voltage_mv) ** 2 : 1;
  return Math.max(PAUSED_WATTS, ref.power_w * (f / ref.frequency_mhz) * v);
}

export function estimateHashrate(ref: Reference, f: number): number {
  if (f <= 0) return 0;
  return ref.hashrate_ghs * (f / ref.frequency_mhz);
}

/** The miner's steps for the allocator, ascending in watts (a paused step first where it can pause). */
export function steps(options: DeviceOptions, user: UserSettings, current: number | null, ref: Reference | null, canPause: boolean): AxeosStep[] {
  if (!ref || !(ref.power_w > 0) || !(ref.frequency_mhz > 0)) return [];
  const out: AxeosStep[] = [];
  if (canPause) out.push({ frequency_mhz: 0, core_voltage_mv: user.coreVoltage, watts: PAUSED_WATTS, hashrate_ghs: 0, source: 'estimated' });
  for (const f of allowedFrequencies(options, user, current)) {
    out.push({
      frequency_mhz: f,
      core_voltage_mv: user.coreVoltage,
      watts: round2(estimateWatts(ref, f, user.coreVoltage)),
      hashrate_ghs: round2(estimateHashrate(ref, f)),
      source: 'estimated',
    });
  }
  return out;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/**
 * The frequency for a budget: the highest allowed frequency whose estimated watts fit; 0 when
 * none fits (pause, or the plug). null budget: the user's own frequency. Monotone in the budget.
 */
export function frequencyForBudget(allowed: readonly number[], ref: Reference, coreVoltage: number, budgetW: number | null): number {
  if (budgetW === null) return allowed[allowed.length - 1] ?? 0;
  let pick = 0;
  for (const f of allowed) if (estimateWatts(ref, f, coreVoltage) <= budgetW) pick = Math.max(pick, f);
  return pick;
}

export interface SteerInput {
  options: DeviceOptions;
  user: UserSettings;
  /** the device's current settings and state */
  frequency: number | null;
  coreVoltage: number | null;
  paused: boolean;
  overheat: boolean;
  powerFault: boolean;
  canPause: boolean;
  /** watts this miner may use; null: no budget (the user's own settings) */
  budgetW: number | null;
  /** the last reading taken while hashing (for the estimates) */
  ref: Reference | null;
  now: number;
  lastChangeAt: number | null;
  minIntervalMs: number;
}

export type SteerAction =
  | { action: 'none'; reason: string }
  | { action: 'set'; frequency?: number; coreVoltage?: number; reason: string }
  | { action: 'pause'; reason: string }
  | { action: 'resume'; reason: string }
  | { action: 'plug'; reason: string };

/** One steering decision. `set` values are always sendable (see isSendable). */
export function decide(i: SteerInput): SteerAction {
  const held = i.overheat
    ? 'the device is cooling down after an overheat (overheat_mode): the hub does not raise it'
    : i.powerFault
      ? 'the device shows a power fault: the hub does not raise it'
      : null;
  const allowed = allowedFrequencies(i.options, i.user, i.frequency);
  const ref = i.ref;
  const target = ref ? frequencyForBudget(allowed, ref, i.user.coreVoltage, i.budgetW) : i.budgetW === null ? allowed[allowed.length - 1]! : null;
  if (target === null) return { action: 'none', reason: 'no reading yet to estimate the watts of each step' };
  const waiting = i.lastChangeAt !== null && i.now - i.lastChangeAt < i.minIntervalMs;
  const wait = (): SteerAction => ({ action: 'none', reason: `waiting: at least ${Math.round(i.minIntervalMs / 1000)} s between changes` });

  if (target === 0) {
    if (i.paused) return { action: 'none', reason: 'paused: the budget is below the lowest step' };
    if (!i.canPause) {
      // the lowest step is as low as the hub can go; the plug is the last step
      const lowest = allowed[0]!;
      if (i.frequency !== null && i.frequency > lowest && !waiting)
        return { action: 'set', frequency: lowest, reason: 'the budget is below the lowest step: lowest step (only the plug can stop this firmware)' };
      return { action: 'plug', reason: 'the budget is below the lowest step and this firmware cannot pause: only the plug can stop it' };
    }
    if (waiting) return wait();
    return { action: 'pause', reason: 'the budget is below the lowest step' };
  }

  const cur = i.frequency;
  if (i.paused) {
    if (held) return { action: 'none', reason: held };
    if (waiting) return wait();
    return { action: 'resume', reason: 'the budget fits a step again' };
  }
  const voltageBack = i.coreVoltage !== null && i.coreVoltage !== i.user.coreVoltage && i.coreVoltage < i.user.coreVoltage ? i.user.coreVoltage : undefined;
  if (cur === target && voltageBack === undefined) return { action: 'none', reason: 'at the step the budget allows' };
  const raising = cur === null || target > cur || voltageBack !== undefined;
  if (raising && held) return { action: 'none', reason: held };
  if (cur === target && voltageBack !== undefined && held) return { action: 'none', reason: held };
  if (waiting) return wait();
  const out: SteerAction = {
    action: 'set',
    frequency: target,
    reason: cur !== null && target < cur ? `a step down to fit ${i.budgetW} W` : 'a step up: the budget allows it',
  };
  if (voltageBack !== undefined && isSendable(voltageBack, i.options.voltage, i.user.coreVoltage, i.coreVoltage)) out.coreVoltage = voltageBack;
  return out;
}

/**
 * Putting the user's own settings back (steering turned off, the hub stopping). Nothing when the
 * device is there already; the frequency only when a raise is held by overheat or a power fault
 * (the firmware's own lowering then stands). Ignores the minimum interval: it ends steering.
 */
export function restore(i: Pick<SteerInput, 'user' | 'frequency' | 'coreVoltage' | 'paused' | 'overheat' | 'powerFault'>): SteerAction[] {
  const out: SteerAction[] = [];
  const held = i.overheat || i.powerFault;
  const f = i.frequency;
  const v = i.coreVoltage;
  const fBack = f !== i.user.frequency && !(held && (f === null || i.user.frequency > f));
  const vBack = v !== i.user.coreVoltage && !(held && (v === null || i.user.coreVoltage > v));
  if (fBack || vBack) {
    const s: SteerAction = { action: 'set', reason: 'the user’s own settings back' };
    if (fBack) s.frequency = i.user.frequency;
    if (vBack) s.coreVoltage = i.user.coreVoltage;
    out.push(s);
  }
  if (i.paused && !held) out.push({ action: 'resume', reason: 'steering ended: mining again' });
  return out;
}
