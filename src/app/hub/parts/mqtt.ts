/**
 * MQTT part: the HA entities over MQTT discovery (their states rendered from the snapshot, their
 * commands sent on the bus), the embedded broker when none is given, and the bridge through which
 * a Node-RED elsewhere reaches the planner (only with a bridge key). A user's broker (--mqtt) that
 * does not answer does not stop the hub: it is waited for like HA and the pool (one warning a
 * minute at most), `mqttConnected` false until it answers.
 *
 * emits: command (from an HA entity)
 * consumes: snapshot (the states), command (the states again, once the command is applied)
 * offers: handles `broker`, `entities`
 */
import { MqttHubBridge } from '../../../flow/index.js';
import { MqttEntities, startEmbeddedBroker, type EmbeddedBroker } from '../../../mqtt/index.js';
import { appPageUrl } from '../../addon.js';
import { redactUrl } from '../../../log.js';
import { Part } from '../context.js';

/** A broker that does not answer is named at most this often (the first failure at once). */
const BROKER_WARN_EVERY_MS = 60_000;
/** How long the hub's start waits for the user's broker before running on without it. */
const FIRST_CONNECT_WAIT_MS = 10_000;

export class MqttPart extends Part {
  readonly name = 'mqtt';

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    if (c.mqtt.mode === 'off') return;
    const external = c.mqtt.mode !== 'embedded' && Boolean(c.mqtt.url);
    let url = c.mqtt.url ?? '';
    if (!external) {
      const port = ctx.overrides.mqttPort ?? 1883;
      let broker: EmbeddedBroker;
      try {
        broker = await startEmbeddedBroker({ port });
      } catch (err) {
        // another broker already has the port (e.g. Mosquitto on this machine): the entities still
        // need one, so take a free port and say so; `--mqtt` points at the existing broker instead
        if (!/EADDRINUSE/.test(String((err as Error).message))) throw err;
        broker = await startEmbeddedBroker({ port: 0 });
        ctx.log.warn(
          { port: broker.port },
          `port ${port} is in use (another MQTT broker?): the embedded broker took port ${broker.port}; use --mqtt mqtt://host:${port} to publish to that broker instead`,
        );
      }
      ctx.provide('broker', broker);
      this.stops.add('mqtt broker', () => broker.stop());
      url = broker.url;
      ctx.log.info({ url }, `embedded MQTT broker on ${url}`);
    }
    const warn = brokerWarning(ctx.logger('mqtt'), url);
    let firstFailure: (() => void) | undefined;
    const entities = new MqttEntities({
      url,
      username: c.mqtt.username ?? undefined,
      password: c.mqtt.password ?? undefined,
      discoveryPrefix: c.mqtt.discoveryPrefix,
      statusTopic: c.mqtt.haStatusTopic,
      configurationUrl: c.addon ? appPageUrl(process.env.HOSTNAME) : undefined,
      onCommand: (cmd) => ctx.bus.emit('command', cmd),
      // the user's broker may start after the hub (the Mosquitto add-on): wait for it like HA and
      // the pool, one warning naming it and the fix, at most once a minute
      ...(external ? { onConnectError: (err: Error) => (warn(err), firstFailure?.()) } : {}),
    });
    ctx.provide('entities', entities);
    this.stops.add('mqtt entities', () => entities.stop());
    const connected = async () => {
      this.on('snapshot', (snap) => entities.update(snap.miner).catch((err) => ctx.log.warn({ err }, 'MQTT update failed')));
      // after the parts before this one applied a command: its new state at once
      this.on('command', () => entities.update(ctx.snapshot().miner));
      // flows in another Node-RED (with this package's nodes) reach the hub through the same broker,
      // only when the hub has a bridge key (every command must carry it)
      if (c.bridgeKey) {
        const bridge = new MqttHubBridge({
          hub: ctx.planner,
          url,
          username: c.mqtt.username ?? undefined,
          password: c.mqtt.password ?? undefined,
          key: c.bridgeKey,
          logger: ctx.logger('mqtt-bridge'),
        });
        await bridge.start();
        this.stops.add('mqtt bridge', () => bridge.stop());
      }
    };
    if (!external) {
      await entities.start(ctx.snapshot().miner);
      await connected();
      return;
    }
    // the user's broker: published before the hub runs when it answers; when it does not (its
    // first failure, or 10 s of silence) the hub runs on and the entities appear when it comes
    const started = entities
      .start(ctx.snapshot().miner)
      .then(connected)
      .catch((err) => {
        if (!ctx.stopping()) ctx.log.error({ broker: redactUrl(url) }, `MQTT entities could not start: ${(err as Error).message}`);
      });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      started,
      new Promise<void>((resolve) => {
        firstFailure = resolve;
        timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    firstFailure = undefined;
  }
}

/** The warning for a broker that does not answer: the first at once, then at most once a minute. */
function brokerWarning(log: { warn: (obj: object, msg: string) => void }, url: string): (err: Error) => void {
  let last = 0;
  let failures = 0;
  return (err) => {
    failures++;
    const now = Date.now();
    if (last && now - last < BROKER_WARN_EVERY_MS) return;
    last = now;
    log.warn(
      { broker: redactUrl(url), error: err.message, attempts: failures },
      `cannot reach the MQTT broker at ${redactUrl(url)} (${err.message}): is the broker running? drop --mqtt for the embedded broker, or --no-mqtt; retrying, the HA entities appear when it answers`,
    );
  };
}
