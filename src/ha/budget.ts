// The power budget (pure): the surplus and price sensors read into a PowerBudget, and the
// budget event when it changed.
import type { ApplianceEvent, EntityState, IdleRules, PowerBudget } from './types.js';
import { attr, parseNumber, powerFactor } from './entity-eval.js';
import type { Warning } from './slots.js';

/** The budget before any sensor is read: the static watts of the configuration. */
export function initialBudget(rules: IdleRules['budget']): PowerBudget {
  return { surplusW: null, staticW: rules.staticWatts ?? null, price: null, priceUnit: null };
}

/** The surplus in W (export positive), or null when unread, not a number or not in a power unit. */
function surplusWatts(rules: IdleRules['budget'], entityId: string, state: EntityState | undefined): { watts: number | null; warning?: Warning } {
  const n = state ? parseNumber(state.state) : undefined;
  const unit = state ? attr(state, 'unit_of_measurement') : undefined;
  const f = powerFactor(unit);
  const warning: Warning | undefined =
    state && n !== undefined && f === undefined
      ? { key: `budget-unit:${entityId}`, msg: 'surplus sensor has no power unit (W or kW); ignored', fields: { entity: entityId, unit: unit ?? null } }
      : undefined;
  return { watts: n === undefined || f === undefined ? null : n * f * (rules.surplusInverted ? -1 : 1), warning };
}

/**
 * A new state of a budget sensor applied to a budget (pure); undefined when the entity is not
 * one of the budget's sensors.
 */
export function readBudgetSensor(
  rules: IdleRules['budget'],
  entityId: string,
  state: EntityState | undefined,
  base: PowerBudget,
): { budget: PowerBudget; warning?: Warning } | undefined {
  if (entityId === rules.surplusEntity) {
    const { watts, warning } = surplusWatts(rules, entityId, state);
    return { budget: { ...base, surplusW: watts }, warning };
  }
  if (entityId === rules.priceEntity) {
    const n = state ? parseNumber(state.state) : undefined;
    return { budget: { ...base, price: n ?? null, priceUnit: (state && attr(state, 'unit_of_measurement')) ?? null } };
  }
  return undefined;
}

/** The budget event when the next budget differs from the current one (pure). */
export function budgetEvent(current: PowerBudget, next: PowerBudget, now: number): ApplianceEvent | undefined {
  if (next.surplusW === current.surplusW && next.price === current.price && next.priceUnit === current.priceUnit && next.staticW === current.staticW)
    return undefined;
  return { type: 'budget', at: now, budget: { ...next } };
}
