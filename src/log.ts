import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Keys whose values are never written to a log. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'pass',
  '*.pass',
  'haToken',
  '*.haToken',
  'poolPassword',
  '*.poolPassword',
  'accessToken',
  '*.accessToken',
  'authorization',
  '*.authorization',
];

let root: Logger | undefined;

// ---------------------------------------------------------------------------------------------
// Secrets the process holds (passwords, tokens, the password in a pool URL), registered by the
// configuration once it is loaded, are scrubbed from every log line and every error printed,
// whatever the key or message that carries them. Masking by key (REDACT_PATHS) stays as well.

const secrets = new Set<string>();
/** Shorter values (x, the customary pool password) are not secrets and would mangle text. */
const MIN_SECRET = 4;
let secretList: string[] = [];

/** Remembers a secret value (and its URL-, JSON- and userinfo-encoded forms) for scrub(). */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < MIN_SECRET) return;
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  try {
    const u = new URL('x://h');
    u.password = value;
    forms.add(u.password);
    forms.add(JSON.stringify(u.password).slice(1, -1));
  } catch {
    /* not representable in a URL: nothing more to add */
  }
  for (const f of forms) if (f.length >= MIN_SECRET) secrets.add(f);
  secretList = [...secrets].sort((a, b) => b.length - a.length);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  secrets.clear();
  secretList = [];
}

/** The text with every registered secret replaced by *** (longest first). */
export function scrub(text: string): string {
  if (secretList.length === 0 || !text) return text;
  let out = text;
  for (const s of secretList) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

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

/** Called around every log line written (the terminal's status line clears itself and redraws). */
export interface LogLineGuard {
  before(): void;
  after(): void;
}
let guard: LogLineGuard | null = null;

/** Sets (or with null removes) the guard called around each log line. */
export function setLogLineGuard(g: LogLineGuard | null): void {
  guard = g;
}

function writeLogLine(line: string): void {
  if (guard) guard.before();
  process.stderr.write(line);
  if (guard) guard.after();
}

/** The process-wide structured logger (on stderr; level from MM_LOG_LEVEL, else info; silent under tests unless MM_LOG_LEVEL is set). */
export function rootLogger(): Logger {
  if (!root) {
    const level = process.env.MM_LOG_LEVEL ?? (process.env.MM_TEST ? 'silent' : 'info');
    const pretty = process.env.MM_LOG_FORMAT ? process.env.MM_LOG_FORMAT === 'pretty' : process.stderr.isTTY;
    const dest = pretty ? { write: (line: string) => writeLogLine(prettyLine(scrub(line))) } : { write: (line: string) => writeLogLine(scrub(line)) };
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

/**
 * A pool URL safe to log: user info and query removed. The user info is found by parsing (it
 * ends at the last @ after the scheme), so a password holding @, :, / or % goes whole.
 */
export function redactUrl(url: string): string {
  const scheme = url.indexOf('://');
  const start = scheme >= 0 ? scheme + 3 : 0;
  const at = url.lastIndexOf('@');
  const bare = at >= start ? `${url.slice(0, start)}${url.slice(at + 1)}` : url;
  try {
    const u = new URL(bare);
    u.search = '';
    return u.toString();
  } catch {
    const q = bare.indexOf('?');
    return q >= 0 ? bare.slice(0, q) : bare;
  }
}
