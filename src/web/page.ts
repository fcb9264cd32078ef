// The worker page's HTML: a wall tablet or any browser on the home network joins the hub as a
// worker. Everything it runs is served from the hub (worker/miner.js); no inline script.

export interface WorkerPageView {
  endpoint: boolean;
  passwordRequired: boolean;
  /** the hub lets the page hash on the GPU (WebGPU) where the browser has it (default true) */
  gpu?: boolean;
  /** test mode: the page honours its test hooks (?mm-test-fault=…); never set outside tests */
  testHooks?: boolean;
}

export function renderWorkerPage(o: WorkerPageView): string {
  const note = o.endpoint ? '' : '<p class="warn">The hub\'s Stratum endpoint is off: this page cannot join (turn on the endpoint in the add-on options).</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Micro Mining worker</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:40rem;color:#222;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}dl{display:grid;grid-template-columns:9rem 1fr;gap:.3rem .8rem}dt{color:#666}
input{font:inherit;padding:.3rem;width:14rem}button{font:inherit;padding:.4rem 1rem}
.warn{color:#a40}pre{background:#eee;padding:.5rem;max-height:12rem;overflow:auto;font-size:.8rem}
</style></head>
<body data-state="idle" data-gpu="${o.gpu === false ? '0' : '1'}"${o.testHooks ? ' data-test-hooks="1"' : ''}>
<h1>Micro Mining: this browser as a worker</h1>
<p>While this page is open and visible, this device hashes for the hub when the hub's plan says so.
It stops when the page is hidden, when the device runs on battery (where the browser tells), and
whenever the hub pauses it. It hashes on the GPU (WebGPU) where the browser offers it and the hub
allows it, else on the CPU (WebAssembly). Mining like this earns almost nothing; it uses this
device's power.</p>
${note}
<form autocomplete="off">
<p><label>Worker name <input id="name" maxlength="64" placeholder="kitchen-tablet"></label></p>
<p><label>Endpoint password <input id="password" type="password" maxlength="128" placeholder="${o.passwordRequired ? 'required by this hub' : 'none needed'}"></label></p>
<p><button id="start" type="button">Start</button></p>
</form>
<dl>
<dt>State</dt><dd id="state">not started</dd>
<dt>Kernel</dt><dd id="kernel">not started</dd>
<dt>Threads</dt><dd id="threads">0</dd>
<dt>Hashrate</dt><dd id="rate">0 kH/s</dd>
<dt>Shares</dt><dd id="shares">0 accepted, 0 rejected</dd>
<dt>Hashes</dt><dd id="hashes">0</dd>
</dl>
<pre id="log"></pre>
<h2>Another computer (PC, NAS, Raspberry Pi)</h2>
<p>With Node.js 20 or newer on it, install the worker from this hub and start it
(<a href="worker/package.tgz" download="micro-mining-worker.tgz">download micro-mining-worker.tgz</a>):</p>
<pre>npm install -g ./micro-mining-worker.tgz
micro-mining worker --hub stratum+tcp://HUB:3333 --name office-pc</pre>
<p>HUB is this hub's address on your network; the hub's Stratum endpoint must listen beyond
127.0.0.1 (the add-on does; a standalone hub needs <code>--stratum-bind 0.0.0.0</code>).</p>
<script src="worker/miner.js"></script>
</body></html>
`;
}
