// The configuration's public face lives in ./config/index.ts; this file keeps the import path
// `app/config.js` that the hub, the verbs and many tests use.
export * from './config/index.js';
