// Discovery rules (pure): which addresses may be probed, the MAC/hostname cross-check, the
// axeos_url mappings; the user-settings rule; the HA entities as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AXEOS_BINARY_SENSORS,
  AXEOS_SENSORS,
  axeosMappings,
  crossCheck,
  frequencySelect,
  isProbeable,
  normalizeAddress,
  parseInfo,
  probeUrl,
  settingsAfter,
  statusOf,
  steeredSwitch,
  type AxeosReading,
} from '../../src/axeos/index.js';
import { AxeosStandIn } from '../support/axeos-standin.js';

test('private ranges only: 10/8, 172.16/12, 192.168/16, fc00::/7; loopback only when allowed', () => {
  for (const a of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.50', '::ffff:192.168.1.50', 'fd12:3456::1', 'fc00::1', '[fd00::2]'])
    assert.ok(isProbeable(a), a);
  for (const a of [
    '8.8.8.8',
    '172.15.0.1',
    '172.32.0.1',
    '192.169.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '0.0.0.0',
    'fe80::1',
    '2001:db8::1',
    '::',
    'bitaxe.local',
    '',
    'garbage',
    '10.0.0',
    '::ffff:8.8.8.8',
  ])
    assert.ok(!isProbeable(a), a);
  assert.ok(!isProbeable('127.0.0.2'));
  assert.ok(!isProbeable('::1'));
  assert.ok(isProbeable('127.0.0.2', { allowLoopback: true }));
  assert.ok(isProbeable('::ffff:127.0.0.2', { allowLoopback: true }));
  assert.equal(normalizeAddress('::FFFF:10.1.2.3'), '10.1.2.3');
  assert.equal(normalizeAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(probeUrl('::ffff:10.1.2.3'), 'http://10.1.2.3');
  assert.equal(probeUrl('fd00::2', 8080), 'http://[fd00::2]:8080');
});

test('property: a public IPv4 address is never probeable', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(octet, octet, octet, octet, (a, b, c, d) => {
      const ip = `${a}.${b}.${c}.${d}`;
      const priv = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
      assert.equal(isProbeable(ip), priv);
      assert.equal(isProbeable(`::ffff:${ip}`), priv);
    }),
    { numRuns: 3000 },
  );
});

test('cross-check: only what the miner told is compared', () => {
  const r = { mac: 'AA:BB:CC:DD:EE:FF', hostname: 'bitaxe-kitchen' };
  assert.deepEqual(crossCheck(r, {}), { ok: true, by: ['address'] });
  assert.deepEqual(crossCheck(r, { mac: 'aa-bb-cc-dd-ee-ff', hostname: 'BITAXE-KITCHEN.local' }), { ok: true, by: ['address', 'mac', 'hostname'] });
  assert.equal(crossCheck(r, { mac: '11:22:33:44:55:66' }).ok, false);
  assert.equal(crossCheck(r, { hostname: 'bitaxe-garage' }).ok, false);
  assert.equal(crossCheck({ mac: null, hostname: null }, { mac: 'AA:BB:CC:DD:EE:FF' }).ok, false, 'told a MAC the device does not report: not linked');
  assert.equal(crossCheck(r, { mac: 'not a mac' }).ok, false);
});

test('axeos_url mappings: each bad entry a clear message, other mappings left alone, never a throw', () => {
  const r = axeosMappings([
    { worker: 'garage', axeos_url: '192.168.1.60' },
    { worker: 'kitchen', device: 'abc' },
    { worker: 'attic', axeos_url: 'https://x' },
    { worker: 'cellar', axeos_url: 'http://admin:pw@10.0.0.9' },
    { axeos_url: 'http://10.0.0.8' },
    { worker: 'garage', axeos_url: 'http://10.0.0.7' },
    null,
    'x',
  ]);
  assert.deepEqual(r.mappings, [{ worker: 'garage', url: 'http://192.168.1.60' }]);
  assert.equal(r.errors.length, 4);
  assert.match(r.errors.join('\n'), /worker_mappings\[2\]: axeos_url must start with http:\/\//);
  assert.match(r.errors.join('\n'), /must not carry a user or password/);
  assert.ok(!r.errors.join('\n').includes('pw@'), 'a credential is not echoed back');
  assert.deepEqual(axeosMappings(undefined), { mappings: [], errors: [] });
  assert.deepEqual(axeosMappings({}).errors, ['worker_mappings must be a list']);
});

function reading(over: Partial<AxeosReading> = {}): AxeosReading {
  return { ...parseInfo(new AxeosStandIn({ generation: 'v2.14' }).info()), ...over };
}

test('the user’s own settings: first contact, changes on the device, the firmware’s lowering after an overheat', () => {
  const base = { user: null, lastSent: null, lastChangeAt: null, sawOverheat: false };
  assert.deepEqual(settingsAfter(base, reading(), false, 0), { user: { frequency: 525, coreVoltage: 1150 }, why: 'first contact' });
  const known = { ...base, user: { frequency: 525, coreVoltage: 1150 } };
  assert.equal(settingsAfter(known, reading(), false, 0), null);
  assert.equal(settingsAfter(known, reading({ frequency_mhz: 600 }), false, 0)!.why, 'changed on the device');
  assert.equal(
    settingsAfter({ ...known, lastSent: { frequency: 490, coreVoltage: 1150 }, lastChangeAt: 0 }, reading({ frequency_mhz: 490 }), false, 60_000),
    null,
    'the hub’s own step is not the user’s',
  );
  assert.equal(
    settingsAfter({ ...known, lastSent: { frequency: 490, coreVoltage: 1150 }, lastChangeAt: 0 }, reading({ frequency_mhz: 600 }), false, 60_000)!.why,
    'changed on the device while steered',
  );
  assert.equal(
    settingsAfter({ ...known, sawOverheat: true }, reading({ frequency_mhz: 425, core_voltage_mv: 1050, overheat: true }), true, 0),
    null,
    'nothing while overheated',
  );
  assert.deepEqual(settingsAfter({ ...known, sawOverheat: true }, reading({ frequency_mhz: 425, core_voltage_mv: 1050 }), true, 0)!.user, {
    frequency: 425,
    coreVoltage: 1050,
  });
});

test('HA entities as data: units and device classes, problem sensors, the select lists only the device’s options', () => {
  const status = statusOf({
    worker: 'w',
    url: 'http://10.0.0.5',
    via: 'address',
    client: null as never,
    state: 'ok',
    detail: null,
    raw: null,
    reading: reading({ paused: true }),
    options: { frequency: [400, 490, 525], voltage: [1100, 1150] },
    canPause: true,
    user: { frequency: 525, coreVoltage: 1150 },
    steered: true,
    budgetW: 12,
    ref: null,
    lastChangeAt: null,
    lastSent: null,
    sawOverheat: false,
    lastAction: null,
    pausedByHub: true,
    held: false,
    polling: false,
    timer: null,
    live: null,
    liveAt: 0,
    busy: Promise.resolve(),
    gone: false,
  });
  const power = AXEOS_SENSORS.find((s) => s.key === 'axeos_power')!;
  assert.deepEqual([power.unit, power.device_class, power.state_class, power.source], ['W', 'power', 'measurement', 'measured']);
  assert.equal(AXEOS_SENSORS.find((s) => s.key === 'axeos_hashrate')!.value(status), 0, 'paused: hashrate 0, not unknown');
  assert.equal(AXEOS_SENSORS.find((s) => s.key === 'axeos_temp')!.device_class, 'temperature');
  assert.deepEqual(
    AXEOS_BINARY_SENSORS.filter((b) => b.device_class === 'problem').map((b) => b.key),
    ['axeos_overheat', 'axeos_power_fault'],
  );
  assert.deepEqual(frequencySelect(status), { key: 'axeos_frequency_select', name: 'Frequency', options: ['400', '490', '525'], state: '525', unit: 'MHz' });
  assert.deepEqual(steeredSwitch(status), { key: 'axeos_steered', name: 'Steered by Micro Mining', state: true });
  for (const s of AXEOS_SENSORS) s.value(status);
});
