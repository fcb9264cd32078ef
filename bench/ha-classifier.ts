// Benchmark of the idle classifier: 5,000 entities on 1,000 devices, then a stream of state
// changes (power readings, on/off flips, unavailable, non-numeric) with simulated time.
// Prints state changes handled per second (wall and CPU time), appliance events emitted, and memory.
//   npx tsx bench/ha-classifier.ts [--entities 5000] [--changes 500000]
import { IdleClassifier, resolveIdleRules, type EntityState, type RegistrySnapshot } from '../src/ha/index.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0 || v > 10_000_000) {
    console.error(`--${name} must be a positive integer (got ${process.argv[i + 1]})`);
    process.exit(2);
  }
  return v;
}

const ENTITIES = arg('entities', 5000);
const CHANGES = arg('changes', 500_000);
const PER_DEVICE = 5;
const DEVICES = Math.ceil(ENTITIES / PER_DEVICE);

// A small deterministic PRNG (xorshift32), so runs compare.
let seed = 0x9e3779b9;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
}

const snap: RegistrySnapshot = { devices: [], entities: [], areas: [], labels: [] };
for (let a = 0; a < 20; a++) snap.areas.push({ area_id: `area_${a}`, name: `Area ${a}` });
for (let l = 0; l < 5; l++) snap.labels.push({ label_id: `label_${l}`, name: `Label ${l}` });
const kinds = ['power', 'switch', 'media', 'status', 'temp'] as const;
const ids: { id: string; kind: (typeof kinds)[number] }[] = [];
for (let d = 0; d < DEVICES; d++) {
  snap.devices.push({
    id: `dev_${d}`,
    name: `Device ${d}`,
    area_id: `area_${d % 20}`,
    labels: d % 7 === 0 ? [`label_${d % 5}`] : [],
    connections: [['mac', `02:00:00:00:${((d >> 8) & 255).toString(16).padStart(2, '0')}:${(d & 255).toString(16).padStart(2, '0')}`]],
  });
  for (let k = 0; k < PER_DEVICE && ids.length < ENTITIES; k++) {
    const kind = kinds[k];
    const domain = kind === 'switch' ? 'switch' : kind === 'media' ? 'media_player' : 'sensor';
    const id = `${domain}.dev_${d}_${kind}`;
    snap.entities.push({ entity_id: id, device_id: `dev_${d}` });
    ids.push({ id, kind });
  }
}

function stateFor(id: string, kind: (typeof kinds)[number]): EntityState {
  const r = rnd();
  switch (kind) {
    case 'power':
      if (r < 0.01) return { entity_id: id, state: 'unavailable', attributes: { device_class: 'power', unit_of_measurement: 'W' } };
      if (r < 0.015) return { entity_id: id, state: 'n/a', attributes: { device_class: 'power', unit_of_measurement: 'W' } };
      return { entity_id: id, state: (r < 0.6 ? r * 5 : r * 2000).toFixed(1), attributes: { device_class: 'power', unit_of_measurement: 'W' } };
    case 'switch':
      return { entity_id: id, state: r < 0.5 ? 'off' : 'on', attributes: {} };
    case 'media':
      return { entity_id: id, state: r < 0.3 ? 'off' : r < 0.6 ? 'idle' : r < 0.9 ? 'playing' : 'unavailable', attributes: {} };
    case 'status':
      return { entity_id: id, state: r < 0.5 ? 'idle' : 'running', attributes: {} };
    default:
      return { entity_id: id, state: (15 + r * 10).toFixed(1), attributes: { device_class: 'temperature', unit_of_measurement: '°C' } };
  }
}

const rules = resolveIdleRules({
  holdSeconds: 30,
  overrides: [
    { match: { area: 'Area 3' }, holdSeconds: 120 },
    { match: { label: 'Label 1' }, powerThresholdW: 20 },
  ],
  workers: [{ workerId: 'w1', mac: '02:00:00:00:00:05' }],
});
let warnings = 0;
const c = new IdleClassifier(rules, { warn: () => warnings++ });

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const mem0 = process.memoryUsage();
let now = Date.parse('2026-01-01T00:00:00Z');
const tSetup = performance.now();
c.setRegistries(snap, now);
c.setStates(
  ids.map(({ id, kind }) => stateFor(id, kind)),
  now,
);
const setupMs = performance.now() - tSetup;
gc?.();
const memModel = process.memoryUsage();

// Pre-build the stream so the timed loop measures the classifier only.
const stream: EntityState[] = new Array(CHANGES);
for (let i = 0; i < CHANGES; i++) {
  const e = ids[Math.floor(rnd() * ids.length)];
  stream[i] = stateFor(e.id, e.kind);
}

let events = 0;
const counts: Record<string, number> = {};
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let i = 0; i < CHANGES; i++) {
  now += 2; // 500 changes per simulated second
  const s = stream[i];
  const ev = c.updateState(s.entity_id, s, now);
  if ((i & 1023) === 0) ev.push(...c.tick(now));
  events += ev.length;
  for (const e of ev) counts[e.type] = (counts[e.type] ?? 0) + 1;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
gc?.();
const mem1 = process.memoryUsage();
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
const apps = c.appliances();
console.log(`ha-classifier: ${ENTITIES} entities on ${DEVICES} devices (${apps.length} appliances), registry+states load ${setupMs.toFixed(1)} ms`);
console.log(
  `ha-classifier: ${CHANGES} state changes in ${ms.toFixed(0)} ms = ${Math.round(CHANGES / (ms / 1000)).toLocaleString('en-US')} changes/s (${((ms * 1000) / CHANGES).toFixed(2)} us each)`,
);
// CPU time of this process over the same loop: on a machine shared with other work it moves far less than wall time.
console.log(
  `ha-classifier: CPU time of the stream ${cpuMs.toFixed(0)} ms = ${((cpuMs * 1000) / CHANGES).toFixed(2)} us each (wall time above includes waiting for a core)`,
);
console.log(
  `ha-classifier: ${events} appliance events (${Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}), ${warnings} bad-input warnings`,
);
console.log(
  `ha-classifier: memory: model of ${ENTITIES} entities ${mb(memModel.heapUsed - mem0.heapUsed)} MiB heap; after the stream heapUsed ${mb(mem1.heapUsed)} MiB, rss ${mb(mem1.rss)} MiB${gc ? '' : ' (run with --expose-gc for settled figures)'}`,
);
const idle = apps.filter((a) => a.status === 'idle').length;
console.log(
  `ha-classifier: final statuses idle ${idle}, busy ${apps.filter((a) => a.status === 'busy').length}, unknown ${apps.filter((a) => a.status === 'unknown').length}`,
);
