// The `micro-mining` command from the TypeScript sources (the tests' way to run a verb as its own process).
import { main } from '../../src/app/cli.js';

process.exitCode = await main(process.argv.slice(2));
