// The status page's HTML, pure: the server renders the whole page from a snapshot (it works
// without JavaScript), and the page's script (src/app/page) re-renders the live parts from each
// `snapshot` event with these same functions. Every name, reason and text from outside goes
// through esc(); every figure through the one formatter (src/core/format.ts).
import { formatDifficulty, formatDuration, formatEnergy, formatHashrate, formatOdds, formatPower, type FigureSource } from '../core/format.js';
import type { HubStatus } from './status.js';

export const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The JSON of `/api/status` and of each `snapshot` event: the status, JSON-safe, with its figures written once (`text`). */
export function statusJson(s: HubStatus): string {
  const how = sourceOf(s.powerHow) ?? 'estimated';
  const text = {
    hashrate: formatHashrate(s.mining ? s.hashrate : 0),
    hub_hashrate: formatHashrate(s.hubHashrate),
    odds_per_day: formatOdds(s.oddsPerDay),
    expected_time_to_block: Number.isFinite(s.expectedTimeToBlock) ? formatDuration(s.expectedTimeToBlock) : 'never (not hashing)',
    power: formatPower(s.powerW, how),
    energy: formatEnergy(s.energyKWh, how),
    best_difficulty: formatDifficulty(s.bestDifficulty.session),
    best_difficulty_all_time: formatDifficulty(s.bestDifficulty.allTime),
    network_difficulty: formatDifficulty(s.networkDifficulty),
  };
  return JSON.stringify({ ...s, expectedTimeToBlock: Number.isFinite(s.expectedTimeToBlock) ? s.expectedTimeToBlock : null, text });
}

/** The weakest source named in a watt text (a sum is as good as its worst part): `hub 6 W estimated; …` -> estimated. */
export function sourceOf(text: string | null | undefined): FigureSource | null {
  if (!text) return null;
  if (/estimated/.test(text)) return 'estimated';
  if (/declared/.test(text)) return 'declared';
  if (/measured|plug/.test(text)) return 'measured';
  return null;
}

/** The page's own style: HA's light and dark look, following the browser (HA's ingress passes no theme). */
const STYLE = `:root{--bg:#fafafa;--fg:#1c1c1c;--card:#fff;--line:#ddd;--muted:#555;--accent:#03a9f4;--practice:#fde68a;--real:#bbf7d0;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#111111;--fg:#e1e1e1;--card:#1c1c1c;--line:#333;--muted:#9b9b9b;--accent:#03a9f4;--practice:#6b5a12;--real:#1f5130}}
body{font-family:system-ui,-apple-system,Roboto,sans-serif;margin:0 auto;padding:1rem;max-width:80rem;color:var(--fg);background:var(--bg)}
h1{font-size:1.4rem;margin:0 0 .2rem} h2{font-size:1.15rem;margin:1.2rem 0 .5rem}
.warn{border-left:4px solid #d97706;padding:.3rem .6rem;background:var(--card)} .qr svg{width:10rem;height:10rem;background:#fff} #join pre{white-space:pre-wrap;overflow-wrap:anywhere} #join code{overflow-wrap:anywhere}
.mode{display:inline-block;padding:.1rem .5rem;border-radius:.4rem;font-size:1rem;font-weight:normal} .mode-practice{background:var(--practice)} .mode-real{background:var(--real)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.7rem;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.7rem}
.card b{display:block;font-size:1.3rem} .card span{color:var(--muted);font-size:.85rem} .card .line{display:block}
.reason{background:var(--card);border-left:4px solid var(--accent);padding:.6rem .8rem}
.scroll{overflow-x:auto} table{border-collapse:collapse;width:100%;background:var(--card)}
td,th{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top} .note{color:var(--muted);font-size:.85rem}
a{color:var(--accent)}
@media (max-width:40rem){body{padding:.5rem} td,th{padding:.2rem .3rem;font-size:.85rem}}`;

/** A watt figure of a worker with its source ('plug' is measured by a smart plug). */
function workerWatts(watts: number, how: HubStatus['workers'][number]['how']): string {
  if (how === 'plug') return `${formatPower(watts, 'measured')} by plug`;
  return formatPower(watts, how ?? null);
}

/**
 * A worker's hashrate as far as its shares tell: a few shares give a wide interval, so until the
 * estimate has settled it is shown with its 95 % range and the share count (as pools do).
 */
export function formatWorkerHashrate(w: Pick<HubStatus['workers'][number], 'hashrate' | 'estimate' | 'hashrateFrom'>): string {
  const e = w.estimate;
  if (w.hashrateFrom === 'reported') {
    // its own figure; the shares' estimate is the cross-check
    const check = e && e.shares > 0 && e.hashrate !== undefined ? `; shares: ${formatWorkerHashrate({ hashrate: e.hashrate, estimate: e })}` : '';
    return `${formatHashrate(w.hashrate)} reported${check}`;
  }
  if (!e || e.settled) return formatHashrate(w.hashrate);
  if (e.shares === 0) return 'no shares yet';
  return `~${formatHashrate(w.hashrate)} (${formatHashrate(e.low)} to ${formatHashrate(e.high)}, ${e.shares} share${e.shares === 1 ? '' : 's'})`;
}

/** The appliances table, grouped by area (areas by name, devices without an area last). */
export function renderAppliances(a: HubStatus['appliances']): string {
  const groups = new Map<string, HubStatus['appliances']['list']>();
  for (const x of [...a.list].sort((p, q) => (p.area ?? '\uffff').localeCompare(q.area ?? '\uffff') || p.name.localeCompare(q.name))) {
    const key = x.area ?? 'No area';
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  const body = [...groups]
    .map(
      ([area, list]) =>
        `<tr class="area"><th colspan="4">${esc(area)}</th></tr>` +
        list
          .map(
            (x) =>
              `<tr><td>${esc(x.name)}</td><td>${esc(x.role)}</td><td class="st-${esc(x.status)}">${esc(x.status)}</td><td>${esc(x.reason)}${x.why ? `<br><span class="note">${esc(x.why)}</span>` : ''}</td></tr>`,
          )
          .join(''),
    )
    .join('');
  const ignored = a.ignored ? ` ${a.ignored} other device${a.ignored === 1 ? ' is' : 's are'} not appliances (sensors, lights, covers, inputs…).` : '';
  return `<h2 id="appliances">Appliances</h2>
<p class="note" id="appliance-counts">${a.idle} idle, ${a.busy} busy of ${a.total} appliance${a.total === 1 ? '' : 's'}.${ignored}</p>
<div class="scroll"><table><thead><tr><th>appliance</th><th>role</th><th>status</th><th>reason</th></tr></thead><tbody>${body || '<tr><td colspan="4">no appliances</td></tr>'}</tbody></table></div>`;
}

/** Solo mining: the node's network, height, connection and template age, and the last block sent. */
function renderNode(n: NonNullable<HubStatus['node']>): string {
  const state = n.state === 'ready' ? 'connected' : n.state;
  const last = n.lastBlock ? ` · last block ${n.lastBlock.height} ${n.lastBlock.accepted ? 'accepted' : `not accepted: ${esc(n.lastBlock.reason ?? '')}`}` : '';
  return `<p class="note" id="node">Node ${esc(n.node)}: ${esc(state)}${n.chain ? `, ${esc(n.chain)}` : ''}${n.height !== null ? `, height ${n.height}` : ''}${n.templateAgeS !== null ? `, template ${n.templateAgeS} s old` : ''}; blocks sent ${n.blocksSubmitted}, accepted ${n.blocksAccepted}${last}${n.message ? `<br>${esc(n.message)}` : ''}</p>`;
}

/** The worker table's rows. */
export function renderWorkerRows(s: HubStatus): string {
  const rows = s.workers.map(
    (w) =>
      `<tr><td>${esc(w.name)}${w.kind && w.kind !== 'miner' ? ` (${w.kind === 'agent' ? 'computer' : 'browser'})` : ''}${w.device ? `<br><span class="note">${esc(w.device)}</span>` : ''}</td><td>${esc(w.status)}</td><td>${esc(w.asked ?? '')}</td><td>${esc(w.did ?? '')}</td><td>${esc(formatWorkerHashrate(w))}</td><td>${esc(w.kernel ?? '')}</td><td>${w.watts !== undefined ? esc(workerWatts(w.watts, w.how)) : ''}</td><td>${w.accepted}</td><td>${w.rejected}</td><td>${esc(formatDifficulty(w.bestDifficulty))}</td></tr>`,
  );
  return rows.join('') || '<tr><td colspan="10">no local miners connected</td></tr>';
}

/** The mode line and the plan's one-line reason (the live head of the page). */
export function renderHead(s: HubStatus): string {
  const mode =
    s.mode === 'practice'
      ? 'practice mode: earns nothing, no pool'
      : s.mode === 'solo'
        ? esc(s.source)
        : `pool: ${esc(s.source)}${s.connection === 'connected' ? '' : ' (connecting)'}`;
  return `<h1>Micro Mining <span class="mode mode-${s.mode === 'practice' ? 'practice' : 'real'}" id="mode">${mode}</span></h1>
${s.node ? renderNode(s.node) : ''}
<p class="reason" id="decision">${esc(s.decision || (s.mining ? 'mining' : 'not mining'))}</p>`;
}

/** The figure cards. */
export function renderCards(s: HubStatus): string {
  const how = sourceOf(s.powerHow) ?? 'estimated';
  return `<div class="card"><span>hashrate</span><b id="hashrate">${esc(formatHashrate(s.mining ? s.hashrate : 0))}</b><span>hub ${esc(formatHashrate(s.hubHashrate))}, ${s.threads} thread${s.threads === 1 ? '' : 's'} running, kernel ${esc(s.kernel)}</span><span id="threads" class="line">${esc(s.threadLimit ?? `up to ${s.maxThreads} threads`)}</span></div>
<div class="card"><span>odds of a block per day</span><b id="odds">${esc(formatOdds(s.oddsPerDay))}</b><span>expected time to a block: ${esc(Number.isFinite(s.expectedTimeToBlock) ? formatDuration(s.expectedTimeToBlock) : 'never (not hashing)')}</span></div>
<div class="card"><span>power</span><b id="power">${esc(formatPower(s.powerW, how))}</b><span>${esc(s.powerHow ?? 'estimated')}; ${esc(formatEnergy(s.energyKWh, how))} used</span></div>
<div class="card"><span>shares</span><b id="shares">${s.shares.accepted} accepted</b><span>${s.shares.rejected} rejected, ${s.shares.stale} stale</span></div>
<div class="card"><span>best share difficulty</span><b id="best">${esc(formatDifficulty(s.bestDifficulty.session))}</b><span>all time ${esc(formatDifficulty(s.bestDifficulty.allTime))}; blocks found ${s.blocksFound}</span></div>
<div class="card"><span>network difficulty</span><b id="network">${esc(formatDifficulty(s.networkDifficulty))}</b><span>policy ${esc(s.policy)}; appliances idle ${s.appliances.idle}/${s.appliances.total}</span></div>`;
}

/** The connections line at the foot. */
export function renderFoot(s: HubStatus): string {
  // a refused token (or another reason HA is not connected) says why and how to fix it (hub/parts/scheduling.ts `ha`)
  const ha =
    s.haConnected === null
      ? 'not configured'
      : s.haConnected
        ? 'connected'
        : s.ha?.state === 'auth_failed' && s.ha.error
          ? esc(s.ha.error)
          : 'away (reconnecting)';
  return `Home Assistant: ${ha} · MQTT: ${s.mqttConnected === null ? 'off' : s.mqttConnected ? 'connected' : 'not connected (retrying)'} · CPU mining earns almost nothing; the odds above are what they are.`;
}

/**
 * The status page: one HTML document with no external resources; page.js (src/app/page, built by
 * scripts/build-web.mjs) makes it live (server-sent events) and draws the history. Without the
 * script it still shows everything and reloads itself every 10 s.
 */
export function renderStatusPage(s: HubStatus, ingressPath = '', nodeRedLink = false, joinHtml = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>Micro Mining</title>
<noscript><meta http-equiv="refresh" content="10"></noscript>
<style>${STYLE}</style>
<link rel="stylesheet" href="page.css">
<script src="page.js" defer></script>
</head><body data-ingress="${esc(ingressPath)}">
<div id="head">${renderHead(s)}</div>
${s.totals?.notice ? `<p class="warn" id="totals-notice">${esc(s.totals.notice)}</p>` : ''}
<div class="grid" id="cards">${renderCards(s)}</div>
<section id="history" hidden>
<div class="bar"><h2>History</h2><span class="spans" role="group" aria-label="span"><button type="button" data-span="1h" aria-pressed="true">1 h</button><button type="button" data-span="24h" aria-pressed="false">24 h</button><button type="button" data-span="30d" aria-pressed="false">30 d</button></span><span class="note" id="live">connecting…</span></div>
<div class="charts"><figure><figcaption>hashrate</figcaption><div id="chart-hashrate" class="chart"></div></figure>
<figure><figcaption>power</figcaption><div id="chart-power" class="chart"></div></figure>
<figure class="wide"><figcaption>the plan per worker: working or paused, and why</figcaption><div id="timeline" class="timeline"></div><p class="note" id="timeline-detail">Point at a band for its reason.</p></figure>
<figure><figcaption>accepted shares</figcaption><div id="chart-shares" class="chart"></div></figure>
<figure><figcaption>best share difficulty</figcaption><div id="chart-best" class="chart"></div></figure></div>
</section>
<h2>Workers</h2>
<div class="scroll"><table><thead><tr><th>worker</th><th>status</th><th>asked</th><th>did</th><th>hashrate</th><th>kernel</th><th>power</th><th>accepted</th><th>rejected</th><th>best</th></tr></thead><tbody id="workers">${renderWorkerRows(s)}</tbody></table></div>
<div id="appliances-box">${renderAppliances(s.appliances)}</div>
${joinHtml}
<p class="note"><span id="foot">${renderFoot(s)}</span> <a href="api/status">status JSON</a> · <a href="api/history?span=24h">history JSON</a>${nodeRedLink ? ' · <a href="node-red/">Node-RED flows</a>' : ''}</p>
</body></html>`;
}
