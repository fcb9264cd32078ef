// `micro-mining worker`: this computer hashes for the hub while it is idle, obeys the hub's plan
// (pause, resume, thread cap over the hub's Stratum extension) and stops cleanly on Ctrl-C.
import { redactUrl, rootLogger } from '../../log.js';
import { stopOnSignal } from './signals.js';
import { WorkerAgent, WorkerConsole, loadWorkerConfig, wantsHelp, workerSettingsHelp } from '../../worker/index.js';

const HELP = `usage: micro-mining worker --hub stratum+tcp://HUB:3333 [--name NAME] [--threads N] [--password P] [flags …]

Makes this computer a worker of a Micro Mining hub: it hashes with the same kernels as the hub,
while the computer is otherwise idle (it yields when other programs need the CPU, and on battery),
and the hub pauses, resumes and caps it as its plan says. It tells the hub its host name and MAC,
so the hub links it to this computer's Home Assistant device. Ctrl-C stops it.

settings (flag, then [environment variable, file key]; --config FILE or MM_CONFIG: YAML or JSON):
${workerSettingsHelp()}`;

const STOP_DEADLINE_MS = 2000;

export async function runWorker(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(HELP);
    return 0;
  }
  const c = loadWorkerConfig({ argv, env: process.env });
  if (!process.env.MM_LOG_LEVEL) rootLogger().level = c.logLevel;
  const log = rootLogger().child({ part: 'worker' });
  const agent = new WorkerAgent({
    hub: c.hub,
    name: c.name,
    password: c.password ?? undefined,
    threads: c.threads,
    kernel: c.kernel,
    nice: c.nice,
    gpu: c.gpu,
    hostname: c.hostname,
    mac: c.mac,
    yield: { maxLoadPercent: c.maxLoadPercent, resumeAfterS: c.resumeAfterS, onBattery: !c.hashOnBattery },
    watts: c.watts ?? undefined,
    suggestDifficulty: c.difficulty ?? undefined,
    logger: log,
  });
  // one line per state change, and on a terminal a live status line (src/worker/console.ts)
  const view = new WorkerConsole(agent, log, c.hub);
  log.info(
    { hub: redactUrl(c.hub), name: c.name, threads: c.threads, hostname: c.hostname, mac: c.mac },
    `worker ${c.name} starting, up to ${c.threads} thread${c.threads === 1 ? '' : 's'}, for the hub at ${redactUrl(c.hub)}`,
  );
  await agent.start();
  view.start();
  return stopOnSignal({
    log,
    stop: async () => {
      view.stop();
      await agent.stop();
    },
    deadlineMs: STOP_DEADLINE_MS,
  });
}
