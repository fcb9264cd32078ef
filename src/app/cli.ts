import { InputError } from '../core/index.js';

export const VERBS = ['start', 'scan', 'bench', 'check-config'] as const;

const USAGE = `usage: micro-mining <verb> [flags]

verbs:
  start          run the hub (job source, hub pool, local Stratum endpoint, HA, MQTT, Node-RED)
  scan           scan a nonce range of a header or a Stratum job and print the finds
  bench          measure every kernel against the naive baseline in one run
  check-config   validate a configuration or add-on options file and print the effective settings

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
      console.error(`micro-mining ${verb}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
