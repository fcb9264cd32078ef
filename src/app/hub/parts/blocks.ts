/**
 * Block notices part: what the node said about a block found here (solo). An accepted block is
 * announced in Home Assistant (event `micro_mining_block_found` and a persistent notification); a
 * rejection is logged with the node's reason by the source.
 *
 * consumes: blockResult
 * uses: handle `ha` (its connection)
 */
import { Part } from '../context.js';
import type { BlockResult } from '../bus.js';

export class BlocksPart extends Part {
  readonly name = 'block notices';

  async start(): Promise<void> {
    this.on('blockResult', (o) => this.announce(o));
  }

  private async announce(o: BlockResult): Promise<void> {
    if (!o.accepted) return;
    const conn = this.ctx.handle('ha')?.connection.conn;
    if (!conn) return;
    const data = {
      hash: o.hash,
      height: o.height,
      worker: o.worker,
      network: this.ctx.nodeSource?.status().chain ?? null,
      payout_address: this.ctx.config.node?.payoutAddress ?? null,
    };
    try {
      await conn.sendMessagePromise({ type: 'fire_event', event_type: 'micro_mining_block_found', event_data: data });
      await conn.sendMessagePromise({
        type: 'call_service',
        domain: 'persistent_notification',
        service: 'create',
        service_data: {
          notification_id: `micro_mining_block_${o.height}`,
          title: 'Micro Mining found a block',
          message: `Block ${o.height} (${o.hash}) on ${data.network ?? "the node's network"} was found by ${o.worker} and accepted by your node. It pays ${data.payout_address} once it has 100 confirmations.`,
        },
      });
    } catch (err) {
      this.ctx.log.warn({ err: { message: (err as Error).message ?? String(err) } }, 'could not announce the block in Home Assistant');
    }
  }
}
