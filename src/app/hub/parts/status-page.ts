/**
 * Status part: the status page, `/api/status` and the health endpoint (rendered from the
 * snapshot), the browser worker page under `worker`, and the Node-RED editor under `node-red`
 * where that is safe.
 *
 * consumes: snapshot (sent to the page's live views, `api/events`); a request reads the snapshot now
 * uses: handles `flow` (the editor's port), `workerPage`, `history` (`api/history`)
 * offers: handle `statusServer`
 */
import { StatusServer } from '../../status.js';
import { Part } from '../context.js';
import { portInUse } from '../ports.js';

export class StatusPart extends Part {
  readonly name = 'status';

  async start(): Promise<void> {
    const ctx = this.ctx;
    const c = ctx.config;
    // the editor goes through the status port (HA ingress has one port) only where that port is
    // not open to the network without a login: an allow list (the add-on: the ingress proxy),
    // a loopback address, or editor credentials
    const loopback = c.status.bind === '127.0.0.1' || c.status.bind === '::1' || c.status.bind === 'localhost';
    const editor = ctx.handle('flow')?.address();
    const nodeRed = editor && (c.status.allow.length > 0 || loopback || (c.nodeRed.username && c.nodeRed.password)) ? { host: '127.0.0.1', port: editor.port, hosts: c.nodeRed.hosts } : null;
    const s = new StatusServer({ port: c.status.port, host: c.status.bind, allow: c.status.allow, status: () => ctx.snapshot().status, nodeRed, worker: ctx.handle('workerPage'), history: () => ctx.handle('history'), logger: ctx.logger('status') });
    ctx.provide('statusServer', s);
    await s.start().catch((err) => {
      throw portInUse(err, 'status_port', 'status page', c.status.port, 'another micro-mining?', '');
    });
    this.stops.add('status page', () => s.stop());
    this.on('snapshot', (snap) => s.publish(snap.status));
  }
}
