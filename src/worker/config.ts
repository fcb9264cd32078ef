/**
 * Settings of `micro-mining worker`: flags, MM_* environment variables and a configuration file
 * (YAML or JSON), flags over environment over file, validated once; a bad value names the flag,
 * the variable or the file key, and the fix.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../core/index.js';
import {
  describeFlagProblem,
  WORKER_FIELDS,
  WORKER_KEYS,
  envName,
  helpTable,
  helpWidth,
  nearest,
  parseFlagsStrict,
  readConfigFile,
  type FlagOptions,
  type WorkerKey,
} from '../settings/index.js';
import { parsePoolUrl } from '../stratum/index.js';
import { machineName, primaryMac } from './machine.js';

// The worker's settings are its section of the one settings table (src/settings/fields.ts): its
// own rows (hub, name, password, nice, …) and those it shares with the hub (threads, kernel, log_level).
export { WORKER_FIELDS, type WorkerKey };
const FIELD = WORKER_FIELDS;
const KEYS = WORKER_KEYS;

export interface WorkerConfig {
  hub: string;
  name: string;
  threads: number;
  password: string | null;
  kernel: 'auto' | 'js' | 'wasm' | 'native';
  nice: number;
  /** also hash on the GPU (WebGPU through the optional `webgpu` package) */
  gpu: boolean;
  maxLoadPercent: number;
  resumeAfterS: number;
  /** hash on battery too */
  hashOnBattery: boolean;
  watts: number | null;
  difficulty: number | null;
  logLevel: string;
  hostname: string;
  mac: string | null;
  configFile: string | null;
}

export function workerEnvName(key: WorkerKey): string {
  return envName(key);
}

/** `--help` rows: flag, then [environment variable, file key], at the terminal's width. */
export function workerSettingsHelp(width = helpWidth()): string {
  return helpTable(
    KEYS.map((k) => {
      const f = FIELD[k];
      return { flag: `--${f.flag}${f.arg ? ` ${f.arg}` : ''}${f.negatable ? `, --no-${f.flag}` : ''}`, help: f.help, where: `[${workerEnvName(k)}, ${k}]` };
    }),
    width,
  );
}

const KERNELS = ['auto', 'js', 'wasm', 'native'];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** " (did you mean X?)" for a word near one of a few, or nothing. */
function near(word: string, words: string[]): string {
  const best = nearest(word, words);
  return best ? ` (did you mean ${best}?)` : '';
}

export interface WorkerLoadOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cores?: number;
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Reads and validates the worker's settings; throws InputError (exit 2) naming the source and fix. */
export function loadWorkerConfig(o: WorkerLoadOptions): WorkerConfig {
  const cores = o.cores ?? availableParallelism();
  const options: FlagOptions = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const k of KEYS) {
    const f = FIELD[k];
    options[f.flag] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
    if (f.negatable) options[`no-${f.flag}`] = { type: 'boolean' };
  }
  const parsed = parseFlagsStrict(o.argv, options);
  if ('problem' in parsed) {
    const p = parsed.problem;
    throw new InputError(describeFlagProblem(p, 'worker'), p.flag);
  }
  const flags = parsed.values;
  const configFile = typeof flags.config === 'string' ? flags.config : (o.env.MM_CONFIG ?? null);
  const file = configFile ? readConfigFile(configFile) : {};
  for (const k of Object.keys(file)) {
    if (!(KEYS as string[]).includes(k)) {
      const best = nearest(k, KEYS);
      throw new InputError(`${configFile}: unknown key "${k}"${best ? ` (did you mean ${best}?)` : ''}; the worker takes ${KEYS.join(', ')}`, k);
    }
  }

  const raw = (k: WorkerKey): { value: unknown; from: string } | null => {
    const f = FIELD[k];
    if (f.negatable && flags[`no-${f.flag}`]) return { value: false, from: `--no-${f.flag}` };
    if (flags[f.flag] !== undefined) return { value: flags[f.flag], from: `--${f.flag}` };
    const e = o.env[workerEnvName(k)];
    if (e !== undefined && e !== '') return { value: e, from: workerEnvName(k) };
    if (file[k] !== undefined && file[k] !== null) return { value: file[k], from: `${configFile}: ${k}` };
    return null;
  };
  /** where the value of a key came from (it was given: its check failed) */
  const from = (k: WorkerKey): string => raw(k)?.from ?? `--${FIELD[k].flag}`;
  const bad = (k: WorkerKey, from: string, why: string): never => {
    throw new InputError(`${from}: ${why}; ${FIELD[k].fix}`, FIELD[k].flag);
  };
  const str = (k: WorkerKey): string | null => {
    const r = raw(k);
    if (!r) return null;
    const v = String(r.value).trim();
    if (!v) bad(k, r.from, 'must not be empty');
    return v;
  };
  const num = (k: WorkerKey, min: number, max: number, int = false): number | null => {
    const r = raw(k);
    if (!r) return null;
    const v = typeof r.value === 'number' ? r.value : String(r.value).trim() === '' ? NaN : Number(r.value);
    if (!Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v)))
      bad(k, r.from, `expected ${int ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${String(r.value).slice(0, 40)}"`);
    return v;
  };
  const bool = (k: WorkerKey): boolean | null => {
    const r = raw(k);
    if (!r) return null;
    if (typeof r.value === 'boolean') return r.value;
    const v = String(r.value).trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return bad(k, r.from, `expected true or false, got "${v.slice(0, 20)}"`);
  };

  const hubRaw = raw('hub');
  if (!hubRaw) throw new InputError(`--hub is required (or ${workerEnvName('hub')}, or "hub" in the configuration file); ${FIELD.hub.fix}`, 'hub');
  const hub = String(hubRaw.value).trim();
  try {
    const u = parsePoolUrl(hub);
    if (u.user || u.password) bad('hub', hubRaw.from, 'must not carry a user or password (use --name and --password)');
  } catch (err) {
    if (err instanceof InputError && err.field === 'hub') throw err;
    bad('hub', hubRaw.from, `not a Stratum URL: ${(err as Error).message.replace(/^pool URL\s*/, '')}`);
  }
  const hostname = machineName();
  const name = str('name') ?? (hostname.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64) || 'worker');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) bad('name', from('name'), `"${name.slice(0, 70)}" is not a worker name`);
  const password = str('password');
  if (password !== null && password.length > 128) bad('password', from('password'), 'longer than 128 characters');
  const kernel = str('kernel') ?? 'auto';
  if (!KERNELS.includes(kernel)) bad('kernel', from('kernel'), `unknown kernel "${kernel.slice(0, 20)}"${near(kernel, KERNELS)}`);
  const level = str('log_level') ?? 'info';
  if (!LEVELS.includes(level)) bad('log_level', from('log_level'), `unknown level "${level.slice(0, 20)}"${near(level, LEVELS)}`);
  const difficulty = num('difficulty', 0, 1e12);
  if (difficulty === 0) bad('difficulty', from('difficulty'), 'must be above 0');
  return {
    hub,
    name,
    threads: num('threads', 1, cores, true) ?? Math.max(1, cores - 1),
    password,
    kernel: kernel as WorkerConfig['kernel'],
    nice: num('nice', 0, 19, true) ?? 19,
    maxLoadPercent: num('max_load', 1, 100) ?? 50,
    resumeAfterS: num('resume_after', 0, 3600) ?? 10,
    hashOnBattery: bool('battery') ?? false,
    gpu: bool('gpu') ?? false,
    watts: num('watts', 0, 100_000),
    difficulty,
    logLevel: level,
    hostname,
    mac: primaryMac(),
    configFile,
  };
}
