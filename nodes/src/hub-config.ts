// mm-hub: the config node for the miner runtime. In the hub's own Node-RED it uses the in-process
// hub; elsewhere (or in mode `mqtt`) it reaches the hub over MQTT.
import { HUB_SETTING, type HubApi } from '../../src/flow/hub-api.js';
import { MqttHub } from './mqtt-hub.js';
import { errText, type Node, type NodeAPI, type NodeDef } from './red.js';

export interface HubConfigNode extends Node {
  api: HubApi | null;
  /** why there is no api */
  problem: string | null;
}

interface Creds {
  username?: string;
  password?: string;
  /** the hub's bridge_key option */
  bridgeKey?: string;
}

export function registerHubConfig(RED: NodeAPI): void {
  RED.nodes.registerType(
    'mm-hub',
    function (this: Node, config: NodeDef) {
      RED.nodes.createNode(this, config);
      const node = this as HubConfigNode & { credentials?: Creds };
      const mode = String(config.mode ?? 'auto');
      const local = RED.settings[HUB_SETTING] as HubApi | undefined;
      node.api = null;
      node.problem = null;
      let remote: MqttHub | null = null;
      if ((mode === 'auto' || mode === 'in-process') && local) {
        node.api = local;
      } else if (mode === 'in-process') {
        node.problem = 'no hub in this Node-RED: in-process mode works only in the Micro Mining add-on';
      } else {
        const url = String(config.broker ?? '').trim();
        try {
          if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) throw new Error(`broker must be an MQTT URL like mqtt://core-mosquitto:1883, got "${url}"`);
          const key = node.credentials?.bridgeKey ?? '';
          if (key.length < 16) throw new Error("give the bridge key: the hub's bridge_key option (16 characters or more; the hub's bridge is off without one)");
          remote = new MqttHub({
            url,
            baseTopic: String(config.baseTopic || 'micro-mining'),
            username: node.credentials?.username,
            password: node.credentials?.password,
            key,
            onError: (m) => node.warn(m),
            onState: (s) => node.log(`hub bridge: ${s}`),
          });
          node.api = remote;
        } catch (err) {
          node.problem = `mm-hub: ${errText(err)}`;
        }
      }
      if (node.problem) node.error(node.problem);
      node.on('close', (_removed, done) => {
        node.api = null;
        if (remote) remote.close().then(done, done);
        else done();
      });
    },
    { credentials: { username: { type: 'text' }, password: { type: 'password' }, bridgeKey: { type: 'password' } } },
  );
}

/** The hub config node a node points at, or an explanation. */
export function hubOf(RED: NodeAPI, id: unknown): { api: HubApi } | { problem: string } {
  const cfg = typeof id === 'string' && id ? (RED.nodes.getNode(id) as HubConfigNode | null) : null;
  if (!cfg) return { problem: 'no hub configured: pick a "mm-hub" config node' };
  if (!cfg.api) return { problem: cfg.problem ?? 'the hub is not available' };
  return { api: cfg.api };
}
