// Command-line flags: node:util parseArgs, with two things it does not do for a user: a negative
// number after a flag that takes a value is that value (`--threads -1` reaches the range check,
// not "argument is ambiguous"), and an unknown flag is answered with the nearest known one.
import { parseArgs } from 'node:util';
import { SETTINGS, type Field } from './fields.js';
import { nearest } from './suggest.js';

export type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/** `--flag -1` as `--flag=-1` for flags that take a value, so a negative number is read as the value. */
export function inlineNegativeValues(argv: readonly string[], options: FlagOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Why parseArgs refused the flags: its first sentence, the flag it names, and the nearest known flag. */
export interface FlagProblem {
  message: string;
  /** the flag as written, without dashes and without a `no-` (e.g. `threads`), when one is named */
  flag?: string;
  negated?: boolean;
  unknown: boolean;
  /** the nearest known flag, with its dashes (`--policy`), for an unknown one */
  suggestion?: string;
  /** how to fix it, when the parser knows better than the setting's own fix */
  hint?: string;
}

/** `MESSAGE; did you mean --x? (see "micro-mining VERB --help")`, with `fix` when nothing better is known. */
export function describeFlagProblem(p: FlagProblem, verb: string, fix?: string): string {
  const hint = otherVerb(p, verb) ?? (p.suggestion ? `did you mean ${p.suggestion}?` : (p.hint ?? fix));
  return `${p.message}${hint ? `; ${hint}` : ''} (see "micro-mining ${verb} --help")`;
}

/** An unknown flag that another verb takes: `--hub is a setting of "micro-mining worker"`. */
function otherVerb(p: FlagProblem, verb: string): string | undefined {
  if (!p.unknown || p.flag === undefined) return undefined;
  const row = Object.values(SETTINGS as Record<string, Field>).find((f) => f.flag === p.flag);
  if (!row) return undefined;
  const worker = row.scope === 'worker' || row.scope === 'both';
  const hub = row.scope !== 'worker';
  if (verb === 'worker' && !worker) return `--${p.flag} is a setting of the hub ("micro-mining start")`;
  if ((verb === 'start' || verb === 'check-config') && !hub) return `--${p.flag} is a setting of "micro-mining worker"`;
  return undefined;
}

/** How to write a switch: `give --x or --no-x`, or `give --x alone`. */
function switchHint(name: string, options: FlagOptions): string {
  const base = name.replace(/^no-/, '');
  return `give ${options[`no-${base}`] ? `--${base} or --no-${base}` : `--${name} alone`}`;
}

/** A switch (a flag without a value) followed by a word: `--stratum maybe`. */
function switchWithValue(argv: readonly string[], options: FlagOptions): FlagProblem | null {
  for (let i = 0; i + 1 < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    const next = argv[i + 1];
    if (name === null || options[name]?.type !== 'boolean' || next.startsWith('-')) continue;
    const base = name.replace(/^no-/, '');
    return {
      message: `--${name} takes no value, got "${next.slice(0, 40)}"`,
      flag: base,
      negated: name !== base,
      unknown: false,
      hint: switchHint(name, options),
    };
  }
  return null;
}

/** Parses flags strictly (no positionals); returns the values, or the problem a user can fix. */
export function parseFlagsStrict(
  argv: readonly string[],
  options: FlagOptions,
): { values: Record<string, string | boolean | undefined> } | { problem: FlagProblem } {
  const switched = switchWithValue(argv, options);
  if (switched) return { problem: switched };
  try {
    const parsed = parseArgs({ args: inlineNegativeValues(argv, options), options, strict: true, allowPositionals: false });
    return { values: parsed.values as Record<string, string | boolean | undefined> };
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    const message = e.message
      .split('\n')[0]
      .replace(/\. To specify.*$/s, '')
      .replace(/\.$/, '');
    const m = /'(--?)(no-)?([^' =]+)/.exec(e.message);
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    const problem: FlagProblem = { message, unknown };
    if (m) {
      problem.flag = m[3];
      problem.negated = m[2] !== undefined;
      if (unknown) {
        const written = `${m[2] ?? ''}${m[3]}`;
        const best = nearest(
          written,
          Object.keys(options).filter((o) => o.length > 1),
        );
        if (best !== null) problem.suggestion = `--${best}`;
      } else if (options[`${m[2] ?? ''}${m[3]}`]?.type === 'boolean') {
        // `--practice=yes`: a switch is given or not
        problem.hint = switchHint(`${m[2] ?? ''}${m[3]}`, options);
      }
    }
    return { problem };
  }
}
