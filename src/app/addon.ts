// The add-on environment: /data/options.json, SUPERVISOR_TOKEN, the Supervisor's MQTT service
// (GET http://supervisor/services/mqtt) and Home Assistant Core behind the Supervisor's proxy.
// The run entry (addon/run.sh -> addon/run.mjs) uses this to compute the command line and the
// environment of `micro-mining start`, then the shell execs it (one Node process in the container).
//
// The Supervisor or Core may not be reachable yet when the add-on starts (boot, Core restart):
// every request is retried a bounded number of times with a clear log line, and the hub starts
// anyway when they stay away (its HA connection and MQTT client reconnect on their own).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { InputError } from '../core/index.js';
import { logger, type Logger } from '../log.js';
import { ADDON_OPTIONS_FILE, loadConfig, type Config } from './config.js';

export const DEFAULT_SUPERVISOR_URL = 'http://supervisor';

/** The MQTT broker the Supervisor announces (the Mosquitto broker add-on, usually core-mosquitto:1883). */
export interface MqttService {
  host: string;
  port: number;
  ssl: boolean;
  protocol?: string;
  username?: string;
  password?: string;
}

export interface RetryOptions {
  /** attempts before giving up (default 10) */
  attempts?: number;
  /** first delay between attempts, doubled each time up to maxDelayMs (default 1000) */
  delayMs?: number;
  maxDelayMs?: number;
  /** per-request timeout (default 5000) */
  timeoutMs?: number;
  log?: Logger;
  /** stops the waits early (shutdown) */
  signal?: AbortSignal;
}

class Definitive extends Error {}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function getJson(url: string, token: string, timeoutMs: number, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
  const ctl = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    signal: signal ? AbortSignal.any([ctl, signal]) : ctl,
    redirect: 'error',
  });
  const text = await res.text();
  if (text.length > 64 * 1024) throw new Error(`${res.status} with an oversized body (${text.length} bytes)`);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}

/** Calls fn until it returns a value, throws Definitive, or attempts run out (then returns undefined). */
async function retry<T>(what: string, opts: RetryOptions, fn: () => Promise<T>): Promise<T | undefined> {
  const log = opts.log ?? logger('addon');
  const attempts = Math.max(1, Math.min(opts.attempts ?? 10, 1000));
  let delay = Math.max(0, opts.delayMs ?? 1000);
  const maxDelay = Math.max(delay, opts.maxDelayMs ?? 15_000);
  for (let i = 1; i <= attempts; i++) {
    if (opts.signal?.aborted) return undefined;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof Definitive) throw err;
      const reason = (err as Error).message || String(err);
      if (i === attempts) {
        log.warn({ attempt: i, attempts, reason }, `${what} is not reachable (attempt ${i}/${attempts}: ${reason}); giving up for now`);
        return undefined;
      }
      log.warn(
        { attempt: i, attempts, reason, retryInMs: delay },
        `${what} is not reachable yet (attempt ${i}/${attempts}: ${reason}); retrying in ${(delay / 1000).toFixed(1)} s`,
      );
      await sleep(delay, opts.signal);
      delay = Math.min(maxDelay, delay * 2);
    }
  }
  return undefined;
}

function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/**
 * The Supervisor's MQTT service, or null when there is none (no broker add-on installed, or no
 * access). Network errors and 5xx are retried; "service not enabled" and 401/403 are final.
 */
export async function fetchMqttService(supervisorUrl: string, token: string, opts: RetryOptions = {}): Promise<MqttService | null> {
  const log = opts.log ?? logger('addon');
  try {
    const svc = await retry('the Supervisor (MQTT service)', opts, async () => {
      let r: { status: number; body: unknown };
      try {
        r = await getJson(`${supervisorUrl.replace(/\/+$/, '')}/services/mqtt`, token, opts.timeoutMs ?? 5000, opts.signal);
      } catch (err) {
        throw new Error(describeFetchError(err));
      }
      const body = (r.body && typeof r.body === 'object' ? r.body : {}) as { result?: string; data?: unknown; message?: string };
      if (r.status >= 500) throw new Error(`HTTP ${r.status}`);
      if (r.status === 401 || r.status === 403) {
        throw new Definitive(
          `no access to the MQTT service (HTTP ${r.status}${body.message ? `: ${body.message}` : ''}); the add-on's config.yaml must list services: mqtt:want`,
        );
      }
      if (r.status !== 200 || body.result !== 'ok') {
        throw new Definitive(`no MQTT service (HTTP ${r.status}${body.message ? `: ${body.message}` : ''}); install and start the Mosquitto broker add-on`);
      }
      return parseMqttService(body.data);
    });
    if (!svc) {
      log.warn(
        'no MQTT broker from the Supervisor; using the embedded MQTT broker for now (Home Assistant will not see the entities until the add-on restarts with the Mosquitto broker up)',
      );
      return null;
    }
    log.info({ host: svc.host, port: svc.port, ssl: svc.ssl, user: svc.username ? 'set' : 'none' }, `MQTT broker from the Supervisor: ${svc.host}:${svc.port}`);
    return svc;
  } catch (err) {
    if (err instanceof Definitive) {
      log.warn(
        { reason: err.message },
        `${err.message}; using the embedded MQTT broker (Home Assistant will not see the entities until it shares a broker with the add-on)`,
      );
      return null;
    }
    throw err;
  }
}

/** Validates the `data` of GET /services/mqtt (untrusted: bounded strings, a real port). */
export function parseMqttService(data: unknown): MqttService {
  if (!data || typeof data !== 'object') throw new Definitive('the MQTT service answer has no data');
  const d = data as Record<string, unknown>;
  const s = (v: unknown, max = 512) => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);
  const host = s(d.host, 255);
  const port = Number(d.port);
  if (!host || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) throw new Definitive('the MQTT service answer has no valid host');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Definitive('the MQTT service answer has no valid port');
  const out: MqttService = { host, port, ssl: d.ssl === true || d.ssl === 'true' };
  const protocol = s(d.protocol, 16);
  const username = s(d.username);
  const password = s(d.password);
  if (protocol) out.protocol = protocol;
  if (username) out.username = username;
  if (password) out.password = password;
  return out;
}

/** Waits (bounded) until Home Assistant Core answers through the Supervisor's proxy; false when it stays away. */
export async function waitForCore(supervisorUrl: string, token: string, opts: RetryOptions = {}): Promise<boolean> {
  const log = opts.log ?? logger('addon');
  const ok = await retry('Home Assistant Core', opts, async () => {
    let r: { status: number; body: unknown };
    try {
      r = await getJson(`${supervisorUrl.replace(/\/+$/, '')}/core/api/`, token, opts.timeoutMs ?? 5000, opts.signal);
    } catch (err) {
      throw new Error(describeFetchError(err));
    }
    if (r.status === 401 || r.status === 403)
      throw new Definitive(`Home Assistant refused the add-on's token (HTTP ${r.status}); config.yaml must set homeassistant_api: true`);
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    return true;
  }).catch((err: unknown) => {
    if (err instanceof Definitive) {
      log.error({ reason: err.message }, err.message);
      return false;
    }
    throw err;
  });
  if (ok) log.info('Home Assistant Core is reachable');
  else if (ok === undefined) log.warn('starting without waiting for Home Assistant Core; the hub connects when it comes up');
  return ok === true;
}

/**
 * The app's page in Home Assistant, for "Visit" on the hub's device page: the Supervisor names
 * an app's container after its slug with dashes (`local-micro-mining`, `a1b2c3d4-micro-mining`),
 * and HA opens a `homeassistant://` link inside its own frontend (`/config/app/<slug>/info` since
 * HA 2026.2). Undefined when the hostname is not such a name.
 */
export function appPageUrl(hostname: string | undefined): string | undefined {
  const h = hostname?.trim() ?? '';
  if (!/^[a-z0-9]+(-[a-z0-9]+)*-micro-mining$/.test(h) || h.length > 64) return undefined;
  return `homeassistant://config/app/${h.replace(/-/g, '_')}/info`;
}

export function mqttServiceUrl(s: MqttService): string {
  const host = s.host.includes(':') && !s.host.startsWith('[') ? `[${s.host}]` : s.host;
  return `${s.ssl ? 'mqtts' : 'mqtt'}://${host}:${s.port}`;
}

/** What the run entry execs. */
export interface Launch {
  /** argv[0] is the node binary */
  command: string[];
  /** variables to add to the inherited environment */
  env: Record<string, string>;
  config: Config;
}

export interface LaunchInput {
  optionsFile: string;
  /** the add-on's environment (SUPERVISOR_TOKEN, …) */
  env: NodeJS.ProcessEnv;
  mqtt: MqttService | null;
  /** the project folder (holds bin/micro-mining.js) */
  appDir: string;
  nodePath: string;
  cores?: number;
}

/**
 * The command line and environment of `micro-mining start` in the add-on (pure; throws
 * InputError naming the option when /data/options.json is invalid).
 */
export function addonLaunch(input: LaunchInput): Launch {
  const env: NodeJS.ProcessEnv = { ...input.env, MM_ADDON: '1' };
  const extra: Record<string, string> = { MM_ADDON: '1' };
  // The options file decides unless it leaves MQTT out; then the Supervisor's broker is used.
  const config = loadConfig({ argv: [], env, file: input.optionsFile, addon: true, cores: input.cores });
  if (config.mqtt.mode === 'embedded' && input.mqtt && !env.MM_MQTT) {
    extra.MM_MQTT = mqttServiceUrl(input.mqtt);
    if (input.mqtt.username) extra.MM_MQTT_USERNAME = input.mqtt.username;
    if (input.mqtt.password) extra.MM_MQTT_PASSWORD = input.mqtt.password;
  }
  const command = [input.nodePath];
  if (config.heapMb > 0) command.push(`--max-old-space-size=${config.heapMb}`);
  command.push(join(input.appDir, 'bin', 'micro-mining.js'), 'start', '--config', input.optionsFile);
  // validate once more with the added environment, so start cannot fail on what the run entry added
  const final = loadConfig({ argv: [], env: { ...env, ...extra }, file: input.optionsFile, addon: true, cores: input.cores });
  return { command, env: extra, config: final };
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new InputError('a NUL character cannot be passed to the hub', 'launch');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The lines the run script evals: exports, then `set --` with the command. */
export function launchScript(l: Launch): string {
  const lines = Object.entries(l.env).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`bad variable name ${k}`);
    return `export ${k}=${shellQuote(v)}`;
  });
  lines.push(`set -- ${l.command.map(shellQuote).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

const SECRET_ENV = /PASSWORD|TOKEN|SECRET/i;

/** The launch for a log line or a dry run: secrets masked. */
export function describeLaunch(command: string[], env: Record<string, string | undefined>): { command: string[]; env: Record<string, string> } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || !(k.startsWith('MM_') || k === 'SUPERVISOR_TOKEN' || k === 'NODE_OPTIONS')) continue;
    out[k] = SECRET_ENV.test(k) ? '***' : v;
  }
  return { command, env: out };
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v.trim() === '') return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

/**
 * The run entry. `--shell` (default) prints the shell lines for addon/run.sh to eval;
 * `--describe ARGS…` prints the command run.sh would exec (secrets masked) for a dry run.
 * Returns the exit code (2: invalid options, with the log line naming the option).
 */
export async function addonMain(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const log = logger('addon');
  if (argv[0] === '--describe') {
    process.stdout.write(`${JSON.stringify(describeLaunch(argv.slice(1), env))}\n`);
    return 0;
  }
  const optionsFile = env.MM_ADDON_OPTIONS?.trim() || ADDON_OPTIONS_FILE;
  const supervisorUrl = env.MM_SUPERVISOR_URL?.trim() || DEFAULT_SUPERVISOR_URL;
  const token = env.SUPERVISOR_TOKEN ?? '';
  const appDir = env.MM_APP_DIR?.trim() || fileURLToPath(new URL('../..', import.meta.url));
  const retryOpts: RetryOptions = {
    log,
    attempts: envInt(env, 'MM_SUPERVISOR_ATTEMPTS', 10, 1, 1000),
    delayMs: envInt(env, 'MM_SUPERVISOR_RETRY_MS', 1000, 0, 60_000),
    timeoutMs: envInt(env, 'MM_SUPERVISOR_TIMEOUT_MS', 5000, 100, 60_000),
  };

  /** Runs fn; an invalid option is logged, told on stderr and gives exit code 2. */
  const checked = <T>(fn: () => T): { ok: true; value: T } | { ok: false } => {
    try {
      return { ok: true, value: fn() };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      log.error({ field: err.field }, `invalid add-on options: ${err.message}`);
      process.stderr.write(`micro-mining add-on: invalid options: ${err.message}\n`);
      return { ok: false };
    }
  };

  // Validate the options before any waiting: a typo should say so at once.
  if (!checked(() => loadConfig({ argv: [], env: { ...env, MM_ADDON: '1' }, file: optionsFile, addon: true })).ok) return 2;

  let mqtt: MqttService | null = null;
  if (!token) {
    log.warn('SUPERVISOR_TOKEN is not set (not running under the Supervisor?): no Supervisor MQTT service, no Home Assistant');
  } else {
    mqtt = await fetchMqttService(supervisorUrl, token, retryOpts);
    await waitForCore(supervisorUrl, token, { ...retryOpts, attempts: envInt(env, 'MM_CORE_ATTEMPTS', 6, 1, 1000) });
  }

  const launched = checked(() => addonLaunch({ optionsFile, env, mqtt, appDir, nodePath: env.MM_NODE_BIN?.trim() || process.execPath }));
  if (!launched.ok) return 2;
  const launch: Launch = launched.value;
  for (const w of launch.config.warnings) log.warn(w);
  const c = launch.config;
  log.info(
    {
      mode: c.practice ? 'practice' : 'pool',
      threads: c.threads,
      policy: c.policy,
      stratum: c.stratum.enabled ? `${c.stratum.bind}:${c.stratum.port}` : 'off',
      mqtt: c.mqtt.mode,
      heapMb: c.heapMb,
    },
    `starting the hub: ${c.practice ? 'practice mode (earns nothing)' : 'pool mode'}`,
  );
  process.stdout.write(launchScript(launch));
  return 0;
}
