/**
 * MQTT part: the HA entities over MQTT discovery (their states rendered from the snapshot, their
 * commands sent on the bus), the embedded broker when none is given, and the bridge through which
 * a Node-RED elsewhere reaches the planner (only with a bridge key).
 *
 * emits: command (from an HA entity)
 * consumes: snapshot (the states), command (the states again, once the command is applied)
 * offers: handles `broker`, `entities`
 */
import { MqttHubBridge } from '../../../flow/index.js';
import { MqttEntities, startEmbeddedBroker, type EmbeddedBroker } from '../../../mqtt/index.js';
import { appPageUrl } from '../../addon.js';
import { Part } from '../context.js';

export class MqttPart extends Part {
  readonly name = 'mqtt';

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    if (c.mqtt.mode === 'off') return;
    let url = c.mqtt.url;
    if (c.mqtt.mode === 'embedded' || !url) {
      const port = ctx.overrides.mqttPort ?? 1883;
      let broker: EmbeddedBroker;
      try {
        broker = await startEmbeddedBroker({ port });
      } catch (err) {
        // another broker already has the port (e.g. Mosquitto on this machine): the entities still
        // need one, so take a free port and say so; `--mqtt` points at the existing broker instead
        if (!/EADDRINUSE/.test(String((err as Error).message))) throw err;
        broker = await startEmbeddedBroker({ port: 0 });
        ctx.log.warn({ port: broker.port }, `port ${port} is in use (another MQTT broker?): the embedded broker took port ${broker.port}; use --mqtt mqtt://host:${port} to publish to that broker instead`);
      }
      ctx.provide('broker', broker);
      this.stops.add('mqtt broker', () => broker.stop());
      url = broker.url;
      ctx.log.info({ url }, `embedded MQTT broker on ${url}`);
    }
    const entities = new MqttEntities({
      url,
      username: c.mqtt.username ?? undefined,
      password: c.mqtt.password ?? undefined,
      discoveryPrefix: c.mqtt.discoveryPrefix,
      statusTopic: c.mqtt.haStatusTopic,
      configurationUrl: c.addon ? appPageUrl(process.env.HOSTNAME) : undefined,
      onCommand: (cmd) => ctx.bus.emit('command', cmd),
    });
    ctx.provide('entities', entities);
    await entities.start(ctx.snapshot().miner);
    this.stops.add('mqtt entities', () => entities.stop());
    this.on('snapshot', (snap) => entities.update(snap.miner).catch((err) => ctx.log.warn({ err }, 'MQTT update failed')));
    // after the parts before this one applied a command: its new state at once
    this.on('command', () => entities.update(ctx.snapshot().miner));
    // flows in another Node-RED (with this package's nodes) reach the hub through the same broker,
    // only when the hub has a bridge key (every command must carry it)
    if (c.bridgeKey) {
      const bridge = new MqttHubBridge({ hub: ctx.planner, url, username: c.mqtt.username ?? undefined, password: c.mqtt.password ?? undefined, key: c.bridgeKey, logger: ctx.logger('mqtt-bridge') });
      await bridge.start();
      this.stops.add('mqtt bridge', () => bridge.stop());
    }
  }
}
