// The hub's settings: its section of the one table of settings (src/settings/fields.ts), which the
// worker agent reads its own section of. A new setting is one row there, one line in ./schema.ts
// and its place in Config (./types.ts, filled by ./resolve.ts).
export { ENTITY_FIX, ENTITY_RE, FIELD, FIELDS, KEYS, type ConfigKey, type Field, type Kind } from '../../settings/index.js';
