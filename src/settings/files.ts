// Configuration files: YAML or JSON (JSON is YAML), a mapping of file keys, at most 1 MiB.
import { readFileSync, statSync } from 'node:fs';
import YAML from 'yaml';
import { InputError } from '../core/index.js';

const MAX_FILE_BYTES = 1024 * 1024;

/** Reads a configuration file: YAML or JSON, a mapping of file keys. Throws InputError naming --config. */
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
