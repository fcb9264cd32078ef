import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { InputError } from '../core/index.js';
import { scrub } from '../log.js';
import { helpWidth, nearest, wrapHelp } from '../settings/index.js';

export const VERBS = ['start', 'scan', 'bench', 'check-config', 'worker'] as const;

const USAGE = `usage: micro-mining <verb> [flags]

verbs:
  start          run the hub (job source, hub pool, local Stratum endpoint, HA, MQTT, Node-RED)
  scan           scan a nonce range of a header or a Stratum job and print the finds
  bench          measure every kernel against the naive baseline in one run
  check-config   validate a configuration or add-on options file and print the effective settings
  worker         make this computer a worker of a hub (--hub stratum+tcp://HUB:3333)

run "micro-mining <verb> --help" for the flags of one verb; "micro-mining --version" for the version`;

/** The package's version (package.json beside src/ and dist/: the same depth from both). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

const wantsHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

/**
 * Runs `fn` with console.log wrapping what it prints to the terminal's width (help text: rows keep
 * their meaning column, prose is refilled, no word is cut). Lines that fit are printed as they are.
 */
async function withHelpWrapped<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  const width = helpWidth();
  console.log = (...args: unknown[]) => log(wrapHelp(format(...args), width));
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

async function runVerb(verb: string, rest: string[]): Promise<number> {
  switch (verb) {
    case 'scan':
      return await (await import('./verbs/scan.js')).runScan(rest);
    case 'bench':
      return await (await import('./verbs/bench.js')).runBench(rest);
    case 'start':
      return await (await import('./verbs/start.js')).runStart(rest);
    case 'worker':
      return await (await import('./verbs/worker.js')).runWorker(rest);
    case 'check-config':
      return await (await import('./verbs/check-config.js')).runCheckConfig(rest);
    default:
      throw new Error(`no verb ${verb}`);
  }
}

/** Entry point of the `micro-mining` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(wrapHelp(USAGE));
        return verb === undefined ? 2 : 0;
      case '--version':
      case '-V':
      case 'version':
        console.log(`micro-mining ${packageVersion()}`);
        return 0;
      default: {
        if (!(VERBS as readonly string[]).includes(verb)) {
          const best = nearest(verb, [...VERBS, '--version', '--help']);
          console.error(`micro-mining: unknown verb "${verb}"${best ? `; did you mean ${best}?` : ''}\n\n${wrapHelp(USAGE)}`);
          return 2;
        }
        return wantsHelp(rest) ? await withHelpWrapped(() => runVerb(verb, rest)) : await runVerb(verb, rest);
      }
    }
  } catch (err) {
    if (err instanceof InputError) {
      console.error(scrub(`micro-mining ${verb}: ${err.message}`));
      return 2;
    }
    // a bug: say so in one line, with the stack for a report; both scrubbed of every secret the
    // configuration holds (a URL with a password can sit in a message or in an error's fields)
    const e = err instanceof Error ? err : new Error(String(err));
    console.error(scrub(`micro-mining ${verb}: internal error: ${e.message}`));
    if (e.stack) console.error(scrub(e.stack.split('\n').slice(1).join('\n')));
    return 1;
  }
}
