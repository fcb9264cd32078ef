/** sha256d math: headers, merkle roots, targets and difficulty, and the nonce-scan kernels. */
export { InputError } from './errors.js';
export { bytesToHex, hexToBytes, parseU32Hex, reverseBytes, swapWords, u32Hex } from './hex.js';
export { SHA256_IV, compress, midstate, sha256d } from './sha.js';
export {
  MAX_MERKLE_BRANCHES,
  assembleHeader,
  coinbaseTx,
  displayHash,
  extranonce2Hex,
  headerHash,
  merkleRoot,
  parseHeader,
  rollVersion,
  withNonce,
  type AssembledHeader,
  type HeaderFields,
  type HeaderParts,
  type StratumJob,
} from './header.js';
export {
  DIFF1,
  MAX_TARGET,
  difficultyToTarget,
  expectedHashes,
  hashDifficulty,
  hashToBigInt,
  hashrateFromShares,
  meetsTarget,
  nbitsToDifficulty,
  nbitsToTarget,
  parseTargetHex,
  targetToBytesLE,
  targetToDifficulty,
  targetToHex,
  targetToNbits,
} from './target.js';
export { checkRange, topWordOf, verifiedScan, verifyCandidates, type Find, MAX_NONCE_COUNT } from './scan.js';
export {
  KERNEL_NAMES,
  createJsKernel,
  createNaiveKernel,
  loadKernel,
  measureRate,
  parseKernelChoice,
  selectKernel,
  type AnyKernelName,
  type KernelChoice,
  type KernelName,
  type KernelSelection,
  type ScanKernel,
} from './kernels/index.js';
export {
  formatCount,
  formatDifficulty,
  formatDuration,
  formatEnergy,
  formatHashrate,
  formatLarge,
  formatOdds,
  formatOneIn,
  formatPower,
  formatSI,
  formatSignificant,
  type FigureSource,
} from './format.js';
