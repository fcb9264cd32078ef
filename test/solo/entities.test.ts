// The HA entities in solo mode (the MQTT model, pure): mode "solo", the node's block height, the
// pool-connection sensor following the node, and the odds and earnings at the node's difficulty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ENTITY_OPTIONS, buildModel, topics } from '../../src/mqtt/index.js';
import { snapshot } from '../mqtt/fixtures/snapshot.js';

const o = DEFAULT_ENTITY_OPTIONS;
const t = topics(o);

test('solo: mode solo, node block height, connection from the node, odds and earnings', () => {
  const m = buildModel(snapshot({ mode: 'solo', nodeHeight: 930_123, poolConnected: true }), o);
  const cmps = m.hub.config.cmps as Record<string, { options?: string[] }>;
  assert.ok(cmps.mode.options?.includes('solo'));
  assert.ok(cmps.node_height, 'a node height sensor');
  assert.ok(cmps.earnings_per_day, 'expected earnings (the whole reward, at these odds)');
  assert.ok(cmps.expected_time_to_block && cmps.odds_per_day);
  assert.equal(m.hub.states.get(t.hubState('mode')), 'solo');
  assert.equal(m.hub.states.get(t.hubState('node_height')), '930123');
  assert.equal(m.hub.states.get(t.hubState('pool_connection')), 'connected');
  const down = buildModel(snapshot({ mode: 'solo', nodeHeight: undefined, poolConnected: false }), o);
  assert.equal(down.hub.states.get(t.hubState('pool_connection')), 'disconnected');
  // practice and pool have no node height sensor
  assert.equal((buildModel(snapshot(), o).hub.config.cmps as Record<string, unknown>).node_height, undefined);
});
