/**
 * The hub's one event bus: a typed map of events (HubEvents) that the parts emit and listen to.
 * A listener gets the payload its event names, never `unknown`: no payload is asserted at a
 * listener. `on()` returns the unsubscribe; a part (part.ts) removes all its listeners at stop.
 *
 * Listeners run in the order they were added (the order of the parts in hub.ts); an async
 * listener is awaited before the next one runs, and `emit` resolves when all have run. A listener
 * that throws or rejects is logged with its event and never stops the others or the emitter.
 *
 * A new event: one line in HubEvents below (or, from a new part's own file, an augmentation:
 * `declare module './bus.js' { interface HubEvents { myEvent: MyPayload } }`).
 */
import type { StratumJob } from '../../core/index.js';
import type { ApplianceEvent, Appliance, WorkerMapping } from '../../ha/index.js';
import type { Logger } from '../../log.js';
import type { MinerCommand } from '../../mqtt/index.js';
import type { Plan } from '../../schedule/index.js';
import type { BlockEvent, BlockOutcome, ShareEvent } from '../../work/index.js';
import type { TickSnapshot } from './snapshot.js';

/** What the node said of a block found here (solo), and which worker found it. */
export type BlockResult = BlockOutcome & { worker: string };

/** The workers on the endpoint changed: who is connected, or how they link to HA devices. */
export type WorkerStateEvent =
  | { change: 'connect' | 'disconnect'; at: number }
  /** the workers told their MAC / host name / IP again: link them to HA devices */
  | { change: 'links'; mappings: WorkerMapping[]; at: number };

/** Every event of the hub, by name, with its payload. */
export interface HubEvents {
  /** a share was validated (accepted or not): WorkerStats' event (mining part) */
  share: ShareEvent;
  /** a share met the network target (a block, or a practice solution) (mining part) */
  block: BlockEvent;
  /** the node's answer to a submitted block (solo) (mining part) */
  blockResult: BlockResult;
  /** a new job from the job source (mining part) */
  job: StratumJob;
  /** one appliance changed, went, or the power budget changed (scheduling part, from HA) */
  appliance: ApplianceEvent;
  /** the appliance set was rebuilt (scheduling part, from HA) */
  appliances: Appliance[];
  /** a plan was applied (scheduling part, from the flow or direct planning) */
  plan: Plan;
  /** workers connected, left, or told how to link them (mining and obedience parts) */
  workerState: WorkerStateEvent;
  /** a command from an HA entity (mqtt part, or Hub.command): applied in part order */
  command: MinerCommand;
  /** the fast clock (every min(tickMs, 1 s)): energy, the hub's CPU load */
  tick: { at: number; dtS: number };
  /** the snapshot of this tick (every tickMs), built once: every view renders from it */
  snapshot: TickSnapshot;
}

export type HubEventName = keyof HubEvents;
export type Listener<K extends HubEventName> = (payload: HubEvents[K]) => void | Promise<void>;

type ListenerSets = { [K in HubEventName]?: Set<Listener<K>> };

const DONE: Promise<void> = Promise.resolve();

export class HubBus {
  private readonly sets: ListenerSets = {};

  constructor(private readonly log: Logger) {}

  /** Calls `fn` on every `event`; returns the unsubscribe. */
  on<K extends HubEventName>(event: K, fn: Listener<K>): () => void {
    const set: Set<Listener<K>> = this.sets[event] ?? new Set<Listener<K>>();
    // (a computed key: TypeScript cannot write a generic key of a mapped type directly)
    Object.assign(this.sets, { [event]: set });
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** Listeners of `event` now (for tests and the stop check). */
  listenerCount(event: HubEventName): number {
    return this.sets[event]?.size ?? 0;
  }

  /** Runs every listener of `event` in order; resolves when all have run (errors are logged). */
  emit<K extends HubEventName>(event: K, payload: HubEvents[K]): Promise<void> {
    const set: Set<Listener<K>> | undefined = this.sets[event];
    if (!set || set.size === 0) return DONE;
    const list = [...set];
    let i = 0;
    const run = (): Promise<void> | undefined => {
      while (i < list.length) {
        const fn = list[i++];
        let r: void | Promise<void>;
        try {
          r = fn(payload);
        } catch (err) {
          this.failed(event, err);
          continue;
        }
        if (r instanceof Promise) {
          return r.then(
            () => run(),
            (err: unknown) => {
              this.failed(event, err);
              return run();
            },
          );
        }
      }
      return undefined;
    };
    return run() ?? DONE;
  }

  private failed(event: HubEventName, err: unknown): void {
    this.log.error({ err, event }, `a listener of ${event} failed`);
  }
}
