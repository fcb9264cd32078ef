/**
 * Block templates from the user's own node (getblocktemplate, BIP22/23 with the segwit rules),
 * turned into Stratum jobs and back into blocks. Pure functions: no I/O.
 *
 * Addresses, scripts and transactions are encoded and decoded by @scure/btc-signer (audited,
 * built on the same @noble/hashes the project already uses); nothing here serialises a
 * transaction by hand. The coinbase is:
 *   input:   null prevout, scriptSig = BIP34 height, extranonce (one push), the hub's text
 *   outputs: the whole coinbase value to the payout address; the witness commitment (value 0)
 *   witness: the 32-byte reserved value (only in the block; the txid leaves it out)
 */
import { Address, CompactSize, NETWORK, OutScript, RawTx, Script, TEST_NETWORK } from '@scure/btc-signer';

type BTC_NETWORK = typeof NETWORK;
import { InputError, bytesToHex, hexToBytes, reverseBytes, sha256d, swapWords, u32Hex, type StratumJob } from '../core/index.js';
import { merkleBranches } from './sources.js';

// ---- networks and the payout address --------------------------------------------------------

export type Chain = 'main' | 'test' | 'testnet4' | 'signet' | 'regtest' | 'simnet';

const REGTEST: BTC_NETWORK = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const SIMNET: BTC_NETWORK = { bech32: 'sb', pubKeyHash: 0x3f, scriptHash: 0x7b, wif: 0x64 };

const NETWORKS: Record<Chain, BTC_NETWORK> = {
  main: NETWORK,
  test: TEST_NETWORK,
  testnet4: TEST_NETWORK,
  signet: TEST_NETWORK,
  regtest: REGTEST,
  simnet: SIMNET,
};

/** Words for messages: what the node calls its chain, as people say it. */
export const CHAIN_NAMES: Record<Chain, string> = {
  main: 'mainnet',
  test: 'testnet',
  testnet4: 'testnet4',
  signet: 'signet',
  regtest: 'regtest',
  simnet: 'simnet',
};

/** The chain from getblockchaininfo's `chain` (Bitcoin Core: main/test/testnet4/signet/regtest; btcd: mainnet/testnet3/…). */
export function normalizeChain(chain: unknown): Chain {
  const c = String(chain).toLowerCase();
  if (c === 'main' || c === 'mainnet') return 'main';
  if (c === 'test' || c === 'testnet' || c === 'testnet3') return 'test';
  if (c === 'testnet4') return 'testnet4';
  if (c === 'signet') return 'signet';
  if (c === 'regtest') return 'regtest';
  if (c === 'simnet') return 'simnet';
  throw new InputError(`the node reports an unknown chain "${String(chain).slice(0, 40)}" (getblockchaininfo)`, 'node');
}

/** Which networks an address is valid on (for the message when it is not valid on the node's). */
export function addressNetworks(address: string): Chain[] {
  const out: Chain[] = [];
  for (const c of ['main', 'test', 'regtest', 'simnet'] as Chain[]) {
    try {
      Address(NETWORKS[c]).decode(address);
      out.push(c);
    } catch {
      /* not this one */
    }
  }
  return out;
}

/**
 * The output script paying `address` on `chain`; an InputError naming both the address's network
 * and the node's when they do not match, or when the address is not an address at all.
 */
export function payoutScript(address: string, chain: Chain): Uint8Array {
  const a = address.trim();
  try {
    return OutScript.encode(Address(NETWORKS[chain]).decode(a));
  } catch {
    const nets = addressNetworks(a);
    const node = CHAIN_NAMES[chain];
    if (nets.length === 0) {
      throw new InputError(
        `payout_address / --payout-address: "${a.slice(0, 100)}" is not a Bitcoin address; give an address of your wallet on ${node} (the node's network)`,
        'payout_address',
      );
    }
    const theirs = nets.map((n) => (n === 'test' ? 'testnet/signet' : CHAIN_NAMES[n])).join(' or ');
    throw new InputError(
      `payout_address / --payout-address: ${a.slice(0, 100)} is a ${theirs} address, but the node is on ${node} (getblockchaininfo chain "${chain}"); give an address for ${node}, or point --node at a ${theirs} node`,
      'payout_address',
    );
  }
}

// ---- the template -----------------------------------------------------------------------------

export interface TemplateTx {
  /** the transaction as the block carries it (with witness data) */
  data: string;
}

export interface BlockTemplate {
  version: number;
  previousblockhash: string;
  transactions: TemplateTx[];
  coinbasevalue: number;
  bits: string;
  curtime: number;
  height: number;
  mintime?: number;
  longpollid?: string;
  default_witness_commitment?: string;
  rules?: string[];
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const HEX8 = /^[0-9a-fA-F]{8}$/;
const HEXS = /^(?:[0-9a-fA-F]{2})+$/;

/** Checks a getblocktemplate answer; throws InputError naming the field that is wrong. */
export function parseTemplate(raw: unknown): BlockTemplate {
  const t = raw as Record<string, unknown>;
  const bad = (field: string, why: string): never => {
    throw new InputError(`getblocktemplate: ${field} ${why}`, field);
  };
  if (!t || typeof t !== 'object') bad('result', 'is not an object');
  if (!Number.isInteger(t.version) || (t.version as number) < 0 || (t.version as number) > 0xffffffff) bad('version', 'is not a 32-bit number');
  if (typeof t.previousblockhash !== 'string' || !HEX64.test(t.previousblockhash)) bad('previousblockhash', 'is not 64 hex digits');
  if (t.coinbasevalue === undefined && t.coinbasetxn !== undefined)
    bad('coinbasevalue', 'is missing (the node sent coinbasetxn; the hub builds its own coinbase and needs coinbasevalue)');
  if (!Number.isSafeInteger(t.coinbasevalue) || (t.coinbasevalue as number) < 0) bad('coinbasevalue', 'is not a whole number of satoshis');
  if (typeof t.bits !== 'string' || !HEX8.test(t.bits)) bad('bits', 'is not 8 hex digits');
  if (!Number.isInteger(t.curtime) || (t.curtime as number) <= 0 || (t.curtime as number) > 0xffffffff) bad('curtime', 'is not a 32-bit time');
  if (!Number.isInteger(t.height) || (t.height as number) < 1) bad('height', 'is not a block height');
  if (!Array.isArray(t.transactions) || t.transactions.length > 100_000) bad('transactions', 'is not a list');
  (t.transactions as unknown[]).forEach((x, i) => {
    const d = (x as { data?: unknown })?.data;
    if (typeof d !== 'string' || !HEXS.test(d)) bad(`transactions[${i}].data`, 'is not hex');
  });
  const dwc = t.default_witness_commitment;
  if (dwc !== undefined && (typeof dwc !== 'string' || !HEXS.test(dwc))) bad('default_witness_commitment', 'is not hex');
  return {
    version: t.version as number,
    previousblockhash: (t.previousblockhash as string).toLowerCase(),
    transactions: (t.transactions as TemplateTx[]).map((x) => ({ data: x.data })),
    coinbasevalue: t.coinbasevalue as number,
    bits: (t.bits as string).toLowerCase(),
    curtime: t.curtime as number,
    height: t.height as number,
    mintime: Number.isInteger(t.mintime) ? (t.mintime as number) : undefined,
    longpollid: typeof t.longpollid === 'string' ? t.longpollid.slice(0, 200) : undefined,
    default_witness_commitment: dwc as string | undefined,
    rules: Array.isArray(t.rules) ? (t.rules as unknown[]).map(String) : undefined,
  };
}

/** The txid and wtxid (raw byte order) of a transaction, from its serialisation. */
export function txHashes(dataHex: string): { txid: Uint8Array; wtxid: Uint8Array } {
  const bytes = hexToBytes(dataHex, 'transaction');
  const tx = RawTx.decode(bytes);
  const wtxid = sha256d(bytes);
  const txid = tx.segwitFlag ? sha256d(RawTx.encode({ ...tx, segwitFlag: false, witnesses: undefined })) : wtxid;
  return { txid, wtxid };
}

/** Merkle root (raw order) of a list of hashes (raw order), Bitcoin's way (odd levels repeat the last). */
export function merkleRootOf(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 0) throw new InputError('merkle root of no hashes');
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(Buffer.concat([level[i], level[i + 1] ?? level[i]])));
    level = next;
  }
  return level[0];
}

const WITNESS_MAGIC = Uint8Array.from([0xaa, 0x21, 0xa9, 0xed]);
const WITNESS_RESERVED = new Uint8Array(32);

/** The witness commitment output script (BIP141): OP_RETURN aa21a9ed || sha256d(witness root || reserved). */
export function witnessCommitmentScript(wtxids: Uint8Array[]): Uint8Array {
  const root = merkleRootOf([new Uint8Array(32), ...wtxids]);
  const commitment = sha256d(Buffer.concat([root, WITNESS_RESERVED]));
  return Script.encode(['RETURN', Buffer.concat([WITNESS_MAGIC, commitment])]);
}

// ---- template -> job ---------------------------------------------------------------------------

/** What the source keeps of a job to turn a solved header into a block. */
export interface NodeWork {
  jobId: string;
  height: number;
  /** display order, as the node shows it */
  prevhash: string;
  coinb1: string;
  coinb2: string;
  /** the coinbase needs the witness reserved value (a commitment is in it) */
  segwit: boolean;
  /** the other transactions, as the block carries them */
  txData: string[];
  /** the node's default_witness_commitment differs from the one computed here (the node will say which is right) */
  commitmentMismatch: boolean;
  coinbaseValue: number;
  createdAt: number;
}

export interface BuildJobInput {
  template: BlockTemplate;
  jobId: string;
  payoutScript: Uint8Array;
  /** bytes of extranonce (extranonce1 + extranonce2) in the coinbase */
  extranonceBytes: number;
  /** text in the coinbase scriptSig (ASCII, at most 40 bytes) */
  tag: string;
  /** segwit is active: commit to the witnesses (computed when the template gives no commitment) */
  segwit: boolean;
  clean: boolean;
  now?: number;
}

export const MAX_TAG_BYTES = 40;

/** A template as a Stratum job (coinb1/coinb2 around the extranonce, merkle branches, words in Stratum order) and the work record. */
export function buildJob(p: BuildJobInput): { job: StratumJob; work: NodeWork } {
  const t = p.template;
  const tag = Buffer.from(p.tag, 'latin1').subarray(0, MAX_TAG_BYTES);
  if (p.extranonceBytes < 1 || p.extranonceBytes > 32) throw new InputError('extranonce size out of range 1..32');
  const hashes = t.transactions.map((x) => txHashes(x.data));
  const outputs: { amount: bigint; script: Uint8Array }[] = [{ amount: BigInt(t.coinbasevalue), script: p.payoutScript }];
  let commitmentMismatch = false;
  if (p.segwit) {
    // always computed here; the node's, when it gives one, is only a cross-check: Bitcoin Core
    // sends the whole script (6a24aa21a9ed…), btcd only the 32-byte commitment
    const script = witnessCommitmentScript(hashes.map((h) => h.wtxid));
    const given = t.default_witness_commitment?.toLowerCase();
    if (given && given !== bytesToHex(script) && given !== bytesToHex(script.subarray(6))) commitmentMismatch = true;
    outputs.push({ amount: 0n, script });
  }
  const heightPush = Script.encode([t.height]);
  const placeholder = new Uint8Array(p.extranonceBytes);
  const scriptSig = Script.encode([t.height, placeholder, ...(tag.length ? [tag] : [])]);
  if (scriptSig.length > 100) throw new InputError(`coinbase scriptSig of ${scriptSig.length} bytes is longer than 100`);
  // the transaction without its witness: what the txid (and so the merkle root) is made of
  const legacy = RawTx.encode({
    version: 1,
    segwitFlag: false,
    inputs: [{ txid: new Uint8Array(32), index: 0xffffffff, finalScriptSig: scriptSig, sequence: 0xffffffff }],
    outputs,
    witnesses: undefined,
    lockTime: 0,
  });
  // version(4) + input count(1) + prevout(36) + scriptSig length(1, < 253) + height push + the extranonce's push opcode
  const at = 4 + 1 + 36 + 1 + heightPush.length + 1;
  if (legacy[at - 1] !== p.extranonceBytes || legacy.subarray(at, at + p.extranonceBytes).some((b) => b !== 0)) {
    throw new Error('coinbase layout: the extranonce is not where it was expected');
  }
  const coinb1 = bytesToHex(legacy.subarray(0, at));
  const coinb2 = bytesToHex(legacy.subarray(at + p.extranonceBytes));
  const prevRaw = reverseBytes(hexToBytes(t.previousblockhash, 'previousblockhash', 32));
  const job: StratumJob = {
    jobId: p.jobId,
    prevhash: bytesToHex(swapWords(prevRaw)),
    coinb1,
    coinb2,
    merkleBranch: merkleBranches(hashes.map((h) => bytesToHex(h.txid))),
    version: u32Hex(t.version),
    nbits: t.bits,
    ntime: u32Hex(t.curtime),
    cleanJobs: p.clean,
  };
  const work: NodeWork = {
    jobId: p.jobId,
    height: t.height,
    prevhash: t.previousblockhash,
    coinb1,
    coinb2,
    segwit: p.segwit,
    txData: t.transactions.map((x) => x.data),
    commitmentMismatch,
    coinbaseValue: t.coinbasevalue,
    createdAt: p.now ?? Date.now(),
  };
  return { job, work };
}

/** The block (hex, for submitblock) from a work record, the coinbase's extranonce and the solved header. */
export function buildBlock(work: NodeWork, extranonceHex: string, header: Uint8Array): { hex: string; hash: string; coinbaseTxid: string } {
  if (header.length !== 80) throw new InputError('header: expected 80 bytes');
  const legacy = hexToBytes(work.coinb1 + extranonceHex + work.coinb2, 'coinbase');
  const tx = RawTx.decode(legacy);
  const coinbase = work.segwit ? RawTx.encode({ ...tx, segwitFlag: true, witnesses: [[WITNESS_RESERVED]] }) : legacy;
  const parts: Uint8Array[] = [header, CompactSize.encode(BigInt(1 + work.txData.length)), coinbase, ...work.txData.map((d) => hexToBytes(d, 'transaction'))];
  return {
    hex: Buffer.concat(parts).toString('hex'),
    hash: bytesToHex(reverseBytes(sha256d(header))),
    coinbaseTxid: bytesToHex(reverseBytes(sha256d(legacy))),
  };
}
