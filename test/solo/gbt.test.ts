// The pure part of solo mining (src/work/gbt.ts): networks and payout addresses, template checks,
// template -> Stratum job -> block. The real node's verdict on all of it is in the other tests
// of this folder (btcd in regtest); these pin the shapes and the messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawTx, Script } from '@scure/btc-signer';
import { assembleHeader, bytesToHex, reverseBytes, sha256d } from '../../src/core/index.js';
import { buildBlock, buildJob, merkleRootOf, normalizeChain, parseTemplate, payoutScript, txHashes, type BlockTemplate } from '../../src/work/index.js';
import { PAYOUT_ADDRESS, mainnetAddress } from './support.js';

function tx(n: number, witness: boolean): string {
  return bytesToHex(
    RawTx.encode({
      version: 2,
      segwitFlag: witness,
      inputs: [
        {
          txid: new Uint8Array(32).fill(n),
          index: n,
          finalScriptSig: witness ? new Uint8Array(0) : Script.encode([new Uint8Array(3).fill(n)]),
          sequence: 0xfffffffd,
        },
      ],
      outputs: [{ amount: BigInt(1000 * n), script: Script.encode(['RETURN', new Uint8Array([n])]) }],
      witnesses: witness ? [[new Uint8Array(72).fill(n), new Uint8Array(33).fill(n)]] : undefined,
      lockTime: 0,
    }),
  );
}

const template: BlockTemplate = parseTemplate({
  version: 0x20000000,
  previousblockhash: '00000000000000000001a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7',
  transactions: [{ data: tx(1, true) }, { data: tx(2, false) }, { data: tx(3, true) }],
  coinbasevalue: 312_500_000 + 12_345,
  bits: '17027726',
  curtime: 1_780_000_000,
  height: 900_000,
  longpollid: 'abc',
});

test('networks: Bitcoin Core and btcd chain names; a payout address of another network is named with both', () => {
  assert.equal(normalizeChain('main'), 'main');
  assert.equal(normalizeChain('mainnet'), 'main');
  assert.equal(normalizeChain('testnet3'), 'test');
  assert.equal(normalizeChain('testnet4'), 'testnet4');
  assert.equal(normalizeChain('regtest'), 'regtest');
  assert.throws(() => normalizeChain('dogecoin'), /unknown chain "dogecoin"/);
  assert.equal(bytesToHex(payoutScript(PAYOUT_ADDRESS, 'regtest')), `0014${'02'.repeat(20)}`);
  assert.throws(() => payoutScript(mainnetAddress(3), 'test'), /is a mainnet address, but the node is on testnet \(getblockchaininfo chain "test"\)/);
  assert.throws(() => payoutScript(PAYOUT_ADDRESS, 'main'), /is a regtest address, but the node is on mainnet/);
  assert.throws(() => payoutScript('not-an-address', 'signet'), /is not a Bitcoin address; give an address of your wallet on signet/);
});

test('templates: a bad or missing field is named', () => {
  const good = { version: 1, previousblockhash: '00'.repeat(32), transactions: [], coinbasevalue: 1, bits: '207fffff', curtime: 1, height: 1 };
  assert.throws(() => parseTemplate({ ...good, coinbasevalue: undefined, coinbasetxn: {} }), /coinbasevalue is missing \(the node sent coinbasetxn/);
  assert.throws(() => parseTemplate({ ...good, previousblockhash: 'zz' }), /previousblockhash is not 64 hex digits/);
  assert.throws(() => parseTemplate({ ...good, transactions: [{ data: 'xyz' }] }), /transactions\[0\]\.data is not hex/);
  assert.throws(() => parseTemplate({ ...good, height: 0 }), /height is not a block height/);
  assert.equal(parseTemplate(good).height, 1);
});

test('template -> job -> block: BIP34 height and the extranonce in the coinbase, the merkle root over the txids, the witness in the block only', () => {
  const { job, work } = buildJob({
    template,
    jobId: '7',
    payoutScript: payoutScript(mainnetAddress(9), 'main'),
    extranonceBytes: 12,
    tag: '/micro-mining solo/',
    segwit: true,
    clean: true,
  });
  assert.equal(job.version, '20000000');
  assert.equal(job.nbits, '17027726');
  assert.equal(job.cleanJobs, true);
  const en = '0102030405060708090a0b0c';
  const a = assembleHeader(job, { extranonce1: en.slice(0, 8), extranonce2: en.slice(8), nonce: 42 });
  // the coinbase: height 900000 as a 3-byte push, then the 12-byte extranonce push, then the text
  const cb = RawTx.decode(a.coinbase);
  assert.equal(bytesToHex(cb.inputs[0].finalScriptSig).slice(0, 8 + 26), `03a0bb0d0c${en}`);
  assert.ok(bytesToHex(cb.inputs[0].finalScriptSig).endsWith(Buffer.from('/micro-mining solo/').toString('hex')));
  assert.equal(cb.outputs[0].amount, 312_512_345n, 'subsidy and fees to the payout address');
  assert.equal(bytesToHex(cb.outputs[1].script).slice(0, 12), '6a24aa21a9ed', 'the witness commitment');
  // the header's merkle root is the root over the coinbase txid and the template's txids
  const txids = template.transactions.map((t) => txHashes(t.data).txid);
  assert.equal(bytesToHex(a.merkleRootRaw), bytesToHex(merkleRootOf([sha256d(a.coinbase), ...txids])));
  // the prevhash goes back to the node's order
  assert.equal(bytesToHex(reverseBytes(a.header.subarray(4, 36))), template.previousblockhash);
  // the block: header, 4 transactions, the coinbase with its witness reserved value
  const block = buildBlock(work, en, a.header);
  assert.ok(block.hex.startsWith(`${bytesToHex(a.header)}04`));
  const coinbaseWithWitness = RawTx.decode(Buffer.from(block.hex.slice(162), 'hex').subarray(0, a.coinbase.length + 2 + 34));
  assert.equal(coinbaseWithWitness.segwitFlag, true);
  assert.deepEqual(coinbaseWithWitness.witnesses?.[0].map(bytesToHex), ['00'.repeat(32)]);
  assert.equal(block.coinbaseTxid, bytesToHex(reverseBytes(sha256d(a.coinbase))));
  assert.ok(block.hex.endsWith(template.transactions.map((t) => t.data).join('')));
  // a template with no segwit: no commitment, no witness
  const legacy = buildJob({
    template,
    jobId: '8',
    payoutScript: payoutScript(mainnetAddress(9), 'main'),
    extranonceBytes: 12,
    tag: '',
    segwit: false,
    clean: false,
  });
  assert.equal(RawTx.decode(assembleHeader(legacy.job, { extranonce1: '00000000', extranonce2: '00'.repeat(8) }).coinbase).outputs.length, 1);
});
