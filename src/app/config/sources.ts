// Where settings come from: flags, MM_* environment variables and a configuration file.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { InputError } from '../../core/index.js';
import { FIELD, KEYS, type ConfigKey } from './fields.js';
import { toBool } from './values.js';
import { maskInline } from './secrets.js';

export interface FlagValues {
  values: Partial<Record<ConfigKey, string | boolean>>;
  help: boolean;
}

const flagOptions = () => {
  const opts: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const k of KEYS) {
    const f = FIELD[k];
    opts[f.flag] = { type: f.kind === 'bool' ? 'boolean' : 'string' };
    if (f.negatable) opts[`no-${f.flag}`] = { type: 'boolean' };
  }
  return opts;
};

/** Parses `start`/`check-config` flags into file keys (`--pool-user X` -> pool_user: "X"). */
export function parseFlags(argv: string[]): FlagValues {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: flagOptions(), strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      const m = /'--?(no-)?([^' =]+)/.exec(e.message);
      const key = m ? (m[2].replace(/-/g, '_') as ConfigKey) : undefined;
      const known = key !== undefined && (KEYS as string[]).includes(key);
      const first = e.message.split('\n')[0].replace(/\. To specify.*$/s, '').replace(/\.$/, '');
      throw new InputError(`${first}${known ? `; ${FIELD[key].fix}` : ''} (see "micro-mining start --help")`, known ? key : m ? `--${m[1] ?? ''}${m[2]}` : undefined);
    }
    throw err;
  }
  const values: FlagValues['values'] = {};
  for (const k of KEYS) {
    const f = FIELD[k];
    const v = parsed.values[f.flag];
    const neg = f.negatable ? parsed.values[`no-${f.flag}`] : undefined;
    if (v !== undefined && neg) throw new InputError(`--${f.flag} and --no-${f.flag} contradict each other; give one`, k);
    if (neg) values[k] = f.kind === 'bool' ? false : 'off';
    else if (v !== undefined) values[k] = v as string | boolean;
  }
  return { values, help: parsed.values.help === true };
}

/** The environment variable of a key: MM_ + upper-case flag name. */
export function envName(key: ConfigKey): string {
  return `MM_${FIELD[key].flag.replace(/-/g, '_').toUpperCase()}`;
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

const MAX_FILE_BYTES = 1024 * 1024;

/** Reads a configuration file: YAML or JSON (JSON is YAML), a mapping of file keys. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(`--config ${path}: not a file; give the path of a YAML or JSON file`, 'config');
    if (st.size > MAX_FILE_BYTES) throw new InputError(`--config ${path}: ${st.size} bytes is too large for a configuration file (at most 1 MiB)`, 'config');
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`--config ${path}: cannot read it (${e.code ?? e.message}); give the path of a readable YAML or JSON file`, 'config');
  }
  return parseConfigText(text, path);
}

/** Parses configuration text (YAML or JSON). */
export function parseConfigText(text: string, name = 'configuration'): Record<string, unknown> {
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = YAML.parse(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new InputError(`--config ${name}: not valid YAML or JSON: ${first}`, 'config');
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(`--config ${name}: expected a mapping of settings (key: value), got ${Array.isArray(doc) ? 'a list' : typeof doc}`, 'config');
  }
  return doc as Record<string, unknown>;
}

export function didYouMean(key: string): string {
  const norm = key.toLowerCase().replace(/-/g, '_');
  if ((KEYS as string[]).includes(norm)) return ` (did you mean ${norm}?)`;
  let best: string | null = null;
  let bestD = 3;
  for (const k of KEYS) {
    const d = editDistance(norm, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
