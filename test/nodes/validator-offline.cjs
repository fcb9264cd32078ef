// Preloaded into `node-red-dev validate` (node --require) by validate.test.ts: its two online
// look-ups cannot run here, so they get stand-in answers and are reported as NOT RUN; every
// other check runs as the tool wrote it.
//   catalogue.nodered.org/catalogue.json (similar package names, N01 duplicate node names): an
//     empty catalogue
//   registry.npmjs.org/node-red (which Node-RED versions are current, their Node.js minimum): the
//     Node-RED versions this project tests on (MM_VALIDATE_NR_VERSIONS, e.g. 4.1.15,3.1.15), with
//     the Node.js minimum of the first one's package.json (MM_VALIDATE_NR_ENGINES)
const Module = require('node:module');
const toolDir = process.env.MM_VALIDATE_TOOL_DIR;
const axios = Module.createRequire(`${toolDir}/package.json`)('axios');
const versions = (process.env.MM_VALIDATE_NR_VERSIONS || '').split(',').filter(Boolean);
const original = axios.get.bind(axios);
axios.get = async (url, ...rest) => {
  if (/catalogue\.nodered\.org/.test(url)) {
    console.log(`NOT RUN (online): ${url}`);
    return { data: { modules: [] } };
  }
  if (/registry\.npmjs\.org\/node-red$/.test(url)) {
    console.log(`NOT RUN (online): ${url}; checked against the tested versions ${versions.join(', ')}`);
    const tags = { latest: versions[0] };
    for (const [i, v] of versions.slice(1).entries()) tags[`maintenance-${i}`] = v;
    return { data: { 'dist-tags': tags, versions: { [versions[0]]: { engines: { node: process.env.MM_VALIDATE_NR_ENGINES } } } } };
  }
  return original(url, ...rest);
};
