/**
 * Status part: the status page, `/api/status` and the health endpoint (rendered from the
 * snapshot), the browser worker page under `worker`, and the Node-RED editor under `node-red`
 * where that is safe.
 *
 * consumes: snapshot (sent to the page's live views, `api/events`); a request reads the snapshot now
 * uses: handles `flow` (the editor's port), `workerPage`, `history` (`api/history`)
 * offers: handle `statusServer`
 */
import { lanAddresses, renderJoinPanel } from '../../../web/index.js';
import { qrSvg } from '../../join-qr.js';
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
    const nodeRed =
      editor && (c.status.allow.length > 0 || loopback || (c.nodeRed.username && c.nodeRed.password))
        ? { host: '127.0.0.1', port: editor.port, hosts: c.nodeRed.hosts }
        : null;
    const s = new StatusServer({
      port: c.status.port,
      host: c.status.bind,
      allow: c.status.allow,
      status: () => ctx.snapshot().status,
      nodeRed,
      worker: ctx.handle('workerPage'),
      history: () => ctx.handle('history'),
      join: () => join,
      logger: ctx.logger('status'),
    });
    let join = '';
    ctx.provide('statusServer', s);
    await s.start().catch((err) => {
      throw portInUse(err, 'status_port', 'status page', c.status.port, 'another micro-mining?', '');
    });
    this.stops.add('status page', () => s.stop());
    // "join this hub": the commands for another computer and the worker page, for this hub's
    // address on the network (made once: the ports are known now); a QR code of the worker page
    // where other devices can reach it (standalone with --status-bind beyond loopback)
    const lan = lanAddresses()[0] ?? null;
    const server = ctx.handle('server');
    const view = {
      lanAddress: lan,
      statusPort: s.port,
      stratumPort: server ? server.address().port : null,
      stratumBind: c.stratum.bind,
      statusBind: c.status.bind,
      addon: c.addon,
    };
    const reachable = lan && !c.addon && !/^(127\.|::1$|localhost$)/.test(c.status.bind);
    const qr = reachable ? qrSvg(`http://${lan}:${s.port}/worker`, 'QR code of the worker page') : '';
    join = renderJoinPanel(view).replace('</section>', qr ? `<div class="qr">${qr}</div></section>` : '</section>');
    this.on('snapshot', (snap) => s.publish(snap.status));
  }
}
