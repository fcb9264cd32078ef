// mm-policy: when and how much to mine. Puts the policy on msg.policy (fields of an incoming
// msg.policy override the configured ones, e.g. from a dashboard). A power target on the hub
// (power_target: its allocation in the hub state's manual.power) goes on as msg.power.
import { manualInputSchema, parsePolicy, type PowerCap, type Policy, type PolicyInput } from '../../src/schedule/index.js';
import { kindOf, short, type Node, type NodeAPI, type NodeDef } from './red.js';

function list(v: unknown): string[] {
  return String(v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function numOrNull(v: unknown): number | null | string {
  if (v === undefined || v === null || String(v).trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : String(v);
}

/** The editor's fields as a policy input (strings parsed; bad ones left for the schema to name). */
export function policyFromConfig(c: NodeDef): PolicyInput {
  const stages = list(c.stages).map((s) => Number(s.replace(/\s*W$/i, '')));
  const quiet = list(c.quietHours).map((s) => {
    const [start, end] = s.split('-').map((x) => x.trim());
    return { start: start ?? '', end: end ?? '' };
  });
  const p: Record<string, unknown> = {
    mode: c.mode || 'idle_only',
    stagesW: stages,
    quietHours: quiet,
    yieldTo: list(c.yieldTo),
    maxHubThreads: numOrNull(c.maxHubThreads),
    staticBudgetW: numOrNull(c.staticBudgetW),
    priceCeiling: numOrNull(c.priceCeiling),
  };
  for (const k of ['headroomCores', 'maxHubLoadPercent', 'minRunSeconds', 'minPauseSeconds'] as const) {
    const v = numOrNull(c[k]);
    if (v !== null) p[k] = v;
  }
  return p as PolicyInput;
}

/** The power target's allocation the hub state carries (manual.power), checked; null without one. */
export function powerOf(state: unknown): PowerCap | null {
  const m = (state as { manual?: unknown } | null)?.manual;
  const power = m && typeof m === 'object' ? (m as { power?: unknown }).power : undefined;
  if (power === undefined || power === null) return null;
  const r = manualInputSchema.safeParse({ power });
  return r.success ? (r.data.power ?? null) : null;
}

export function describePolicy(p: Policy): string {
  const parts: string[] = [p.mode];
  if (p.mode === 'surplus') parts.push(p.stagesW.length ? `${p.stagesW.join('/')} W` : p.staticBudgetW !== null ? `${p.staticBudgetW} W static` : 'sensor');
  if (p.quietHours.length) parts.push(`quiet ${p.quietHours.map((q) => `${q.start}-${q.end}`).join(',')}`);
  if (p.priceCeiling !== null) parts.push(`≤ ${p.priceCeiling}`);
  return parts.join(', ');
}

export function registerPolicy(RED: NodeAPI): void {
  RED.nodes.registerType('mm-policy', function (this: Node, config: NodeDef) {
    RED.nodes.createNode(this, config);
    const configured = policyFromConfig(config);
    const base = parsePolicy(configured);
    if (!base.ok) {
      this.status({ fill: 'red', shape: 'ring', text: short(base.error) });
      this.error(`mm-policy: ${base.error}`);
    } else this.status({ fill: 'blue', shape: 'dot', text: short(describePolicy(base.value)) });

    this.on('input', (msg, send, done) => {
      if (!base.ok) {
        done(new Error(`mm-policy: the node's settings are invalid: ${base.error}`));
        return;
      }
      const over = msg.policy;
      if (over !== undefined && (over === null || typeof over !== 'object' || Array.isArray(over))) {
        done(new Error(`mm-policy: msg.policy must be an object of policy fields to override, got ${kindOf(over)}`));
        return;
      }
      const p = msg.payload as { appliances?: unknown } | null;
      if (p === null || typeof p !== 'object' || Array.isArray(p) || !Array.isArray(p.appliances)) {
        const got = p && typeof p === 'object' && !Array.isArray(p) ? 'an object without an appliances list' : kindOf(p);
        done(new Error(`mm-policy: msg.payload must be the hub state from an mm-appliances node, got ${got}`));
        return;
      }
      const merged = over ? parsePolicy({ ...configured, ...(over as object) }) : base;
      if (!merged.ok) {
        done(new Error(`mm-policy: msg.policy: ${merged.error}`));
        return;
      }
      const power = powerOf(p);
      if (over || power)
        this.status({
          fill: 'blue',
          shape: over ? 'ring' : 'dot',
          text: short(`${describePolicy(merged.value)}${over ? ' (msg)' : ''}${power ? ` · target ${power.target}` : ''}`),
        });
      msg.policy = merged.value;
      if (power) msg.power = power;
      send(msg);
      done();
    });
  });
}
