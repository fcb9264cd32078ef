// Ctrl-C / SIGTERM for the long-running verbs (`start`, `worker`): the first signal stops cleanly
// within a deadline, a second one exits at once.
import type { Logger } from '../../log.js';

export interface StopOnSignalOptions {
  log: Logger;
  /** stops what runs (the hub, the worker agent) */
  stop: () => Promise<void>;
  /** called first, before stop (e.g. take the status line off the terminal) */
  before?: () => void;
  /** called once the stop is done, before the exit (e.g. print a summary) */
  after?: () => void;
  /** how long a stop may take before the process exits anyway, ms (default 2000) */
  deadlineMs?: number;
  /**
   * Exit the process once stopped: every part has released what it opened, but a library timer or
   * two (Node-RED, ws closing handshakes) may still run for a few seconds; do not wait for them.
   */
  exitWhenStopped?: boolean;
}

/**
 * Listens for SIGINT and SIGTERM. Resolves with the exit code once the first signal's stop is done
 * (0, or 1 when the stop failed); the listeners are removed then. A stop past the deadline exits
 * with 1; a second signal exits at once with 130.
 */
export function stopOnSignal(o: StopOnSignalOptions): Promise<number> {
  const deadlineMs = o.deadlineMs ?? 2000;
  let signals = 0;
  return new Promise<number>((resolve) => {
    const off = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        o.log.warn(`${sig} again: exiting now`);
        process.exit(130);
      }
      o.log.info(`${sig}: stopping`);
      o.before?.();
      const deadline = setTimeout(() => {
        o.log.error(`stop took longer than ${deadlineMs} ms: exiting`);
        process.exit(1);
      }, deadlineMs);
      deadline.unref();
      o.stop().then(
        () => {
          clearTimeout(deadline);
          off();
          o.log.info('stopped');
          try {
            o.after?.();
          } catch (err) {
            o.log.warn({ err }, 'after the stop');
          }
          if (o.exitWhenStopped) setImmediate(() => process.exit(0));
          resolve(0);
        },
        (err) => {
          clearTimeout(deadline);
          off();
          o.log.error({ err }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
