import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../core/index.js';

/** node:util parseArgs with errors that name the flag, as InputError (exit 2). */
export function parseVerbArgs<T extends NonNullable<ParseArgsConfig['options']>>(verb: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code?.startsWith('ERR_PARSE_ARGS')) {
      throw new InputError(`${e.message.replace(/\. To specify.*$/s, '')} (see "micro-mining ${verb} --help")`);
    }
    throw err;
  }
}

/** An integer flag: decimal or 0x hex, within [min, max]. */
export function intFlag(value: string | undefined, flag: string, min: number, max: number, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new InputError(`${flag} is required`, flag);
    return fallback;
  }
  const v = value.trim();
  const n = /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InputError(`${flag}: expected an integer in ${min}..${max}, got "${value}"`, flag);
  }
  return n;
}

/** A positive finite number flag. */
export function numberFlag(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new InputError(`${flag} is required`, flag);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || value.trim() === '') throw new InputError(`${flag}: expected a positive number, got "${value}"`, flag);
  return n;
}
