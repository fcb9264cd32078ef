/** Job sources (upstream pool, the user's node, practice), the job manager with its work units, share validation and per-worker statistics. */
export { JobManager, prefixBytesFor, type JobManagerOptions, type Layout } from './manager.js';
export {
  PRACTICE_LABEL,
  PracticeSource,
  UpstreamSource,
  merkleBranches,
  practiceJob,
  type BlockCandidate,
  type BlockOutcome,
  type JobSource,
  type PracticeOptions,
  type SourceSession,
} from './sources.js';
export {
  STALE_CODE,
  WorkerStats,
  isStale,
  type BlockEvent,
  type SessionTally,
  type ShareEvent,
  type WorkerSnapshot,
  type WorkerStatsOptions,
} from './stats.js';
export { SHARE_ERR, shareTarget, validateShare, type JobRecord, type ShareInput, type ValidateOptions, type Validation } from './validate.js';
export { HouseholdMiner, type HouseholdMinerOptions, type HouseholdMinerStats } from './household-miner.js';
export { NODE_TAG, NodeSource, type NodeSourceOptions, type NodeState, type NodeStatus } from './node-source.js';
export {
  CHAIN_NAMES,
  addressNetworks,
  buildBlock,
  buildJob,
  merkleRootOf,
  normalizeChain,
  parseTemplate,
  payoutScript,
  txHashes,
  witnessCommitmentScript,
  type BlockTemplate,
  type Chain,
  type NodeWork,
} from './gbt.js';
export { RpcClient, RpcError, nodeLabel, type RpcClientOptions } from './rpc.js';
