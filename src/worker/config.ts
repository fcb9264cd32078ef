/**
 * Settings of `micro-mining worker`: flags, MM_* environment variables and a configuration file
 * (YAML or JSON), flags over environment over file, validated once; a bad value names the flag,
 * the variable or the file key, and the fix.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../core/index.js';
import { parsePoolUrl } from '../stratum/index.js';
import { machineName, primaryMac } from './machine.js';

interface Field {
  flag: string;
  kind: 'string' | 'int' | 'number' | 'bool';
  arg?: string;
  help: string;
  fix: string;
  secret?: boolean;
}

export const WORKER_FIELDS = {
  hub: { flag: 'hub', kind: 'string', arg: 'URL', help: "the hub's Stratum endpoint, stratum+tcp://HUB:3333", fix: 'give the URL of the hub, e.g. stratum+tcp://homeassistant.local:3333' },
  name: { flag: 'name', kind: 'string', arg: 'NAME', help: 'worker name shown by the hub (default: this host name)', fix: 'give 1 to 64 letters, digits, dots, dashes or underscores' },
  threads: { flag: 'threads', kind: 'int', arg: 'N', help: 'most hashing threads (default: cores - 1, at least 1)', fix: 'give a whole number from 1 to the number of cores' },
  password: { flag: 'password', kind: 'string', secret: true, arg: 'P', help: "the hub endpoint's password, when it has one", fix: 'give the stratum_password of the hub (1 to 128 characters)' },
  kernel: { flag: 'kernel', kind: 'string', arg: 'K', help: 'hashing kernel: auto, js, wasm or native', fix: 'use auto, js, wasm or native' },
  nice: { flag: 'nice', kind: 'int', arg: 'N', help: 'priority of the hashing threads, 0 (normal) to 19 (the lowest; default)', fix: 'give a whole number from 0 to 19' },
  max_load: { flag: 'max-load', kind: 'number', arg: '%', help: 'yield while other programs use more than this much CPU, % (default 50)', fix: 'give a percentage from 1 to 100' },
  resume_after: { flag: 'resume-after', kind: 'number', arg: 'S', help: 'seconds the machine must stay quiet before hashing again (default 10)', fix: 'give seconds from 0 to 3600' },
  battery: { flag: 'battery', kind: 'bool', help: 'hash on battery too (default false: yield while on battery)', fix: 'use true or false' },
  watts: { flag: 'watts', kind: 'number', arg: 'W', help: 'extra power this computer draws while hashing, W (told to the hub for its budget)', fix: 'give watts from 0 to 100000' },
  difficulty: { flag: 'difficulty', kind: 'number', arg: 'D', help: 'share difficulty to ask the hub for (default: the hub decides)', fix: 'give a positive number, e.g. 0.001' },
  log_level: { flag: 'log-level', kind: 'string', arg: 'L', help: 'log level: trace, debug, info, warn, error, fatal or silent', fix: 'use trace, debug, info, warn, error, fatal or silent' },
} satisfies Record<string, Field>;

export type WorkerKey = keyof typeof WORKER_FIELDS;
const FIELD: Record<WorkerKey, Field> = WORKER_FIELDS;
const KEYS = Object.keys(WORKER_FIELDS) as WorkerKey[];

export interface WorkerConfig {
  hub: string;
  name: string;
  threads: number;
  password: string | null;
  kernel: 'auto' | 'js' | 'wasm' | 'native';
  nice: number;
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
  return `MM_${key.toUpperCase()}`;
}

/** `--help` rows: flag, then [environment variable, file key]. */
export function workerSettingsHelp(): string {
  return KEYS.map((k) => {
    const f = FIELD[k];
    return `  ${`--${f.flag}${f.arg ? ` ${f.arg}` : ''}`.padEnd(24)} ${f.help}  [${workerEnvName(k)}, ${k}]`;
  }).join('\n');
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
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } as { type: 'boolean' } };
  for (const k of KEYS) {
    const f = FIELD[k];
    options[f.flag] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
    if (f.kind === 'bool') options[`no-${f.flag}`] = { type: 'boolean' };
  }
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: o.argv, options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new InputError(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see "micro-mining worker --help")`);
  }
  const configFile = typeof flags.config === 'string' ? flags.config : (o.env.MM_CONFIG ?? null);
  const file = configFile ? readFile(configFile) : {};
  for (const k of Object.keys(file)) {
    if (!(KEYS as string[]).includes(k)) throw new InputError(`${configFile}: unknown key "${k}"; the worker takes ${KEYS.join(', ')}`, k);
  }

  const raw = (k: WorkerKey): { value: unknown; from: string } | null => {
    const f = FIELD[k];
    if (f.kind === 'bool' && flags[`no-${f.flag}`]) return { value: false, from: `--no-${f.flag}` };
    if (flags[f.flag] !== undefined) return { value: flags[f.flag], from: `--${f.flag}` };
    const e = o.env[workerEnvName(k)];
    if (e !== undefined && e !== '') return { value: e, from: workerEnvName(k) };
    if (file[k] !== undefined && file[k] !== null) return { value: file[k], from: `${configFile}: ${k}` };
    return null;
  };
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
    if (!Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) bad(k, r.from, `expected ${int ? 'a whole number' : 'a number'} from ${min} to ${max}, got "${String(r.value).slice(0, 40)}"`);
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
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) bad('name', raw('name')!.from, `"${name.slice(0, 70)}" is not a worker name`);
  const password = str('password');
  if (password !== null && password.length > 128) bad('password', raw('password')!.from, 'longer than 128 characters');
  const kernel = str('kernel') ?? 'auto';
  if (!['auto', 'js', 'wasm', 'native'].includes(kernel)) bad('kernel', raw('kernel')!.from, `unknown kernel "${kernel.slice(0, 20)}"`);
  const level = str('log_level') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) bad('log_level', raw('log_level')!.from, `unknown level "${level.slice(0, 20)}"`);
  const difficulty = num('difficulty', 0, 1e12);
  if (difficulty === 0) bad('difficulty', raw('difficulty')!.from, 'must be above 0');
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
    watts: num('watts', 0, 100_000),
    difficulty,
    logLevel: level,
    hostname,
    mac: primaryMac(),
    configFile,
  };
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    if (statSync(path).size > 1024 * 1024) throw new InputError(`--config ${path}: larger than 1 MiB; give the worker's small settings file`, 'config');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`--config ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of a readable YAML or JSON file`, 'config');
  }
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (err) {
    throw new InputError(`--config ${path}: not valid YAML or JSON (${(err as Error).message.split('\n')[0]})`, 'config');
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InputError(`--config ${path}: expected keys and values (e.g. hub: stratum+tcp://homeassistant.local:3333)`, 'config');
  return v as Record<string, unknown>;
}
