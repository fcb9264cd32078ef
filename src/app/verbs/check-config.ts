// `micro-mining check-config`: validate a configuration or add-on options file (with the
// environment and flags, exactly as `start` would) and print the effective settings, secrets
// masked, under their file keys: the output is itself a configuration file (the rest are comments).
import YAML from 'yaml';
import { effectiveOptions, loadConfig, maskSecrets, parseFlags, settingsHelp, type Config } from '../config.js';

const HELP = `usage: micro-mining check-config [--config FILE] [--json] [any start flag …]

Validates the configuration exactly as "micro-mining start" reads it (file < MM_* environment
variables < flags) and prints the effective settings under their file keys, with passwords and
tokens masked (***): the output can be saved as a configuration file once the secrets are put back.
Exit code 0 when valid, 2 with a message naming every bad setting and its fix otherwise.
  --config FILE   a YAML or JSON configuration file, or the add-on's /data/options.json
  --json          print one JSON object: options (by file key), settings, sources, warnings

settings (flag, then [environment variable, file key]):
${settingsHelp()}`;

/** What check-config prints: the effective settings, masked, plus where each given value came from. */
export function describeConfig(c: Config): Record<string, unknown> {
  const m = maskSecrets(c);
  const { sources, warnings, ...settings } = m;
  return { options: effectiveOptions(c), settings, sources, warnings };
}

const comment = (text: string) =>
  text
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');

export async function runCheckConfig(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  if (parseFlags(rest, 'check-config').help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig({ argv: rest, env: process.env, verb: 'check-config' });
  const out = describeConfig(config);
  if (json) {
    console.log(JSON.stringify(out, null, 2));
    return 0;
  }
  const masked = maskSecrets(config);
  const mode = config.practice ? 'practice (no pool, earns nothing)' : config.node ? `solo with the node ${masked.node?.url}` : `pool ${masked.pool?.url}`;
  const lines = [`configuration is valid${config.configFile ? ` (${config.configFile})` : ''}: ${mode}${config.addon ? ', add-on mode' : ''}`];
  for (const w of masked.warnings) lines.push(`warning: ${w}`);
  lines.push('effective settings by file key (null: not set); secrets show as ***: put them back before using this as a file');
  console.log(comment(lines.join('\n')));
  console.log(YAML.stringify(out.options, { lineWidth: 0, nullStr: 'null' }).trimEnd());
  if (Object.keys(masked.sources).length) {
    console.log(
      `\n${comment(`where the given values came from (everything else is a default):\n${YAML.stringify(masked.sources, { lineWidth: 0 }).trimEnd()}`)}`,
    );
  }
  return 0;
}
