// The AxeOS part's options, inputs and events (a typed map for the hub's event bus).
import type { AxeosClientOptions } from './client.js';
import type { AxeosMapping, MinerIdentity } from './discovery.js';
import type { AxeosReading, AxeosState } from './model.js';
import type { Logger } from '../log.js';
import type { AxeosStep, UserSettings } from './steer.js';

export interface AxeosPartOptions {
  /** explicit {worker, url} links (from worker_mappings' axeos_url), linked at start() */
  mappings?: AxeosMapping[];
  /** port probed on a miner's connection address (default 80; tests give the stand-in's) */
  probePort?: number;
  /** probe loopback addresses too (tests only) */
  allowLoopback?: boolean;
  /** tries of a probe (default 3) and the first back-off between them (default 1000 ms, doubled) */
  probeTries?: number;
  probeBackoffMs?: number;
  /** one reading per miner at most this often (default 10 s, at least 1 s) */
  pollIntervalMs?: number;
  /** use /api/ws/live where the firmware has it (default true) */
  live?: boolean;
  /** minimum time between two changes to one miner (default 60 s) */
  minChangeIntervalMs?: number;
  /** new miners start steered (default false: the switch "Steered by Micro Mining" turns it on) */
  steerByDefault?: boolean;
  /** what an earlier run remembered (worker -> the user's own settings, and whether the hub had paused it) */
  remembered?: Record<string, Remembered>;
  /** HTTP client settings (timeout, reply cap, retries, source address) */
  client?: Omit<AxeosClientOptions, 'url'>;
  /** most miners linked at once (default 64) */
  maxMiners?: number;
  /** stop() waits at most this long for the user's settings to go back (default 15 s) */
  stopTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
}

export interface MinerConnected extends MinerIdentity {
  worker: string;
  /** the Stratum connection's remote address */
  address: string;
}

/** The part's events (a typed map, for the hub's event bus). */
export interface AxeosEvents {
  linked: {
    worker: string;
    url: string;
    via: 'address' | 'mapping';
    by: string[];
    firmware: string | null;
    canPause: boolean;
    frequencyOptions: number[];
    voltageOptions: number[];
  };
  unlinked: { worker: string; reason: string };
  state: { worker: string; state: AxeosState; detail: string | null };
  reading: { worker: string; reading: AxeosReading; steps: AxeosStep[] };
  steered: { worker: string; action: 'set' | 'pause' | 'resume' | 'plug'; frequency?: number; coreVoltage?: number; reason: string };
  /** the user's own settings or the hub's pause changed: persist `{...user, pausedByHub}` and give it back as `remembered` next start */
  remember: { worker: string; user: UserSettings; pausedByHub: boolean; why: string };
}

/** What the part asks the hub to keep across restarts, per worker. */
export interface Remembered extends UserSettings {
  /** the hub had paused the miner (a restart then still resumes it when steering ends) */
  pausedByHub?: boolean;
}

export function rememberedUser(r: Remembered | undefined): UserSettings | null {
  if (!r || !(Number.isFinite(r.frequency) && r.frequency > 0) || !(Number.isFinite(r.coreVoltage) && r.coreVoltage > 0)) return null;
  return { frequency: r.frequency, coreVoltage: r.coreVoltage };
}
