/**
 * Worker obedience part: how every worker on the endpoint carries out the plan (the shared
 * Obedience: the pause extension, no new work) and, with Home Assistant, the HA switches of plain
 * miners (switches.ts). Tells the bus when the workers told the hub how to link them to devices.
 *
 * emits: workerState (links)
 * uses: handle `ha` (the switch's connection and the linked appliance)
 */
import { MinerSwitches } from '../../switches.js';
import { Part } from '../context.js';

export class ObediencePart extends Part {
  readonly name = 'obedience';

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    const obedience = ctx.obedience;
    const changed = () => {
      if (ctx.stopping()) return;
      void ctx.bus.emit('workerState', { change: 'links', mappings: obedience.mappings(), at: Date.now() });
    };
    obedience.on('changed', changed);
    this.stops.add('obedience', () => void obedience.off('changed', changed));
    if (!c.ha) return;
    // plain miners linked to a device with a switch are switched as the plan says
    const switches = new MinerSwitches({
      connection: () => ctx.handle('ha')?.connection.conn,
      applianceOf: (w) =>
        ctx
          .handle('ha')
          ?.appliances()
          .find((a) => a.workerId === w) ?? null,
      isPlainMiner: (w) => obedience.isPlainMiner(w),
      minOnS: ctx.overrides.switchMinOnS ?? c.miners.switchMinOnS,
      minOffS: ctx.overrides.switchMinOffS ?? c.miners.switchMinOffS,
      log: ctx.logger('switches'),
    });
    obedience.useSwitches(switches);
    this.stops.add('miner switches', () => switches.stop());
  }
}
