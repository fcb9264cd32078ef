import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POWERCAP_ROOT, PowercapMeter, energyDeltaUj, parseCounter, raplWatts, readRaplSnapshot } from '../../src/power/index.js';

// This machine has no /sys/class/powercap (a container): the sysfs layout is a stand-in directory
// written here with the files the kernel's powercap class shows (name, energy_uj, max_energy_range_uj).
function standInRoot(): { root: string; set: (zone: string, uj: number) => void; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'mm-powercap-stand-in-'));
  const zone = (z: string, name: string, uj: number, max: number) => {
    mkdirSync(join(root, z));
    writeFileSync(join(root, z, 'name'), `${name}\n`);
    writeFileSync(join(root, z, 'energy_uj'), `${uj}\n`);
    writeFileSync(join(root, z, 'max_energy_range_uj'), `${max}\n`);
  };
  zone('intel-rapl:0', 'package-0', 1_000_000, 262_143_328_850);
  zone('intel-rapl:0:0', 'core', 500_000, 262_143_328_850); // a subzone: inside package-0, never added again
  zone('intel-rapl:1', 'package-1', 262_143_000_000, 262_143_328_850); // near its wrap
  mkdirSync(join(root, 'intel-rapl-mmio:0')); // another control type: ignored
  return {
    root,
    set: (z, uj) => writeFileSync(join(root, z, 'energy_uj'), `${uj}\n`),
    done: () => rmSync(root, { recursive: true, force: true }),
  };
}

test('counter deltas: plain, across the wrap at max_energy_range_uj', () => {
  assert.equal(energyDeltaUj(100, 350, 1000), 250);
  assert.equal(energyDeltaUj(900, 50, 1000), 150);
  assert.equal(energyDeltaUj(900, 50, 0), 0); // no range known: no figure from a wrap
  assert.equal(parseCounter('123\n'), 123);
  assert.equal(parseCounter('-5'), undefined);
  assert.equal(parseCounter('12abc'), undefined);
  assert.equal(parseCounter(''), undefined);
});

test('watts between snapshots: packages added, too short or implausible gives no figure with the reason', () => {
  const a = { at: 0, zones: [{ zone: 'intel-rapl:0', name: 'package-0', energyUj: 0, maxEnergyRangeUj: 1e12 }] };
  const b = { at: 2000, zones: [{ zone: 'intel-rapl:0', name: 'package-0', energyUj: 30_000_000, maxEnergyRangeUj: 1e12 }] };
  assert.deepEqual(raplWatts(a, b), { watts: 15, why: 'RAPL package-0 (whole CPU)' });
  assert.match(raplWatts(a, { ...b, at: 50 }).why, /too short/);
  assert.equal(raplWatts(a, { ...b, zones: [{ ...b.zones[0], energyUj: 9e9 }] }).watts, null);
  assert.match(raplWatts(a, { at: 2000, zones: [{ ...b.zones[0], zone: 'intel-rapl:7' }] }).why, /was not in the reading before/);
});

test('stand-in powercap directory: package zones read, subzones skipped, a wrap measured right', async () => {
  const s = standInRoot();
  try {
    let now = 10_000;
    const meter = new PowercapMeter({ root: s.root, clock: () => now });
    assert.equal(await meter.read(), null);
    assert.match(meter.unavailable ?? '', /first reading/);
    const snap = await readRaplSnapshot(s.root, 0);
    assert.ok('snapshot' in snap);
    if ('snapshot' in snap)
      assert.deepEqual(
        snap.snapshot.zones.map((z) => z.name),
        ['package-0', 'package-1'],
      );
    // 5 s later: package-0 used 60 J (12 W), package-1 wrapped and used 40 J (8 W); the core subzone's counter is ignored
    now += 5000;
    s.set('intel-rapl:0', 61_000_000);
    s.set('intel-rapl:1', 40_000_000 - (262_143_328_850 - 262_143_000_000));
    s.set('intel-rapl:0:0', 999_999_999);
    const w = await meter.read();
    assert.ok(w !== null && Math.abs(w - 20) < 1e-9, `got ${w}`);
    assert.equal(meter.unavailable, null);
    now += 1000;
    const f = await meter.figure(28);
    // no energy since the last read in the stand-in: 0 W, measured and labelled so
    assert.deepEqual([f.watts, f.how], [0, 'measured']);
    assert.match(f.note, /^measured: RAPL/);
    // read again at once: too short a time for a figure, the estimate labelled so
    const g = await meter.figure(28);
    assert.deepEqual([g.watts, g.how], [28, 'estimated']);
    assert.match(g.note, /too short/);
  } finally {
    s.done();
  }
});

test('stand-in powercap directory: a counter that is not a number, an unreadable counter -> null with the reason, then an estimate labelled so', async () => {
  const s = standInRoot();
  try {
    writeFileSync(join(s.root, 'intel-rapl:0', 'energy_uj'), 'garbage\n');
    const meter = new PowercapMeter({ root: s.root });
    assert.equal(await meter.read(), null);
    assert.match(meter.unavailable ?? '', /energy_uj or max_energy_range_uj is not a counter/);
    // a directory where the counter file should be stands in for an unreadable one (root reads any file mode)
    rmSync(join(s.root, 'intel-rapl:0', 'energy_uj'));
    mkdirSync(join(s.root, 'intel-rapl:0', 'energy_uj'));
    assert.equal(await meter.read(), null);
    assert.match(meter.unavailable ?? '', /energy_uj not readable \(EISDIR\)/);
    const f = await meter.figure(28, '4 threads x 7 W');
    assert.deepEqual([f.watts, f.how], [28, 'estimated']);
    assert.match(f.note, /^estimated: 4 threads x 7 W \(.*not readable/);
  } finally {
    s.done();
  }
});

test('the real path: absent here gives null and says so; where present, a figure or a reason', async () => {
  const meter = new PowercapMeter();
  const w1 = await meter.read();
  assert.equal(w1, null);
  if (!existsSync(POWERCAP_ROOT)) {
    assert.match(meter.unavailable ?? '', /\/sys\/class\/powercap does not exist/);
    const f = await meter.figure(21);
    assert.deepEqual([f.watts, f.how], [21, 'estimated']);
  } else {
    // a machine with powercap: the second read is a figure or says why not (e.g. root only)
    await new Promise((r) => setTimeout(r, 200));
    const w2 = await meter.read();
    assert.ok(w2 !== null || (meter.unavailable ?? '').length > 0);
  }
});
