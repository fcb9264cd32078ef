// The status page's "join this hub" panel (docs/workers.md): the exact commands that make another
// computer of the home a worker, for this hub's address on the network, the worker page link, and
// the bind warning when the endpoint or the page listen on loopback only. Pure: the caller passes
// the addresses (lanAddresses() reads this machine's).
import { networkInterfaces } from 'node:os';

export interface JoinView {
  /** this hub's address on the home network (lanAddresses()[0]); null: none found */
  lanAddress: string | null;
  statusPort: number;
  /** null: the Stratum endpoint is off */
  stratumPort: number | null;
  /** the addresses the endpoint and the status page listen on (127.0.0.1 standalone by default) */
  stratumBind: string;
  statusBind: string;
  /** in the add-on the page answers only through HA: the package is downloaded there */
  addon: boolean;
}

/** This machine's IPv4 addresses on a network (not loopback, not link-local), private ranges first. */
export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) out.push(a.address);
    }
  }
  const priv = (ip: string) => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
  return out.sort((a, b) => Number(priv(b)) - Number(priv(a)));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loopback = (bind: string) => bind === '127.0.0.1' || bind === '::1' || bind === 'localhost';

/** The commands a user types on the other computer (plain text; the panel shows them). */
export function joinCommands(v: JoinView): { install: string; run: string } | null {
  if (v.stratumPort === null) return null;
  const host = v.lanAddress ?? 'HUB';
  const install = v.addon ? 'npm install -g ./micro-mining-worker.tgz' : `npm install -g http://${host}:${v.statusPort}/worker/package.tgz`;
  return { install, run: `micro-mining worker --hub stratum+tcp://${host}:${v.stratumPort} --name NAME` };
}

/** The panel's HTML (escaped; relative links, so it works under HA's ingress prefix). */
export function renderJoinPanel(v: JoinView): string {
  const cmds = joinCommands(v);
  if (!cmds) {
    return '<section id="join"><h2>Join this hub</h2><p>The Stratum endpoint is off: no worker can join (turn it on: <code>--stratum-port</code>, or the add-on option <code>stratum_port</code>).</p></section>';
  }
  const warn: string[] = [];
  if (loopback(v.stratumBind))
    warn.push(`the Stratum endpoint listens on ${esc(v.stratumBind)} only: start the hub with <code>--stratum-bind 0.0.0.0</code> so other computers can join`);
  if (!v.addon && loopback(v.statusBind))
    warn.push(
      `this page listens on ${esc(v.statusBind)} only: start the hub with <code>--status-bind 0.0.0.0</code> so other computers can download the worker`,
    );
  if (!v.lanAddress) warn.push('no network address found for this machine: put its address in place of HUB');
  const download = v.addon
    ? '<a href="worker/package.tgz" download="micro-mining-worker.tgz">download micro-mining-worker.tgz</a>, copy it to the computer, then there'
    : 'on the computer (Node.js 20 or newer)';
  return `<section id="join"><h2>Join this hub</h2>
<p>Another computer (PC, NAS, Raspberry Pi) hashes for this hub while it is idle: ${download}:</p>
<pre>${esc(cmds.install)}
${esc(cmds.run)}</pre>
<p>A tablet or any browser: open <a href="worker">the worker page</a>${v.addon || !v.lanAddress ? '' : ` (<code>http://${esc(v.lanAddress)}:${v.statusPort}/worker</code>)`}.</p>
${warn.map((w) => `<p class="warn">${w}.</p>`).join('\n')}</section>`;
}
