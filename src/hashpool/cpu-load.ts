// The hub's CPU use by everything but this process (the miner), from the OS's CPU times.
import { cpus } from 'node:os';

interface Sample {
  busy: number;
  total: number;
  own: number;
}

function sample(): Sample {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  const u = process.cpuUsage();
  return { busy, total, own: (u.user + u.system) / 1000 };
}

/**
 * Returns a function that gives the CPU use (%) of the whole host minus this process since its
 * last call (the first call measures since creation). Feed it to HaAppliances.hubLoad() on a
 * timer when no HA sensor for the hub's load is configured.
 */
export function hubLoadMeter(): () => number {
  let last = sample();
  return () => {
    const s = sample();
    const total = s.total - last.total;
    const busy = s.busy - last.busy;
    const own = s.own - last.own;
    last = s;
    if (total <= 0) return 0;
    return Math.max(0, Math.min(100, ((busy - own) / total) * 100));
  };
}
