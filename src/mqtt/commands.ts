// Command payloads from HA's control entities, validated. Pure.
import { z } from 'zod';
import { PAYLOAD_OFF, PAYLOAD_ON, PAYLOAD_PRESS, type CommandKey } from './entities.js';
import { POLICIES, type MinerCommand, type MiningPolicy } from './types.js';

/** Longest command payload considered at all (HA sends a few bytes). */
export const MAX_COMMAND_BYTES = 64;

export type ParsedCommand = { ok: true; command: MinerCommand } | { ok: false; reason: string };

const onOff = z.enum([PAYLOAD_ON, PAYLOAD_OFF]);
const policy = z.enum(POLICIES as unknown as [string, ...string[]]);
const threads = (max: number) =>
  z
    .string()
    .regex(/^\s*-?\d+(\.0+)?\s*$/, 'a whole number')
    .transform((s) => Number(s))
    .pipe(z.number().int().min(0, 'at least 0').max(max, `at most ${max}`));

function issue(e: z.ZodError): string {
  return e.issues.map((i) => i.message).join('; ');
}

/** Parses the payload sent to `<base>/hub/<key>/set`; `maxThreads` bounds the thread count. */
export function parseCommand(key: CommandKey | string, payload: Buffer | string, maxThreads: number): ParsedCommand {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (bytes > MAX_COMMAND_BYTES) return { ok: false, reason: `payload of ${bytes} bytes (at most ${MAX_COMMAND_BYTES})` };
  const text = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  switch (key) {
    case 'mining': {
      const r = onOff.safeParse(text.toUpperCase());
      return r.success
        ? { ok: true, command: { kind: 'mining', on: r.data === PAYLOAD_ON } }
        : { ok: false, reason: `expected ${PAYLOAD_ON} or ${PAYLOAD_OFF}` };
    }
    case 'max_threads': {
      const r = threads(Math.max(0, Math.floor(maxThreads))).safeParse(text);
      return r.success ? { ok: true, command: { kind: 'threads', threads: r.data } } : { ok: false, reason: `expected a thread count: ${issue(r.error)}` };
    }
    case 'policy': {
      const r = policy.safeParse(text);
      return r.success
        ? { ok: true, command: { kind: 'policy', policy: r.data as MiningPolicy } }
        : { ok: false, reason: `expected one of ${POLICIES.join(', ')}` };
    }
    case 'reset_session':
      return text === PAYLOAD_PRESS ? { ok: true, command: { kind: 'reset_session' } } : { ok: false, reason: `expected ${PAYLOAD_PRESS}` };
    default:
      return { ok: false, reason: `unknown command "${String(key).slice(0, 32)}"` };
  }
}
