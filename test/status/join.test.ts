// Issue 24 item 5: the status page's "join this hub" panel on a real hub: the exact commands for
// another computer (the package the hub serves, the hub's Stratum port), the worker page link, and
// the bind warnings while the endpoint and the page listen on loopback (the standalone default).
// The QR code of the worker page is an inline SVG made on the hub (qrcode-generator).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startTestHub } from '../support/hub.js';
import type { Hub } from '../../src/app/hub.js';
import { qrSvg } from '../../src/app/join-qr.js';

let hub: Hub;
before(async () => {
  hub = await startTestHub();
});
after(() => hub?.stop());

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 30_000 }, (res) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the page has a join panel with the install and run commands for this hub, and the loopback warnings', async () => {
  const port = hub.statusServer?.port ?? 0;
  const stratum = hub.server?.address().port ?? 0;
  const html = await get(port, '/');
  const panel = html.slice(html.indexOf('<section id="join">'));
  assert.ok(panel.startsWith('<section id="join">'), 'the panel is on the page');
  assert.match(panel, new RegExp(`npm install -g http://[^ <]+:${port}/worker/package\\.tgz`));
  assert.match(panel, new RegExp(`micro-mining worker --hub stratum\\+tcp://[^ <]+:${stratum} --name NAME`));
  assert.match(panel, /<a href="worker">the worker page<\/a>/);
  assert.match(panel, /--stratum-bind 0\.0\.0\.0/);
  assert.match(panel, /--status-bind 0\.0\.0\.0/);
  // on loopback no QR code: nothing else could open that address
  assert.doesNotMatch(panel.slice(0, panel.indexOf('</section>')), /<svg/);
});

test('the QR code is an inline SVG of the address; an oversized text gives none', () => {
  const svg = qrSvg('http://192.168.1.20:8099/worker', 'QR code of the worker page');
  assert.match(svg, /<svg[^>]*>/);
  assert.match(svg, /QR code of the worker page/);
  assert.doesNotMatch(svg, /<script|https?:\/\/(?!www\.w3\.org)/, 'nothing to load, no script');
  assert.equal(qrSvg('x'.repeat(300), 'too long'), '');
});
