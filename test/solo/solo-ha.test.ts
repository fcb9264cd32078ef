// A block found solo is announced in a real Home Assistant (the test bed): the hub mines a
// regtest block on btcd, btcd accepts it, and HA receives the event micro_mining_block_found
// and shows a persistent notification.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBtcd, type Btcd } from '../support/btcd.js';
import { startHaTestBed, type HaTestBed } from '../support/habed/index.js';
import { MINER_ADDRESS, PAYOUT_ADDRESS, soloHub, until } from './support.js';

let node: Btcd;
let bed: HaTestBed;

before(async () => {
  [node, bed] = await Promise.all([startBtcd({ miningAddress: MINER_ADDRESS }), startHaTestBed({ mqtt: false })]);
  await node.ctl('generate', '3');
});
after(async () => {
  await node?.stop();
  await bed?.stop();
});

test('an accepted block fires micro_mining_block_found in Home Assistant and leaves a persistent notification', async () => {
  const ws = await bed.ws();
  const events: { data: Record<string, unknown> }[] = [];
  const unsubscribe = await ws.subscribe('subscribe_events', { event_type: 'micro_mining_block_found' }, (ev) =>
    events.push(ev as { data: Record<string, unknown> }),
  );
  const hub = soloHub(node.url, { threads: 1, extra: ['--ha-url', bed.url, '--ha-token', bed.token] });
  try {
    await hub.start();
    const ev = await until('the event in HA', () => events[0]);
    assert.equal(ev.data.network, 'regtest');
    assert.equal(ev.data.worker, 'hub');
    assert.equal(ev.data.payout_address, PAYOUT_ADDRESS);
    const hash = String(ev.data.hash);
    const height = Number(ev.data.height);
    assert.equal(await node.rpc<string>('getblockhash', height), hash, "the block of the event is on btcd's chain");
    const notes = await until(
      'the notification',
      async () => {
        const list = (await bed.call('persistent_notification/get')) as { notification_id: string; title: string; message: string }[];
        return list.find((n) => n.notification_id === `micro_mining_block_${height}`);
      },
      30_000,
      250,
    );
    assert.equal(notes.title, 'Micro Mining found a block');
    assert.match(notes.message, new RegExp(`Block ${height} \\(${hash}\\) on regtest was found by hub and accepted by your node`));
    console.log(`# HA: event micro_mining_block_found for block ${height}; notification "${notes.title}"`);
  } finally {
    await hub.stop();
    await unsubscribe();
    await ws.close();
  }
});
