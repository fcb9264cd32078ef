// Worker-thread entry of the hub pool. Sources are TypeScript: when the parent process runs
// under tsx (`node --import tsx`), the loader is inherited; otherwise it is registered here.
let mod;
try {
  mod = await import('./worker.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { register } = await import('tsx/esm/api');
  register();
  // a new specifier: the failed import above stays cached under the old one
  mod = await import('./worker.ts?tsx');
}
export default mod.default;
