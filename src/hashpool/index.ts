/** The hub's piscina worker pool: scan tasks, cancellation, thread count, hashrate. */
export { HashPool, type HashPoolOptions, type PoolFind, type PoolStats, type UnitSource, type WorkUnit } from './pool.js';
// the CPU the rest of the machine uses: how many hashing threads may run (hub and worker)
export { hubLoadMeter } from './cpu-load.js';
