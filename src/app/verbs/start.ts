// `micro-mining start`: the hub on the effective configuration, a live terminal line, and a clean
// stop on Ctrl-C / SIGTERM (a second signal exits at once).
import { availableParallelism } from 'node:os';
import { loadConfig, parseFlags, settingsHelp } from '../config.js';
import { Hub } from '../hub.js';
import { TerminalLine } from '../terminal.js';
import { SessionTally } from '../live-line.js';
import { stopOnSignal } from './signals.js';
import { rootLogger, scrub } from '../../log.js';
import { InputError } from '../../core/index.js';

const HELP = `usage: micro-mining start [--config FILE] [flags …]

Runs the hub: the job source (a Stratum pool, or practice jobs that earn nothing), the hub's
hashing threads, the local Stratum endpoint for household miners, Home Assistant appliances (with
--ha-url/--ha-token, or the Supervisor in the add-on), MQTT entities (an embedded broker when none
is given), the embedded Node-RED flow that schedules the work, and a status page.
Ctrl-C stops cleanly.

Threads: ${threadsHelp()}

settings (flag, then [environment variable, file key]):
${settingsHelp()}`;

/** How many hub threads run on this machine by default and what limits them. */
function threadsHelp(): string {
  const cores = availableParallelism();
  return (
    `This machine has ${cores} core${cores === 1 ? '' : 's'}; the hub runs up to ${Math.max(0, cores - 1)} of them by default: ` +
    `1 core kept for Home Assistant (--headroom 1). --headroom 0 uses every core; --threads N caps the count further; ` +
    `the status page and the status line say how many run and why.`
  );
}

/** How long a stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 2000;

export async function runStart(argv: string[]): Promise<number> {
  if (parseFlags(argv).help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig({ argv, env: process.env });
  if (!process.env.MM_LOG_LEVEL) rootLogger().level = config.logLevel;
  const log = rootLogger().child({ part: 'start' });
  const hub = new Hub(config);
  // the terminal line renders the hub's snapshot (src/app/hub/snapshot.ts)
  const line = new TerminalLine(() => hub.snapshot().status);
  // what the session did (time mined, shares, energy, cost), sampled every second, printed once
  // after the stop
  const tally = new SessionTally();
  let sampler: NodeJS.Timeout | undefined;
  const sample = () => {
    try {
      tally.observe(hub.snapshot().status);
    } catch {
      /* not started yet, or stopping */
    }
  };
  // Ctrl-C / SIGTERM stop the hub cleanly (a second signal exits at once): signals.ts
  const done = stopOnSignal({
    log,
    stop: () => hub.stop(),
    before: () => {
      clearInterval(sampler);
      if (sampler) sample();
      line.stop();
    },
    after: () => {
      const summary = tally.summary();
      if (summary.length) process.stdout.write(`${summary.join('\n')}\n`);
    },
    deadlineMs: STOP_DEADLINE_MS,
    exitWhenStopped: true,
  });
  try {
    await hub.start();
  } catch (err) {
    // what a user can fix (a port in use, totals that cannot be read, a bad option): one line and
    // exit 2, after what was started has stopped; anything else is a bug: logged with its stack
    await hub.stop().catch(() => {});
    const code = err instanceof InputError ? 2 : 1;
    if (err instanceof InputError) process.stderr.write(`${scrub(`micro-mining start: ${err.message}`)}\n`);
    else log.fatal({ err }, `could not start: ${(err as Error).message}`);
    // a library may keep a timer or socket for a while after a failed start: do not wait for it
    setTimeout(() => process.exit(code), 200).unref();
    return code;
  }
  line.start();
  sample();
  sampler = setInterval(sample, 1000);
  sampler.unref();
  return done;
}
