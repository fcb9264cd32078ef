import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../core/index.js';
import { describeFlagProblem, inlineNegativeValues, parseFlagsStrict, type FlagOptions } from '../settings/index.js';

/**
 * node:util parseArgs with errors that name the flag, as InputError (exit 2); a negative number
 * after a flag is its value (the range check names the fix), an unknown flag gets the nearest one.
 */
export function parseVerbArgs<T extends NonNullable<ParseArgsConfig['options']>>(verb: string, argv: string[], options: T) {
  const checked = parseFlagsStrict(argv, options as FlagOptions);
  if ('problem' in checked) {
    const p = checked.problem;
    throw new InputError(describeFlagProblem(p, verb), p.flag);
  }
  return parseArgs({ args: inlineNegativeValues(argv, options as FlagOptions), options, strict: true, allowPositionals: false });
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
