// Loading: defaults < configuration file < MM_* environment < flags, validated once. Every problem
// is reported at once, each naming the file key, the flag, where the bad value came from and the fix.
import { availableParallelism } from 'node:os';
import { InputError } from '../../core/index.js';
import { nearest } from '../../settings/index.js';
import { registerSecret } from '../../log.js';
import { FIELD, KEYS, type ConfigKey } from './fields.js';
import { Problems, type Sources } from './problems.js';
import { resolve } from './resolve.js';
import { settingsSchema, type Settings } from './schema.js';
import { maskInline, maskUrl } from './secrets.js';
import { didYouMean, parseFlags, readConfigFile, readEnv } from './sources.js';
import type { Config } from './types.js';
import { isBlank, toBool } from './values.js';

export interface LoadOptions {
  /** flags after the verb (e.g. `start`'s arguments) */
  argv?: string[];
  /** environment (MM_* variables, SUPERVISOR_TOKEN, HOME, XDG_DATA_HOME) */
  env?: NodeJS.ProcessEnv;
  /** configuration file path; default: --config, else MM_CONFIG */
  file?: string;
  /** add-on mode; default: --addon / MM_ADDON, else when SUPERVISOR_TOKEN is set */
  addon?: boolean;
  /** number of cores (default: os.availableParallelism()) */
  cores?: number;
  /** home folder for the standalone data dir (default: HOME, else os.homedir()) */
  home?: string;
  /** the verb whose --help a flag error points to (default start) */
  verb?: string;
}

/** Registers every secret among the raw settings, so no log line or message can print one. */
function registerSecrets(merged: Record<string, unknown>): void {
  for (const k of KEYS) {
    const v = merged[k];
    if (typeof v !== 'string') continue;
    if (FIELD[k].secret) registerSecret(v);
    else if (v.includes('@') && v.includes(':')) {
      // a URL setting with a password written in it
      const masked = maskUrl(v);
      if (masked !== v) {
        const scheme = v.indexOf('://');
        const userinfo = v.slice(scheme >= 0 ? scheme + 3 : 0, v.lastIndexOf('@'));
        const pw = userinfo.slice(userinfo.indexOf(':') + 1);
        registerSecret(pw);
        try {
          registerSecret(decodeURIComponent(pw));
        } catch {
          /* not decodable: the raw form is registered */
        }
      }
    }
  }
}

function flagOrEnvBool(flag: unknown, envv: unknown): boolean | undefined {
  const v = flag ?? envv;
  if (v === undefined) return undefined;
  const b = toBool(v);
  return typeof b === 'boolean' ? b : undefined;
}

interface Merged {
  /** raw values by file key: file < environment < flags */
  values: Record<string, unknown>;
  configPath: string | null;
}

/** Step 1: the raw settings by file key, and where each came from; unknown file keys are problems (warnings in the add-on). */
function mergeSources(opts: LoadOptions, env: NodeJS.ProcessEnv, sources: Sources, problems: Problems, warnings: string[]): Merged {
  const flags = parseFlags(opts.argv ?? [], opts.verb);
  const envIn = readEnv(env);
  const configPath = (opts.file ?? (flags.values.config as string | undefined) ?? env.MM_CONFIG ?? '').trim() || null;
  if (configPath) sources.config = opts.file ? 'caller' : flags.values.config ? `--config ${configPath}` : `MM_CONFIG=${configPath}`;
  const addonGuess = opts.addon ?? flagOrEnvBool(flags.values.addon, envIn.values.addon) ?? Boolean(env.SUPERVISOR_TOKEN);

  const values: Record<string, unknown> = {};
  if (configPath) {
    for (const [k, v] of Object.entries(readConfigFile(configPath))) {
      if (!(KEYS as string[]).includes(k) || FIELD[k as ConfigKey].flagOnly) {
        const msg = `${configPath}: unknown setting "${k}"${didYouMean(k)}`;
        // The Supervisor keeps options an older version had; an add-on upgrade must not fail on them.
        if (addonGuess) warnings.push(`${msg}; ignored`);
        else problems.addText(k, `${msg}; see "micro-mining check-config --help" for the settings`);
        continue;
      }
      if (isBlank(v)) continue;
      values[k] = v;
      sources[k as ConfigKey] = configPath;
    }
  }
  for (const [k, v] of Object.entries(envIn.values)) {
    values[k] = v;
    sources[k as ConfigKey] = envIn.origins[k as ConfigKey];
  }
  for (const [k, v] of Object.entries(flags.values)) {
    if (k === 'config') continue;
    if (typeof v === 'string' && v.trim() === '') continue;
    values[k] = v;
    const f = FIELD[k as ConfigKey];
    sources[k as ConfigKey] = typeof v === 'boolean' ? (v ? `--${f.flag}` : `--no-${f.flag}`) : `--${f.flag} ${f.secret ? '***' : maskInline(v).slice(0, 200)}`;
  }
  if (configPath) values.config = configPath;
  return { values, configPath };
}

/** Step 2: each setting on its own; every bad one is a problem, and the rest are returned without them. */
function validateEach(merged: Record<string, unknown>, cores: number, problems: Problems): Settings {
  const schema = settingsSchema(cores);
  const first = schema.safeParse(merged);
  if (first.success) return first.data;
  const bad = new Set<string>();
  for (const issue of first.error.issues) {
    const key = String(issue.path[0]) as ConfigKey;
    if (bad.has(key)) continue;
    bad.add(key);
    const rest = issue.path.slice(1).map(String);
    let why = issue.message;
    let fix: string | null = FIELD[key].fix;
    if ((key === 'threads' || key === 'headroom') && /at most/.test(why)) why = `${why} (this machine has ${cores} cores)`;
    const choices = (issue as { values?: unknown[] }).values;
    if (issue.code === 'invalid_value' && Array.isArray(choices) && typeof merged[key] === 'string') {
      // one of a few words: say the list once, and the nearest word
      const best = nearest(String(merged[key]).trim(), choices.map(String));
      fix = best ? `did you mean ${best}?` : null;
    }
    if (rest.length) why = `item ${rest.join('.')}: ${why}`;
    problems.add(key, why, rest.length ? undefined : merged[key], fix);
  }
  // a rule across settings that names a bad one would only repeat it
  problems.silence(bad);
  const good = Object.fromEntries(Object.entries(merged).filter(([k]) => !bad.has(k)));
  const again = schema.safeParse(good);
  if (!again.success) throw new InputError(`${problems.size} settings need a fix (and another check failed: ${again.error.issues[0]?.message})`);
  return again.data;
}

/**
 * Loads the configuration: defaults < file < environment < flags, validated once.
 * Throws InputError (exit 2) naming every bad field: its flag, where the bad value came from, and the fix.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {};
  const cores = Math.max(1, Math.floor(opts.cores ?? availableParallelism()));
  const sources: Sources = {};
  const problems = new Problems(sources);
  const warnings: string[] = [];
  const merged = mergeSources(opts, env, sources, problems, warnings);
  registerSecrets(merged.values);
  const settings = validateEach(merged.values, cores, problems);
  // Step 3: the rules across settings and the defaults, section by section
  const addon = opts.addon ?? settings.addon ?? Boolean(env.SUPERVISOR_TOKEN);
  const config = resolve(settings, { env, cores, addon, problems, warnings, home: opts.home }, merged.configPath, sources);
  problems.throwIfAny();
  return config;
}
