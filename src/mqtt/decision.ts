// The scheduler's plan as an HA enum state and a reason without live figures. Pure.
//
// The plan's one-line summary embeds the live hashrate and watts, so as an HA state it changed
// every few seconds (a logbook row each time). Here the decision is a word from DECISIONS that
// changes only when the decision does, and the reason keeps only what is stable (names, settings,
// counts of threads and miners); the figures stay on the hashrate/power sensors and the status page.
import { truncateState } from './entities.js';
import type { Decision } from './types.js';

/** The parts of the scheduler's Plan this reads (structural: src/schedule is not imported). */
export interface PlanLike {
  mode: string;
  hubThreads: number;
  workers: ReadonlyArray<{ kind: 'hub' | 'miner'; action: 'work' | 'pause'; reason: string }>;
  gate: string | null;
}

export interface DecisionState {
  decision: Decision;
  reason: string;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A gate (nothing mines at all) or a worker's pause reason, as a decision and a stable reason. */
function classifyReason(text: string): DecisionState {
  let m: RegExpExecArray | null;
  if (/switched off by hand/.test(text)) return { decision: 'switched off', reason: 'mining switched off by hand (HA switch or Node-RED)' };
  if (/^quiet hours/.test(text)) return { decision: 'quiet hours', reason: text };
  if ((m = /^price \S+ above ceiling (\S+)/.exec(text))) return { decision: 'price too high', reason: `electricity price above the ceiling ${m[1]}` };
  if (/mining yields to it$/.test(text)) return { decision: 'appliance busy', reason: text };
  if (/^surplus mode without a budget/.test(text))
    return { decision: 'no power budget', reason: 'surplus mode without a budget: no surplus sensor reading and no static budget' };
  if (/^does not fit the budget/.test(text)) return { decision: 'no power budget', reason: 'the power budget is too small for any worker' };
  if ((m = /^hub CPU busy: .*> (\d+)%/.exec(text))) return { decision: 'hub busy', reason: `the hub's CPU is used by others above ${m[1]}%` };
  if ((m = /^the rest of the machine uses \d+% CPU, above the (\d+)% limit/.exec(text)))
    return { decision: 'hub busy', reason: `the hub's CPU is used by others above ${m[1]}%` };
  if ((m = /^hub (.*) is (\S+)$/.exec(text))) {
    // without HA the hub's appliance is the hub itself ("hub hub is busy"): its CPU is in use
    return { decision: 'hub busy', reason: m[1] === 'hub' ? "the hub's CPU is busy with other work" : `${m[1]} (the hub's device) is ${m[2]}` };
  }
  if (/minimum pause\)?$/.test(text)) return { decision: 'waiting', reason: 'minimum pause after a stop' };
  if (/^no hub threads/.test(text) || /^not connected$/.test(text)) return { decision: 'no workers', reason: text };
  if (/ is \S+$/.test(text)) return { decision: 'appliance busy', reason: text };
  return { decision: 'paused', reason: text.replace(/\d+(\.\d+)?/g, 'N') };
}

/** The decision of a plan (none yet: `starting`). */
export function describeDecision(plan: PlanLike | null | undefined): DecisionState {
  if (!plan) return { decision: 'starting', reason: 'waiting for the first plan' };
  const working = plan.workers.filter((w) => w.action === 'work');
  if (working.length > 0) {
    const miners = working.filter((w) => w.kind === 'miner').length;
    const parts: string[] = [];
    if (plan.hubThreads > 0) parts.push(`hub ${plural(plan.hubThreads, 'thread')}`);
    if (miners > 0) parts.push(plural(miners, 'miner'));
    return { decision: 'mining', reason: truncateState(`${parts.join(', ')}; policy ${plan.mode}`) };
  }
  if (plan.gate) return finish(classifyReason(plan.gate));
  if (plan.workers.length === 0) return { decision: 'no workers', reason: 'no hub threads and no miner connected' };
  // Nothing works and there is no gate: the hub's reason first (workers are sorted hub first),
  // unless the hub has no threads at all and a miner says more.
  const hub = plan.workers.find((w) => w.kind === 'hub');
  const miner = plan.workers.find((w) => w.kind === 'miner' && w.reason !== 'not connected');
  const first = hub && !(/^no hub threads/.test(hub.reason) && miner) ? hub : (miner ?? plan.workers[0]);
  return finish(classifyReason(first.reason));
}

function finish(d: DecisionState): DecisionState {
  return { decision: d.decision, reason: truncateState(d.reason) };
}
