#!/usr/bin/env node
// A household miner made of the project's own parts (Stratum client + job manager + hash pool).
//   node --import tsx scripts/household-miner.ts --url stratum+tcp://127.0.0.1:3333 --user kitchen-pc [--password P]
//        [--threads 1] [--kernel auto|js|wasm|native] [--suggest-difficulty 0.001] [--seconds N] [--shares N]
// Prints a status line every 5 s and one JSON line per share result on stdout when --json is given.
// Stops cleanly on Ctrl-C / SIGTERM, after --seconds, or after --shares accepted shares (whichever
// comes first: tests wait on the shares with --seconds as a generous limit, not on the clock).
import { parseArgs } from 'node:util';
import { InputError } from '../src/core/index.js';
import { HouseholdMiner } from '../src/work/index.js';

function fail(msg: string): never {
  process.stderr.write(`household-miner: ${msg}\n`);
  process.exit(2);
}

// biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs' result type follows its options below
let args;
try {
  args = parseArgs({
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      threads: { type: 'string', default: '1' },
      kernel: { type: 'string', default: 'auto' },
      'suggest-difficulty': { type: 'string' },
      seconds: { type: 'string' },
      shares: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  fail((err as Error).message);
}
if (!args.url) fail('--url is required, e.g. --url stratum+tcp://127.0.0.1:3333');
if (!args.user) fail('--user is required (a worker name, e.g. kitchen-pc)');
const threads = Number(args.threads);
if (!Number.isInteger(threads) || threads < 1 || threads > 256) fail('--threads must be an integer 1..256');
if (!['auto', 'js', 'wasm', 'native'].includes(args.kernel!)) fail('--kernel must be auto, js, wasm or native');
const suggest = args['suggest-difficulty'] === undefined ? undefined : Number(args['suggest-difficulty']);
if (suggest !== undefined && !(suggest > 0)) fail('--suggest-difficulty must be a positive number');
const seconds = args.seconds === undefined ? undefined : Number(args.seconds);
if (seconds !== undefined && !(seconds > 0)) fail('--seconds must be a positive number');
const shares = args.shares === undefined ? undefined : Number(args.shares);
if (shares !== undefined && !(Number.isInteger(shares) && shares >= 1)) fail('--shares must be a whole number of at least 1');

let miner: HouseholdMiner;
try {
  miner = new HouseholdMiner({ url: args.url!, user: args.user!, password: args.password, threads, kernel: args.kernel as 'auto', suggestDifficulty: suggest });
} catch (err) {
  if (err instanceof InputError) fail(err.message);
  throw err;
}
let acceptedShares = 0;
let enough = () => {};
miner.on('share', (s: { accepted: boolean; code?: number; message?: string }) => {
  if (args.json) process.stdout.write(`${JSON.stringify({ share: s, at: Date.now() })}\n`);
  if (s.accepted) acceptedShares++;
  enough();
});
await miner.start();
const status = setInterval(() => {
  const s = miner.stats();
  const line = `${(s.hashrate / 1e6).toFixed(2)} MH/s, ${s.accepted} accepted, ${s.rejected} rejected, difficulty ${s.difficulty}${s.connected ? '' : ' (not connected)'}`;
  if (args.json) process.stdout.write(`${JSON.stringify({ status: s })}\n`);
  else process.stdout.write(`${line}\n`);
}, 5000);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  clearInterval(status);
  if (timer) clearTimeout(timer);
  await miner.stop();
  if (args.json) process.stdout.write(`${JSON.stringify({ stopped: true, stats: miner.stats() })}\n`);
};
const timer = seconds ? setTimeout(() => void stop(), seconds * 1000) : null;
enough = () => {
  if (shares !== undefined && acceptedShares >= shares) void stop();
};
enough();
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
