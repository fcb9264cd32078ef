/** Stratum V1: the wire codec, the upstream pool client and the local endpoint for household miners. */
export {
  ERR,
  LineSplitter,
  checkExtranonce,
  encodeError,
  encodeRequest,
  encodeResult,
  idOfBadMessage,
  MessageError,
  normalizeError,
  notifyParams,
  parseDifficulty,
  parseMessage,
  parseNotify,
  parsePoolUrl,
  parseSubmit,
  parseSubscribeResult,
  wireError,
  type ErrorCode,
  type PoolUrl,
  type RpcId,
  type RpcMessage,
  type RpcRequest,
  type RpcResponse,
  type SubmitParams,
  type WireError,
} from './codec.js';
export { StratumClient, backoffDelay, type ConnectedInfo, type StratumClientOptions, type SubmitOutcome, type UpstreamSubmit } from './client.js';
export {
  StratumServer,
  type MinerBackend,
  type SessionInfo,
  type ShareContext,
  type ShareVerdict,
  type Slot,
  type StratumServerOptions,
} from './server.js';
export { VARDIFF_DEFAULTS, Vardiff, pow2Floor, type VardiffOptions } from './vardiff.js';
export { MAX_NAME, WorkerNames, normalizeWorkerName, type NameResult } from './names.js';
export { Admission, addressKey, type AdmissionLimits } from './limits.js';
export { RateLimitedLog } from './ratelog.js';
export { MM_EXTENSION, MM_METHODS, WorkerControl, parseHello, parseReport, type ControlledWorker, type ReportedState, type WorkerReport } from './extension.js';
