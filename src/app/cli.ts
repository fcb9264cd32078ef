import { InputError } from '../core/index.js';
import { scrub } from '../log.js';

export const VERBS = ['start', 'scan', 'bench', 'check-config', 'worker'] as const;

const USAGE = `usage: micro-mining <verb> [flags]

verbs:
  start          run the hub (job source, hub pool, local Stratum endpoint, HA, MQTT, Node-RED)
  scan           scan a nonce range of a header or a Stratum job and print the finds
  bench          measure every kernel against the naive baseline in one run
  check-config   validate a configuration or add-on options file and print the effective settings
  worker         make this computer a worker of a hub (--hub stratum+tcp://HUB:3333)

run "micro-mining <verb> --help" for the flags of one verb`;

/** Entry point of the `micro-mining` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
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
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        console.error(`micro-mining: unknown verb "${verb}"\n\n${USAGE}`);
        return 2;
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
