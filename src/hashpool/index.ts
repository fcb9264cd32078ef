/** The hub's piscina worker pool: scan tasks, cancellation, thread count, hashrate. */
export { HashPool, type HashPoolOptions, type PoolFind, type PoolStats, type UnitSource, type WorkUnit } from './pool.js';
