// Where settings come from: flags, MM_* environment variables and a configuration file.
import { InputError } from '../../core/index.js';
import { describeFlagProblem, envName, nearest, parseFlagsStrict, type FlagOptions } from '../../settings/index.js';
import { FIELD, KEYS, type ConfigKey } from './fields.js';
import { toBool } from './values.js';
import { maskInline } from './secrets.js';

export { envName, parseConfigText, readConfigFile } from '../../settings/index.js';

export interface FlagValues {
  values: Partial<Record<ConfigKey, string | boolean>>;
  help: boolean;
}

const flagOptions = (): FlagOptions => {
  const opts: FlagOptions = { help: { type: 'boolean' } };
  for (const k of KEYS) {
    const f = FIELD[k];
    opts[f.flag] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
    if (f.negatable) opts[`no-${f.flag}`] = { type: 'boolean' };
  }
  return opts;
};

/**
 * Parses `start`/`check-config` flags into file keys (`--pool-user X` -> pool_user: "X"). A
 * negative number after a flag is its value (the range check then names the fix); an unknown flag
 * is answered with the nearest known one.
 */
export function parseFlags(argv: string[], verb = 'start'): FlagValues {
  const r = parseFlagsStrict(argv, flagOptions());
  if ('problem' in r) {
    const p = r.problem;
    const key = p.flag?.replace(/-/g, '_') as ConfigKey | undefined;
    const known = key !== undefined && !p.unknown && (KEYS as string[]).includes(key);
    const field = known ? key : p.flag !== undefined ? `--${p.negated ? 'no-' : ''}${p.flag}` : undefined;
    throw new InputError(describeFlagProblem(p, verb, known ? FIELD[key].fix : undefined), field);
  }
  const parsed = r.values;
  const values: FlagValues['values'] = {};
  for (const k of KEYS) {
    const f = FIELD[k];
    const v = parsed[f.flag];
    const neg = f.negatable ? parsed[`no-${f.flag}`] : undefined;
    if (v !== undefined && neg) throw new InputError(`--${f.flag} and --no-${f.flag} contradict each other; give one`, k);
    if (neg) values[k] = f.kind === 'bool' ? false : 'off';
    else if (v !== undefined) values[k] = v as string | boolean;
  }
  return { values, help: parsed.help === true };
}

/** Reads MM_* variables (and MM_NO_* switches); empty values count as unset. */
export function readEnv(env: NodeJS.ProcessEnv): { values: Partial<Record<ConfigKey, string | boolean>>; origins: Partial<Record<ConfigKey, string>> } {
  const values: Partial<Record<ConfigKey, string | boolean>> = {};
  const origins: Partial<Record<ConfigKey, string>> = {};
  for (const k of KEYS) {
    const f = FIELD[k];
    if (f.flagOnly) continue;
    const name = envName(k);
    const v = env[name];
    if (v !== undefined && v.trim() !== '') {
      values[k] = v;
      origins[k] = `${name}=${f.secret ? '***' : maskInline(JSON.stringify(v).slice(1, -1)).slice(0, 80)}`;
    }
    if (f.negatable) {
      const nname = `MM_NO_${f.flag.replace(/-/g, '_').toUpperCase()}`;
      const nv = env[nname];
      if (nv !== undefined && nv.trim() !== '' && toBool(nv) === true) {
        values[k] = f.kind === 'bool' ? false : 'off';
        origins[k] = `${nname}=${nv}`;
      }
    }
  }
  return { values, origins };
}

/** " (did you mean KEY?)" for an unknown file key, or nothing. */
export function didYouMean(key: string): string {
  const best = nearest(key, KEYS);
  return best ? ` (did you mean ${best}?)` : '';
}
