/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The status page's script (built into build/web/page.js by scripts/build-web.mjs; served by the
// status server as `page.js`, the page's content policy allows no inline script). It makes the
// server-rendered page live and draws the history:
//   - `api/events` (server-sent events): each `snapshot` re-renders the head, the figure cards,
//     the worker and appliance tables with the server's own renderers (src/app/status-render.ts:
//     every name and reason escaped there, every figure through src/core/format.ts);
//   - `api/history?span=` drawn with uPlot (bundled, nothing loaded from elsewhere): hashrate,
//     power with its target and surplus, accepted shares, best difficulty, and the plan as a band
//     per worker (working / paused, coloured by reason, the reason on hover or tap).
// Every URL is relative, so the page works under HA's ingress path. Light and dark follow the
// browser (prefers-color-scheme): HA's ingress passes no theme.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './page.css';
import { formatCount, formatDifficulty, formatHashrate, formatPower } from '../../core/format.js';
import type { HistoryQuery } from '../../history/index.js';
import { renderAppliances, renderCards, renderFoot, renderHead, renderWorkerRows } from '../status-render.js';
import type { HubStatus } from '../status.js';

type Span = HistoryQuery['span'];
type Pt = [number, number | null];
const byId = (id: string) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// live figures

let snapshots = 0;

function apply(s: HubStatus): void {
  const set = (id: string, html: string) => {
    const el = byId(id);
    if (el) el.innerHTML = html;
  };
  set('head', renderHead(s));
  set('cards', renderCards(s));
  set('workers', renderWorkerRows(s));
  set('appliances-box', renderAppliances(s.appliances));
  set('foot', renderFoot(s));
  snapshots++;
  document.body.dataset.snapshots = String(snapshots);
}

function follow(): void {
  const live = byId('live');
  const es = new EventSource('api/events');
  es.addEventListener('snapshot', (e) => {
    try {
      apply(JSON.parse((e as MessageEvent<string>).data) as HubStatus);
      if (live) live.textContent = 'live';
    } catch {
      if (live) live.textContent = 'a snapshot could not be read';
    }
  });
  es.addEventListener('error', () => {
    // the browser reconnects by itself (retry: 5 s); a 503 (too many live views) ends the stream
    if (live) live.textContent = es.readyState === EventSource.CLOSED ? 'not live: reload to try again' : 'reconnecting…';
  });
}

// ---------------------------------------------------------------------------------------------
// charts

let span: Span = '1h';
let last: HistoryQuery | null = null;
let charts: uPlot[] = [];
let refresh: number | undefined;

function colours() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return { fg: v('--muted', '#555'), grid: v('--line', '#ddd'), accent: v('--accent', '#03a9f4') };
}

/** x (seconds) and one column per series, aligned on the union of their times. */
function align(series: Pt[][]): uPlot.AlignedData {
  const times = [...new Set(series.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const cols = series.map((s) => {
    const m = new Map(s.map((p) => [p[0], p[1]]));
    return times.map((t) => m.get(t) ?? null);
  });
  return [times.map((t) => t / 1000), ...cols] as uPlot.AlignedData;
}

function chart(
  id: string,
  series: Array<{ label: string; points: Pt[]; colour: string; fmt: (v: number) => string; bars?: boolean; dash?: number[] }>,
  opts: { log?: boolean; fmt: (v: number) => string },
): void {
  const el = byId(id);
  if (!el || !last) return;
  el.textContent = '';
  const c = colours();
  const shown = series.filter((s, i) => i === 0 || s.points.some((p) => p[1] !== null));
  const data = align(shown.map((s) => (opts.log ? s.points.map((p): Pt => [p[0], p[1] !== null && p[1] > 0 ? p[1] : null]) : s.points)));
  const width = Math.max(260, el.clientWidth || 600);
  const u = new uPlot(
    {
      width,
      height: width < 500 ? 160 : 200,
      scales: {
        x: { time: true, range: [last.from_ms / 1000, last.to_ms / 1000] },
        y: opts.log ? { distr: 3 } : { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] },
      },
      axes: [
        { stroke: c.fg, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid } },
        {
          stroke: c.fg,
          grid: { stroke: c.grid, width: 1 },
          ticks: { stroke: c.grid },
          size: 70,
          values: (_u, splits) => splits.map((v) => (v === null ? '' : opts.fmt(v))),
        },
      ],
      series: [
        { value: (_u, v) => (v === null ? '' : new Date(v * 1000).toLocaleString()) },
        ...shown.map((s) => ({
          label: s.label,
          stroke: s.colour,
          fill: s.bars ? s.colour : undefined,
          width: 1.5,
          dash: s.dash,
          spanGaps: false,
          paths: s.bars ? uPlot.paths.bars!({ size: [0.8, 40] }) : undefined,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : s.fmt(v)),
        })),
      ],
      legend: { live: true },
    },
    data,
    el,
  );
  charts.push(u);
}

/** A colour per reason (numbers in a reason do not make a new colour): greens for working, warm for paused. */
function reasonColour(decision: 'work' | 'pause', reason: string): string {
  const key = reason.replace(/[\d.,]+/g, '#');
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  const work = ['#2e7d32', '#43a047', '#00897b', '#1e88e5', '#5e9e3a'];
  const pause = ['#e65100', '#c62828', '#f9a825', '#8e24aa', '#6d4c41', '#d81b60'];
  const list = decision === 'work' ? work : pause;
  return list[h % list.length];
}

function timeline(q: HistoryQuery): void {
  const box = byId('timeline');
  const detail = byId('timeline-detail');
  if (!box) return;
  box.textContent = '';
  const total = Math.max(1, q.to_ms - q.from_ms);
  const workers = [...new Set(q.plan.map((p) => p.worker))];
  if (workers.length === 0) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = 'No plan decisions in this span yet.';
    box.append(p);
    return;
  }
  const legend = new Map<string, string>();
  for (const w of workers) {
    const row = document.createElement('div');
    row.className = 'tl-row';
    const name = document.createElement('span');
    name.className = 'tl-name';
    name.textContent = w;
    const band = document.createElement('div');
    band.className = 'tl-band';
    for (const p of q.plan.filter((x) => x.worker === w)) {
      const from = Math.max(p.from, q.from_ms);
      const to = Math.min(p.to, q.to_ms);
      if (to <= from) continue;
      const seg = document.createElement('span');
      seg.className = `tl-seg tl-${p.decision}`;
      seg.tabIndex = 0;
      seg.style.left = `${((from - q.from_ms) / total) * 100}%`;
      seg.style.width = `${Math.max(0.3, ((to - from) / total) * 100)}%`;
      const colour = reasonColour(p.decision, p.reason);
      seg.style.backgroundColor = colour;
      const text = `${w}: ${p.decision === 'work' ? 'working' : 'paused'} from ${new Date(p.from).toLocaleString()} to ${new Date(p.to).toLocaleString()}: ${p.reason || 'no reason given'}`;
      seg.title = text;
      seg.dataset.decision = p.decision;
      seg.dataset.reason = p.reason;
      const show = () => {
        if (detail) detail.textContent = text;
      };
      seg.addEventListener('mouseenter', show);
      seg.addEventListener('focus', show);
      seg.addEventListener('click', show);
      band.append(seg);
      legend.set(`${p.decision === 'work' ? 'working' : 'paused'}: ${p.reason.replace(/\d[\d.,]*/g, '…')}`, colour);
    }
    row.append(name, band);
    box.append(row);
  }
  const keys = document.createElement('ul');
  keys.className = 'tl-legend';
  for (const [text, colour] of [...legend].slice(0, 12)) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'tl-swatch';
    sw.style.background = colour;
    li.append(sw, document.createTextNode(text));
    keys.append(li);
  }
  box.append(keys);
}

function draw(): void {
  for (const c of charts) c.destroy();
  charts = [];
  const q = last;
  if (!q) return;
  const c = colours();
  const how = [...q.series.power_source].reverse().find((p) => p[1] !== null)?.[1] ?? 'estimated';
  chart(
    'chart-hashrate',
    [
      { label: 'home', points: q.series.hashrate, colour: c.accent, fmt: formatHashrate },
      { label: 'hub', points: q.series.hub_hashrate, colour: '#8e24aa', fmt: formatHashrate, dash: [4, 3] },
    ],
    { fmt: formatHashrate },
  );
  chart(
    'chart-power',
    [
      { label: `mining power (${how})`, points: q.series.power_w, colour: '#ef6c00', fmt: (v) => formatPower(v) },
      { label: 'power target', points: q.series.target_w, colour: '#2e7d32', fmt: (v) => formatPower(v), dash: [6, 4] },
      { label: 'surplus', points: q.series.surplus_w, colour: '#1e88e5', fmt: (v) => formatPower(v), dash: [2, 3] },
    ],
    { fmt: (v) => formatPower(v) },
  );
  chart(
    'chart-shares',
    [
      {
        label: `accepted shares per ${q.step_s >= 60 ? `${q.step_s / 60} min` : `${q.step_s} s`}`,
        points: q.series.shares,
        colour: '#00897b',
        fmt: formatCount,
        bars: true,
      },
    ],
    { fmt: (v) => (Number.isInteger(v) ? formatCount(v) : '') },
  );
  chart('chart-best', [{ label: 'best share difficulty', points: q.series.best_difficulty, colour: '#c62828', fmt: formatDifficulty }], {
    log: true,
    fmt: formatDifficulty,
  });
  timeline(q);
  document.body.dataset.charts = String(charts.length);
}

async function load(): Promise<void> {
  const section = byId('history');
  try {
    const r = await fetch(`api/history?span=${span}`, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${r.status}`);
    last = (await r.json()) as HistoryQuery;
    if (section) section.hidden = false;
    draw();
    document.body.dataset.historySpan = span;
  } catch {
    // no history (not running, or the hub is away): the page stays as it is
  }
  window.clearTimeout(refresh);
  refresh = window.setTimeout(() => void load(), span === '1h' ? 20_000 : 60_000);
}

function spans(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-span]')) {
    b.addEventListener('click', () => {
      span = b.dataset.span as Span;
      for (const o of document.querySelectorAll<HTMLButtonElement>('button[data-span]')) o.setAttribute('aria-pressed', String(o === b));
      void load();
    });
  }
}

function start(): void {
  spans();
  follow();
  void load();
  let resize: number | undefined;
  window.addEventListener('resize', () => {
    window.clearTimeout(resize);
    resize = window.setTimeout(draw, 200);
  });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
