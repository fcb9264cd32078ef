// Shared by bin/micro-mining.js and addon/run.mjs: makes sure dist/ exists and, in a source
// checkout, is not older than src/. Without src/ (the add-on image, an installed package) it only
// checks that dist/ is there.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export async function ensure() {
  if (existsSync(here('../src/app/cli.ts')) && existsSync(here('../scripts/build-dist.mjs'))) {
    try {
      const { ensureDist } = await import('../scripts/build-dist.mjs');
      await ensureDist({ quiet: true });
    } catch (err) {
      // esbuild missing (installed without dev dependencies): run what dist/ has, if anything
      if (!existsSync(here('../dist/app/cli.js'))) {
        process.stderr.write(`micro-mining: dist/ is missing and could not be built (${err.message}); run \`npm install\` or \`npm run build:dist\`\n`);
        process.exit(1);
      }
    }
  }
  if (!existsSync(here('../dist/app/cli.js'))) {
    process.stderr.write('micro-mining: the compiled program (dist/) is missing; run `npm run build:dist`\n');
    process.exit(1);
  }
}
