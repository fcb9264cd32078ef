/** The hub (src/app/hub/hub.ts): a short list of parts over one typed event bus; see docs/architecture.md. */
export { Hub, PARTS, type HubOverrides } from './hub/hub.js';
export type { HubContext, HubHandles, HubPart, PartFactory } from './hub/context.js';
export type { HubEvents } from './hub/bus.js';
export type { TickSnapshot } from './hub/snapshot.js';
