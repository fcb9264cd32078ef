import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import {
  InputError,
  assembleHeader,
  bytesToHex,
  difficultyToTarget,
  displayHash,
  hexToBytes,
  nbitsToTarget,
  parseHeader,
  parseKernelChoice,
  parseTargetHex,
  type StratumJob,
} from '../../core/index.js';
import { HashPool, type PoolFind, type WorkUnit } from '../../hashpool/index.js';
import { intFlag, numberFlag, parseVerbArgs } from '../args.js';

const HELP = `usage: micro-mining scan (--header HEX | --job FILE) [--start N] [--count N]
                         [--difficulty D | --target HEX] [--kernel auto|js|wasm|native] [--threads N] [--json]

Scans nonces start .. start+count-1 (the header's own nonce is replaced) through the hub pool and
prints each nonce whose double SHA-256 meets the target (default: the header's own nBits target).
  --header HEX     an 80-byte block header (160 hex digits)
  --job FILE       a Stratum job as JSON: prevhash (Stratum word order), coinb1, coinb2,
                   merkle_branch, version, nbits, ntime, extranonce1, extranonce2
                   (or {"method":"mining.notify","params":[…]} plus extranonce1/extranonce2)
  --start N        first nonce (default 0)      --count N   nonces to scan (default 1048576)
  --difficulty D   pool difficulty of a share   --target HEX  a 256-bit big-endian target
  --kernel K       hashing kernel (default auto) --threads N  hub threads (default: all cores)
  --json           one JSON object a line: {"nonce","hash"} per find, then a summary`;

export interface JobFile extends StratumJob {
  extranonce1: string;
  extranonce2: string;
}

/** Reads a Stratum job from parsed JSON: named fields, or a mining.notify message plus extranonces. */
export function jobFromJson(j: unknown): JobFile {
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new InputError('--job: expected a JSON object', 'job');
  const o = j as Record<string, unknown>;
  const str = (k: string, alt?: string): string => {
    const v = o[k] ?? (alt ? o[alt] : undefined);
    if (typeof v !== 'string') throw new InputError(`--job: field "${k}" must be a hex string`, k);
    return v;
  };
  let base: Record<string, unknown> = o;
  if (Array.isArray(o.params) && o.method === 'mining.notify') {
    const p = o.params;
    if (p.length < 8) throw new InputError('--job: mining.notify params must have at least 8 entries', 'params');
    base = {
      job_id: p[0],
      prevhash: p[1],
      coinb1: p[2],
      coinb2: p[3],
      merkle_branch: p[4],
      version: p[5],
      nbits: p[6],
      ntime: p[7],
      clean_jobs: p[8],
    };
  }
  const b = (k: string, alt?: string): string => {
    const v = base[k] ?? (alt ? base[alt] : undefined);
    if (typeof v !== 'string') throw new InputError(`--job: field "${k}" must be a hex string`, k);
    return v;
  };
  const branch = base.merkle_branch ?? base.merkleBranch;
  if (!Array.isArray(branch) || branch.some((x) => typeof x !== 'string')) {
    throw new InputError('--job: field "merkle_branch" must be an array of hex strings', 'merkle_branch');
  }
  return {
    jobId: String(base.job_id ?? base.jobId ?? 'job'),
    prevhash: b('prevhash'),
    coinb1: b('coinb1'),
    coinb2: b('coinb2'),
    merkleBranch: branch as string[],
    version: b('version'),
    nbits: b('nbits'),
    ntime: b('ntime'),
    cleanJobs: Boolean(base.clean_jobs),
    extranonce1: str('extranonce1'),
    extranonce2: str('extranonce2'),
  };
}

export async function runScan(argv: string[]): Promise<number> {
  const { values } = parseVerbArgs('scan', argv, {
    header: { type: 'string' },
    job: { type: 'string' },
    start: { type: 'string' },
    count: { type: 'string' },
    difficulty: { type: 'string' },
    target: { type: 'string' },
    kernel: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.header === !values.job) throw new InputError('give exactly one of --header HEX or --job FILE', 'header');
  if (values.difficulty !== undefined && values.target !== undefined) throw new InputError('give --difficulty or --target, not both', 'difficulty');
  const start = intFlag(values.start, '--start', 0, 0xffffffff, 0);
  const count = intFlag(values.count, '--count', 1, 2 ** 32, 1 << 20);
  if (start + count > 2 ** 32) {
    throw new InputError(`--count: start ${start} + count ${count} passes the last nonce 4294967295; lower --count to at most ${2 ** 32 - start}`, 'count');
  }
  const kernel = parseKernelChoice(values.kernel ?? 'auto');
  const cores = availableParallelism();
  const threads = intFlag(values.threads, '--threads', 1, cores, cores);

  let header: Uint8Array;
  let jobInfo: { header: string; merkleRoot: string; merkleRootRaw: string } | null = null;
  if (values.header !== undefined) {
    header = hexToBytes(values.header.trim(), '--header', 80);
  } else {
    let text: string;
    try {
      text = readFileSync(values.job!, 'utf8');
    } catch (err) {
      throw new InputError(`--job: cannot read ${values.job}: ${(err as Error).message}`, 'job');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new InputError(`--job: ${values.job} is not valid JSON: ${(err as Error).message}`, 'job');
    }
    const job = jobFromJson(parsed);
    const a = assembleHeader(job, { extranonce1: job.extranonce1, extranonce2: job.extranonce2 });
    header = a.header;
    jobInfo = { header: bytesToHex(a.header), merkleRoot: displayHash(a.merkleRootRaw), merkleRootRaw: bytesToHex(a.merkleRootRaw) };
  }
  const target =
    values.target !== undefined
      ? parseTargetHex(values.target, '--target')
      : values.difficulty !== undefined
        ? difficultyToTarget(numberFlag(values.difficulty, '--difficulty'))
        : nbitsToTarget(parseHeader(header).nbits);

  if (jobInfo && !values.json) {
    console.log(`header      ${jobInfo.header}`);
    console.log(`merkle root ${jobInfo.merkleRoot} (display order; raw ${jobInfo.merkleRootRaw})`);
  }
  const result = await scanRange({ header, start, count, target, threads, kernel });
  for (const f of result.finds) {
    if (values.json) console.log(JSON.stringify({ nonce: f.nonce, hash: f.hash }));
    else console.log(`nonce ${f.nonce} (0x${f.nonce.toString(16).padStart(8, '0')})  hash ${f.hash}  difficulty ${fmtDiff(f.difficulty)}`);
  }
  const summary = {
    hashes: result.hashes,
    seconds: Number(result.seconds.toFixed(6)),
    hashrate: Math.round(result.hashes / result.seconds),
    kernel: result.kernel,
    ...(jobInfo ? { header: jobInfo.header, merkle_root: jobInfo.merkleRoot } : {}),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `${result.finds.length} find${result.finds.length === 1 ? '' : 's'}; ${result.hashes} hashes in ${result.seconds.toFixed(3)} s ` +
        `= ${(summary.hashrate / 1e6).toFixed(2)} MH/s, kernel ${result.kernel}, ${threads} thread${threads === 1 ? '' : 's'}`,
    );
  }
  return 0;
}

export interface ScanRangeResult {
  finds: PoolFind[];
  hashes: number;
  seconds: number;
  kernel: string;
}

/** Scans one nonce range of one header through a HashPool, split into units across threads. */
export async function scanRange(o: {
  header: Uint8Array;
  start: number;
  count: number;
  target: bigint;
  threads: number;
  kernel: ReturnType<typeof parseKernelChoice>;
}): Promise<ScanRangeResult> {
  const pool = new HashPool({ threads: o.threads, maxThreads: o.threads, kernel: o.kernel, nice: 0 });
  await pool.start();
  const chunk = Math.max(1 << 16, Math.ceil(o.count / (o.threads * 8)));
  const units: WorkUnit[] = [];
  for (let s = o.start; s < o.start + o.count; s += chunk) {
    units.push({ jobId: 'scan', extranonce2: '', header: o.header, target: o.target, start: s, count: Math.min(chunk, o.start + o.count - s) });
  }
  let nextUnit = 0;
  let done = 0;
  const finds: PoolFind[] = [];
  const t0 = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      pool.on('find', (f: PoolFind) => finds.push(f));
      pool.on('error', reject);
      pool.on('unitDone', () => {
        if (++done === units.length) resolve();
      });
      pool.setSource(() => (nextUnit < units.length ? units[nextUnit++] : null));
    });
  } finally {
    await pool.stop();
  }
  const seconds = (performance.now() - t0) / 1000;
  finds.sort((a, b) => a.nonce - b.nonce);
  return { finds, hashes: o.count, seconds, kernel: pool.kernel.name };
}

function fmtDiff(d: number): string {
  return d >= 1000 ? d.toFixed(0) : d.toPrecision(6);
}
