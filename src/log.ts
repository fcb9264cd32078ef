import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never written to a log. */
export const REDACT_PATHS = [
  'token', '*.token', 'password', '*.password', 'pass', '*.pass', 'haToken', '*.haToken',
  'poolPassword', '*.poolPassword', 'accessToken', '*.accessToken', 'authorization', '*.authorization',
];

let root: Logger | undefined;

/** The process-wide structured logger (JSON lines on stderr; level from MM_LOG_LEVEL, else info; silent under tests unless MM_LOG_LEVEL is set). */
export function rootLogger(): Logger {
  if (!root) {
    const level = process.env.MM_LOG_LEVEL ?? (process.env.MM_TEST ? 'silent' : 'info');
    root = pino({ level, redact: { paths: REDACT_PATHS, censor: '***' }, base: undefined }, pino.destination(2));
  }
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}

/** A child logger for one part of the hub. */
export function logger(part: string): Logger {
  return rootLogger().child({ part });
}

/** A pool URL safe to log: user info and query removed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}
