// `micro-mining check-config`: validate a configuration or add-on options file (with the
// environment and flags, exactly as `start` would) and print the effective settings, secrets masked.
import YAML from 'yaml';
import { loadConfig, maskSecrets, parseFlags, settingsHelp, type Config } from '../config.js';

const HELP = `usage: micro-mining check-config [--config FILE] [--json] [any start flag …]

Validates the configuration exactly as "micro-mining start" reads it (file < MM_* environment
variables < flags) and prints the effective settings with passwords and tokens masked.
Exit code 0 when valid, 2 with a message naming the bad setting and the fix otherwise.
  --config FILE   a YAML or JSON configuration file, or the add-on's /data/options.json
  --json          print the settings as one JSON object

settings (flag, then [environment variable, file key]):
${settingsHelp()}`;

/** What check-config prints: the effective settings, masked, plus where each given value came from. */
export function describeConfig(c: Config): Record<string, unknown> {
  const m = maskSecrets(c);
  const { sources, warnings, ...settings } = m;
  return { settings, sources, warnings };
}

export async function runCheckConfig(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  if (parseFlags(rest).help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig({ argv: rest, env: process.env });
  const out = describeConfig(config);
  if (json) {
    console.log(JSON.stringify(out, null, 2));
  } else {
    const mode = config.practice ? 'practice (no pool, earns nothing)' : `pool ${out.settings && (out.settings as Config).pool?.url}`;
    console.log(`configuration is valid${config.configFile ? ` (${config.configFile})` : ''}: ${mode}${config.addon ? ', add-on mode' : ''}`);
    for (const w of config.warnings) console.log(`warning: ${w}`);
    console.log('');
    console.log(YAML.stringify(out.settings, { lineWidth: 0 }).trimEnd());
    if (Object.keys(config.sources).length) {
      console.log('\n# where the given values came from (everything else is a default)');
      console.log(YAML.stringify(out.sources, { lineWidth: 0 }).trimEnd());
    }
  }
  return 0;
}
