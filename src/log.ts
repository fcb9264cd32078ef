import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never written to a log. */
export const REDACT_PATHS = [
  'token', '*.token', 'password', '*.password', 'pass', '*.pass', 'haToken', '*.haToken',
  'poolPassword', '*.poolPassword', 'accessToken', '*.accessToken', 'authorization', '*.authorization',
];

let root: Logger | undefined;

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/**
 * One JSON log line as a short human line: `12:00:01 INFO  hashpool: message key=value`.
 * Used when stderr is a terminal (or MM_LOG_FORMAT=pretty); JSON lines otherwise.
 */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json);
  } catch {
    return json;
  }
  const { level, time, part, msg, err, ...rest } = o;
  const t = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 19);
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const e = err && typeof err === 'object' ? ` (${(err as { message?: string }).message ?? ''})` : '';
  return `${t} ${(LEVELS[level as number] ?? String(level)).padEnd(5)} ${part ? `${part}: ` : ''}${msg ?? ''}${e}${extra ? `  ${extra}` : ''}\n`;
}

/** The process-wide structured logger (on stderr; level from MM_LOG_LEVEL, else info; silent under tests unless MM_LOG_LEVEL is set). */
export function rootLogger(): Logger {
  if (!root) {
    const level = process.env.MM_LOG_LEVEL ?? (process.env.MM_TEST ? 'silent' : 'info');
    const pretty = process.env.MM_LOG_FORMAT ? process.env.MM_LOG_FORMAT === 'pretty' : process.stderr.isTTY;
    const dest = pretty ? { write: (line: string) => process.stderr.write(prettyLine(line)) } : pino.destination(2);
    root = pino({ level, redact: { paths: REDACT_PATHS, censor: '***' }, base: undefined }, dest);
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
