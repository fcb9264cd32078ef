// A template with a real segwit transaction in it (signed here with @scure/btc-signer, sent with
// sendrawtransaction to btcd): the witness commitment the hub computes equals the one btcd puts
// in its template, and a block the hub mines with that transaction is accepted by btcd.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Address, OutScript, Transaction, getAddress } from '@scure/btc-signer';
import { startBtcd, type Btcd } from '../support/btcd.js';
import { bytesToHex } from '../../src/core/index.js';
import { parseTemplate, txHashes, witnessCommitmentScript, type BlockOutcome } from '../../src/work/index.js';
import { PAYOUT_ADDRESS, soloHub, until } from './support.js';

const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const key = new Uint8Array(32).fill(0x11); // a test key: btcd's coinbases pay it, so it can spend them
const keyAddress = getAddress('wpkh', key, REGTEST);
let node: Btcd;

before(async () => {
  node = await startBtcd({ miningAddress: keyAddress });
  await node.ctl('generate', '101'); // the first coinbase matures (100 confirmations)
});
after(async () => {
  await node?.stop();
});

test("a segwit transaction in the template: the hub's witness commitment equals btcd's, and btcd accepts the hub's block with it", async () => {
  const first = await node.rpc<string>('getblockhash', 1);
  const cb = (await node.rpc<{ rawtx: { txid: string; vout: { value: number }[] }[] }>('getblock', first, 2)).rawtx[0];
  const tx = new Transaction();
  tx.addInput({ txid: cb.txid, index: 0, witnessUtxo: { script: OutScript.encode(Address(REGTEST).decode(keyAddress)), amount: 5_000_000_000n } });
  tx.addOutputAddress(keyAddress, 4_999_900_000n, REGTEST);
  tx.sign(key);
  tx.finalize();
  const sent = await node.rpc<string>('sendrawtransaction', tx.hex);
  assert.equal(sent, tx.id);

  const t = await node.rpc<{ default_witness_commitment?: string; transactions: { data: string }[] }>('getblocktemplate', { rules: ['segwit'] });
  assert.equal(t.transactions.length, 1, 'the transaction is in the template');
  const parsed = parseTemplate(t);
  const { txid, wtxid } = txHashes(parsed.transactions[0].data);
  assert.notEqual(bytesToHex(txid), bytesToHex(wtxid), 'it carries witness data (txid differs from wtxid)');
  assert.ok(t.default_witness_commitment, 'btcd gives its commitment for a template with witness data');
  // btcd gives the bare 32-byte commitment (Bitcoin Core the whole output script): the hub
  // computes the script itself and its commitment is btcd's
  const ours = witnessCommitmentScript([wtxid]);
  assert.equal(bytesToHex(ours.subarray(0, 6)), '6a24aa21a9ed', 'OP_RETURN, 36 bytes, the BIP141 magic');
  assert.equal(bytesToHex(ours.subarray(6)), t.default_witness_commitment, 'the hub computes the same commitment as btcd');

  const hub = soloHub(node.url, { threads: 1, payout: PAYOUT_ADDRESS });
  const results: BlockOutcome[] = [];
  try {
    await hub.start();
    hub.manager.on('blockResult', (o: BlockOutcome) => results.push(o));
    const found = await until('a block with the transaction', () => results.find((r) => r.accepted));
    const b = await node.rpc<{ rawtx: { txid: string; vout: { value: number; scriptPubKey: { address?: string } }[] }[] }>('getblock', found.hash, 2);
    assert.deepEqual(
      b.rawtx.map((x) => x.txid),
      [b.rawtx[0].txid, sent],
      'coinbase, then the transaction',
    );
    const pay = b.rawtx[0].vout.find((o) => o.scriptPubKey.address === PAYOUT_ADDRESS);
    assert.equal(pay?.value, 50.001, 'subsidy plus the fee (100,000 sat) to the payout address');
    console.log(`# block ${found.height} with a segwit transaction accepted; coinbase pays ${pay?.value} BTC`);
  } finally {
    await hub.stop();
  }
});
