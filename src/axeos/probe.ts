// Probing an address for AxeOS: a few tries with back-off, cancellable; the MAC/hostname
// cross-check decides whether the AxeOS that answered is the miner's own.
import { AxeosClient, type AxeosClientOptions } from './client.js';
import { crossCheck, type MinerIdentity } from './discovery.js';
import { parseInfo, type AxeosReading } from './model.js';

export type ProbeResult =
  | { kind: 'found'; raw: Record<string, unknown>; reading: AxeosReading; by: string[] }
  | { kind: 'other device'; reason: string }
  | { kind: 'no answer'; detail: string }
  | { kind: 'cancelled' };

export interface ProbeOptions {
  url: string;
  told: MinerIdentity;
  /** tries (at least 1) */
  tries: number;
  /** wait before the second try, doubled for each next one */
  backoffMs: number;
  client?: Omit<AxeosClientOptions, 'url'>;
}

/** Starts a probe; `cancel()` ends it at once (no request or wait left behind). */
export function probe(o: ProbeOptions): { result: Promise<ProbeResult>; cancel: () => void } {
  let cancelled = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  const client = new AxeosClient({ ...o.client, url: o.url, tries: 1 });
  const cancel = () => {
    cancelled = true;
    client.close();
    if (timer) clearTimeout(timer);
    wake?.();
  };
  const run = async (): Promise<ProbeResult> => {
    let last = 'no answer';
    for (let i = 0; i < Math.max(1, o.tries); i++) {
      if (i > 0) {
        await new Promise<void>((r) => {
          wake = r;
          timer = setTimeout(r, o.backoffMs * 2 ** (i - 1));
        });
      }
      if (cancelled) return { kind: 'cancelled' };
      const info = await client.infoRaw();
      if (cancelled) return { kind: 'cancelled' };
      if (!info.ok) {
        last = info.detail;
        // an answer that is not AxeOS (or refuses us) will not change with another try
        if (info.state === 'refused' || info.state === 'bad reply' || info.state === 'not found') break;
        continue;
      }
      const reading = parseInfo(info.value);
      const check = crossCheck(reading, o.told);
      if (!check.ok) return { kind: 'other device', reason: check.reason };
      return { kind: 'found', raw: info.value, reading, by: check.by };
    }
    return { kind: 'no answer', detail: last };
  };
  const result = run().finally(() => client.close());
  return { result, cancel };
}
