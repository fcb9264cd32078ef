/**
 * Settings of the `micro-mining` command, shared by the hub (src/app/config/) and the worker
 * agent (src/worker/config.ts): the one table of settings, configuration files, flags (negative
 * numbers as values, "did you mean" for unknown ones) and help laid out for the terminal.
 */
export {
  ENTITY_FIX,
  ENTITY_RE,
  FIELD,
  FIELDS,
  KEYS,
  SETTINGS,
  WORKER_FIELDS,
  WORKER_KEYS,
  envName,
  type ConfigKey,
  type Field,
  type Kind,
  type WorkerKey,
} from './fields.js';
export { parseConfigText, readConfigFile } from './files.js';
export { describeFlagProblem, inlineNegativeValues, parseFlagsStrict, type FlagOptions, type FlagProblem } from './argv.js';
export { nearest } from './suggest.js';
export { helpRow, helpTable, helpWidth, wrapHelp, type HelpEntry } from './help.js';
