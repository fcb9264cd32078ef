// The Home Assistant entities of one linked AxeOS miner, as data the MQTT layer publishes:
// sensors (unit, device class, state class), problem binary sensors, the Frequency select and
// the "Steered by Micro Mining" switch. `value` reads each from the part's AxeosStatus.
import type { ExtraEntity } from '../mqtt/index.js';
import type { AxeosState } from './model.js';
import type { AxeosStatus } from './part.js';

/** Every AxeOS state in words (the options of the enum sensor "AxeOS state"). */
export const AXEOS_STATES: readonly AxeosState[] = [
  'ok',
  'paused',
  'overheated',
  'power fault',
  'unreachable',
  'refused',
  'not found',
  'server error',
  'timed out',
  'bad reply',
  'not linked',
];

export interface AxeosSensorSpec {
  key: string;
  name: string;
  unit: string | null;
  device_class: string | null;
  state_class: 'measurement' | 'total_increasing' | null;
  entity_category?: 'diagnostic';
  /** where the figure comes from (HA attribute `source`) */
  source: 'measured' | 'declared' | 'reported';
  value: (s: AxeosStatus) => number | string | null;
}

export interface AxeosBinarySpec {
  key: string;
  name: string;
  device_class: 'problem' | 'connectivity';
  value: (s: AxeosStatus) => boolean;
}

export const AXEOS_SENSORS: readonly AxeosSensorSpec[] = [
  { key: 'axeos_power', name: 'Power (measured)', unit: 'W', device_class: 'power', state_class: 'measurement', source: 'measured', value: (s) => s.power_w },
  {
    key: 'axeos_hashrate',
    name: 'Hashrate',
    unit: 'GH/s',
    device_class: null,
    state_class: 'measurement',
    source: 'reported',
    value: (s) => (s.paused || s.overheat ? 0 : s.hashrate_ghs),
  },
  {
    key: 'axeos_temp',
    name: 'Chip temperature',
    unit: '°C',
    device_class: 'temperature',
    state_class: 'measurement',
    source: 'measured',
    value: (s) => s.temp_c,
  },
  {
    key: 'axeos_vr_temp',
    name: 'Regulator temperature',
    unit: '°C',
    device_class: 'temperature',
    state_class: 'measurement',
    source: 'measured',
    value: (s) => s.vr_temp_c,
  },
  {
    key: 'axeos_frequency',
    name: 'ASIC frequency',
    unit: 'MHz',
    device_class: 'frequency',
    state_class: 'measurement',
    source: 'reported',
    value: (s) => s.frequency_mhz,
  },
  {
    key: 'axeos_core_voltage',
    name: 'Core voltage',
    unit: 'mV',
    device_class: 'voltage',
    state_class: 'measurement',
    source: 'reported',
    value: (s) => s.core_voltage_mv,
  },
  {
    key: 'axeos_best_difficulty',
    name: 'Best difficulty',
    unit: null,
    device_class: null,
    state_class: 'total_increasing',
    source: 'reported',
    value: (s) => s.best_difficulty,
  },
  {
    key: 'axeos_best_session_difficulty',
    name: 'Best difficulty (session)',
    unit: null,
    device_class: null,
    state_class: 'measurement',
    source: 'reported',
    value: (s) => s.best_session_difficulty,
  },
  {
    key: 'axeos_firmware',
    name: 'Firmware',
    unit: null,
    device_class: null,
    state_class: null,
    entity_category: 'diagnostic',
    source: 'reported',
    value: (s) => s.firmware,
  },
  {
    key: 'axeos_state',
    name: 'AxeOS state',
    unit: null,
    device_class: 'enum',
    state_class: null,
    entity_category: 'diagnostic',
    source: 'reported',
    value: (s) => s.state,
  },
];

/** The fan is in AxeosReading (fan_percent, fan_rpm): published from the reading event. */
export const AXEOS_FAN_SENSOR: AxeosSensorSpec = {
  key: 'axeos_fan',
  name: 'Fan',
  unit: '%',
  device_class: null,
  state_class: 'measurement',
  source: 'measured',
  value: (s) => s.fan_percent,
};

export const AXEOS_BINARY_SENSORS: readonly AxeosBinarySpec[] = [
  { key: 'axeos_overheat', name: 'Overheated', device_class: 'problem', value: (s) => s.overheat },
  { key: 'axeos_power_fault', name: 'Power fault', device_class: 'problem', value: (s) => s.power_fault !== null },
  {
    key: 'axeos_reachable',
    name: 'AxeOS reachable',
    device_class: 'connectivity',
    value: (s) => !['unreachable', 'timed out', 'refused', 'not found', 'server error', 'bad reply', 'not linked'].includes(s.state),
  },
];

/** The Frequency select: the device's own options (MHz, as strings for HA), the current one selected. */
export function frequencySelect(s: AxeosStatus): { key: 'axeos_frequency_select'; name: 'Frequency'; options: string[]; state: string | null; unit: 'MHz' } {
  const opts = s.frequency_options.length ? s.frequency_options : s.frequency_mhz !== null ? [s.frequency_mhz] : [];
  return {
    key: 'axeos_frequency_select',
    name: 'Frequency',
    options: opts.map(String),
    state: s.frequency_mhz !== null && opts.includes(s.frequency_mhz) ? String(s.frequency_mhz) : null,
    unit: 'MHz',
  };
}

/** The switch "Steered by Micro Mining" (off: the user's own settings come back). */
export function steeredSwitch(s: AxeosStatus): { key: 'axeos_steered'; name: 'Steered by Micro Mining'; state: boolean } {
  return { key: 'axeos_steered', name: 'Steered by Micro Mining', state: s.steered };
}

const ON = 'ON';
const OFF = 'OFF';

/**
 * The entities of one linked miner for the MQTT layer (ExtraEntity on the worker's device): the
 * sensors (an unknown figure publishes HA's `None`), the problem binary sensors, the Frequency
 * select (only while the device lists options or reports its frequency) and the switch.
 */
export function minerEntities(s: AxeosStatus): ExtraEntity[] {
  const out: ExtraEntity[] = [];
  for (const spec of [...AXEOS_SENSORS, AXEOS_FAN_SENSOR]) {
    const v = spec.value(s);
    const config: Record<string, unknown> = {};
    if (spec.unit) config.unit_of_measurement = spec.unit;
    if (spec.device_class) config.device_class = spec.device_class;
    if (spec.device_class === 'enum') config.options = [...AXEOS_STATES];
    if (spec.state_class) config.state_class = spec.state_class;
    if (spec.entity_category) config.entity_category = spec.entity_category;
    out.push({
      key: spec.key,
      platform: 'sensor',
      name: spec.name,
      config,
      state: v === null || (typeof v === 'number' && !Number.isFinite(v)) ? 'None' : String(v),
    });
  }
  for (const spec of AXEOS_BINARY_SENSORS) {
    out.push({
      key: spec.key,
      platform: 'binary_sensor',
      name: spec.name,
      config: { device_class: spec.device_class, payload_on: ON, payload_off: OFF },
      state: spec.value(s) ? ON : OFF,
    });
  }
  const sel = frequencySelect(s);
  if (sel.options.length > 0) {
    out.push({
      key: sel.key,
      platform: 'select',
      name: sel.name,
      config: { options: sel.options, icon: 'mdi:sine-wave', entity_category: 'config' },
      state: sel.state ?? 'None',
      command: true,
    });
  }
  const sw = steeredSwitch(s);
  out.push({
    key: sw.key,
    platform: 'switch',
    name: sw.name,
    config: { payload_on: ON, payload_off: OFF, state_on: ON, state_off: OFF, icon: 'mdi:tune-vertical', entity_category: 'config' },
    state: sw.state ? ON : OFF,
    command: true,
  });
  return out;
}
