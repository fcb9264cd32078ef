/** Measured watts where the machine tells them: the RAPL/powercap reader (pure parts + the sysfs adapter). */
export { energyDeltaUj, parseCounter, raplWatts, type PowerFigure, type RaplSnapshot, type RaplZone } from './rapl.js';
export { POWERCAP_ROOT, PowercapMeter, readRaplSnapshot, type PowercapMeterOptions } from './powercap.js';
