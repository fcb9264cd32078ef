/**
 * Figures a part adds to the hub's snapshot without touching the snapshot's file: a part reports a
 * section (`ctx.sections.report('power', () => …)`) or a per-worker section
 * (`ctx.sections.reportWorkers('axeos', () => ({ [workerName]: … }))`), and declares its type by
 * declaration merging in its own file:
 *
 *   declare module '../sections.js' { interface HubSections { power: PowerStatus } }
 *   declare module '../sections.js' { interface WorkerSections { axeos: AxeosStatus } }
 *
 * A part's own HA entities (ExtraEntity, src/mqtt) come the same way: `ctx.sections.entities('power',
 * () => ({ hub: [...], workers: { rig: [...] } }))`; their commands arrive on the bus as
 * `command` { kind: 'extra', key, worker?, value }.
 *
 * Each section is read once per snapshot; the status view carries top-level sections beside its
 * own fields (`/api/status` `power`) and worker sections in each worker's entry (`workers[].axeos`).
 */

import type { ExtraEntity } from '../../mqtt/index.js';

/** Entities one part adds: to the hub's device, and to workers' devices by worker name. */
export interface PartEntities {
  hub?: ExtraEntity[];
  workers?: Record<string, ExtraEntity[]>;
}

/** Top-level sections of the snapshot, by name (parts add theirs by declaration merging). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the parts' files
export interface HubSections {}

/** Per-worker sections, by name (parts add theirs by declaration merging). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in the parts' files
export interface WorkerSections {}

export type SectionName = keyof HubSections;
export type WorkerSectionName = keyof WorkerSections;

/** What the sections say now: read once per snapshot. */
export interface SectionValues {
  top: Partial<HubSections>;
  /** by worker name */
  workers: Record<string, Partial<WorkerSections>>;
  /** the entities every part adds, merged */
  entities: { hub: ExtraEntity[]; workers: Record<string, ExtraEntity[]> };
}

export class SectionBook {
  private readonly top = new Map<string, () => unknown>();
  private readonly perWorker = new Map<string, () => Record<string, unknown>>();
  private readonly partEntities = new Map<string, () => PartEntities>();

  /** Adds a part's HA entities (read once per snapshot); returns its removal (call it at stop). */
  entities(name: string, read: () => PartEntities): () => void {
    this.partEntities.set(name, read);
    return () => {
      if (this.partEntities.get(name) === read) this.partEntities.delete(name);
    };
  }

  /** Adds a top-level section; returns its removal (call it at stop). */
  report<K extends SectionName>(name: K, read: () => HubSections[K]): () => void {
    this.top.set(name, read);
    return () => {
      if (this.top.get(name) === read) this.top.delete(name);
    };
  }

  /** Adds a per-worker section (worker name -> value); returns its removal (call it at stop). */
  reportWorkers<K extends WorkerSectionName>(name: K, read: () => Record<string, WorkerSections[K]>): () => void {
    this.perWorker.set(name, read);
    return () => {
      if (this.perWorker.get(name) === read) this.perWorker.delete(name);
    };
  }

  /** Every section's value now; a section that throws is left out (a view never fails for one). */
  read(onError?: (name: string, err: unknown) => void): SectionValues {
    const top: Record<string, unknown> = {};
    for (const [name, read] of this.top) {
      try {
        top[name] = read();
      } catch (err) {
        onError?.(name, err);
      }
    }
    const workers: Record<string, Record<string, unknown>> = {};
    for (const [name, read] of this.perWorker) {
      let values: Record<string, unknown>;
      try {
        values = read();
      } catch (err) {
        onError?.(name, err);
        continue;
      }
      for (const [worker, v] of Object.entries(values)) (workers[worker] ??= {})[name] = v;
    }
    const entities: SectionValues['entities'] = { hub: [], workers: {} };
    for (const [name, read] of this.partEntities) {
      let e: PartEntities;
      try {
        e = read();
      } catch (err) {
        onError?.(name, err);
        continue;
      }
      entities.hub.push(...(e.hub ?? []));
      for (const [worker, list] of Object.entries(e.workers ?? {})) (entities.workers[worker] ??= []).push(...list);
    }
    return { top: top as Partial<HubSections>, workers: workers as Record<string, Partial<WorkerSections>>, entities };
  }
}
