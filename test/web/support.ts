// Chromium with WebGPU on its software adapter (SwiftShader), and a page on 127.0.0.1 (a secure
// context: navigator.gpu exists there, not on data: or about:blank) that loads the real WebGPU
// kernel host (src/web/client/gpu.ts) bundled with esbuild as `window.mmGpu`.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's headless Chromium with WebGPU on SwiftShader, kept off the network. */
export async function launchGpuBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/** A page with the kernel host loaded (window.mmGpu = the exports of gpu.ts); stop() closes the server. */
export async function openGpuHarness(browser: Browser): Promise<{ page: Page; stop: () => Promise<void> }> {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: {
      contents: `import * as g from './gpu.ts'; (globalThis as any).mmGpu = g;`,
      resolveDir: join(import.meta.dirname, '../../src/web/client'),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    inject: [join(import.meta.dirname, '../../src/web/client/buffer-shim.ts')],
    logLevel: 'warning',
  });
  const js = out.outputFiles[0].text;
  const server: Server = createServer((req, res) => {
    if (req.url === '/h.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>gpu harness</title><script src="/h.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction('globalThis.mmGpu !== undefined', undefined, { timeout: 30_000 });
  return {
    page,
    stop: async () => {
      await page.close().catch(() => {});
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
