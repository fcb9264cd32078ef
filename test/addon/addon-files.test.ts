// The add-on's files as the Supervisor, its builder and the community add-on linter see them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import YAML from 'yaml';
import { FIELDS, loadConfig } from '../../src/app/config.js';

const root = new URL('../..', import.meta.url).pathname;
const shared = join(root, '..', 'shared', 'reference');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const config = YAML.parse(read('config.yaml')) as Record<string, any>;
const translations = YAML.parse(read('addon/translations/en.yaml')) as { configuration: Record<string, any>; network?: Record<string, string> };

// HA's option schema grammar: supervisor/apps/options.py RE_SCHEMA_ELEMENT (same alternatives, JS syntax).
const RE_SCHEMA_ELEMENT = new RegExp(
  '^(?:' +
    '|bool|email|url|port' +
    '|device(?:\\((?<filter>subsystem=[a-z]+)\\))?' +
    '|str(?:\\((?<s_min>\\d+)?,(?<s_max>\\d+)?\\))?' +
    '|password(?:\\((?<p_min>\\d+)?,(?<p_max>\\d+)?\\))?' +
    '|int(?:\\((?<i_min>-?\\d+)?,(?<i_max>-?\\d+)?\\))?' +
    '|float(?:\\((?<f_min>-?\\d*\\.?\\d+)?,(?<f_max>-?\\d*\\.?\\d+)?\\))?' +
    '|match\\((?<match>.*)\\)' +
    '|list\\((?<list>.+)\\)' +
    ')\\??$',
);

/** Validates one value the way the Supervisor does (voluptuous coercions), enough for the defaults. */
function validateElement(typ: unknown, value: unknown, key: string): void {
  if (Array.isArray(typ)) {
    assert.ok(Array.isArray(value), `${key}: a list`);
    for (const v of value as unknown[]) validateElement(typ[0], v, key);
    return;
  }
  if (typ && typeof typ === 'object') {
    assert.ok(value && typeof value === 'object' && !Array.isArray(value), `${key}: a mapping`);
    for (const [k, v] of Object.entries(value as object)) {
      assert.ok(k in (typ as object), `${key}.${k} is in the schema`);
      validateElement((typ as any)[k], v, `${key}.${k}`);
    }
    for (const [k, t] of Object.entries(typ as object)) {
      if (!(k in (value as object))) assert.ok(String(t).endsWith('?'), `${key}.${k} is required`);
    }
    return;
  }
  const t = String(typ);
  const m = RE_SCHEMA_ELEMENT.exec(t);
  assert.ok(m, `${key}: schema "${t}" parses`);
  const g = m.groups ?? {};
  const range = (min?: string, max?: string, n?: number) => {
    if (min !== undefined) assert.ok((n as number) >= Number(min), `${key}: ${n} >= ${min}`);
    if (max !== undefined) assert.ok((n as number) <= Number(max), `${key}: ${n} <= ${max}`);
  };
  if (t.startsWith('bool')) assert.equal(typeof value, 'boolean', key);
  else if (t.startsWith('int')) {
    assert.ok(Number.isInteger(Number(value)), `${key}: integer`);
    range(g.i_min, g.i_max, Number(value));
  } else if (t.startsWith('float')) {
    assert.ok(Number.isFinite(Number(value)), `${key}: number`);
    range(g.f_min, g.f_max, Number(value));
  } else if (t.startsWith('port')) assert.ok(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535, `${key}: port`);
  else if (t.startsWith('list')) assert.ok(g.list.split('|').includes(String(value)), `${key}: ${value} in ${g.list}`);
  else if (t.startsWith('match')) assert.ok(new RegExp(g.match).test(String(value)), `${key}: ${value} matches`);
  else if (t.startsWith('str') || t.startsWith('password')) {
    assert.equal(typeof value, 'string', key);
    range(g.s_min ?? g.p_min, g.s_max ?? g.p_max, (value as string).length);
  }
}

function walkSchema(schema: Record<string, unknown>, visit: (key: string, typ: string) => void, prefix = ''): void {
  for (const [k, v] of Object.entries(schema)) {
    if (Array.isArray(v)) {
      assert.equal(v.length, 1, `${prefix}${k}: a list schema has one element`);
      assert.ok(!Array.isArray(v[0]), `${prefix}${k}: a list may not directly contain a list`);
      if (typeof v[0] === 'object') walkSchema(v[0] as Record<string, unknown>, visit, `${prefix}${k}.`);
      else visit(`${prefix}${k}`, String(v[0]));
    } else if (v && typeof v === 'object') {
      walkSchema(v as Record<string, unknown>, visit, `${prefix}${k}.`);
    } else visit(`${prefix}${k}`, String(v));
  }
}

test('config.yaml validates against the community add-on linter schema (../shared/reference)', (t) => {
  const schemaPath = join(shared, 'addon-config.schema.json');
  if (!existsSync(schemaPath)) return t.skip('../shared/reference is not present');
  const require = createRequire(import.meta.url);
  const Ajv = require('ajv');
  const addFormats = require('ajv-formats');
  // The linter's schema writes Python-style named groups ((?P<name>…)); JS spells them (?<name>…).
  const regExp = Object.assign((pattern: string, flags: string) => new RegExp(pattern.replace(/\(\?P</g, '(?<'), flags), { code: 'pythonNamedGroups' });
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp } });
  addFormats(ajv);
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
  const validate = ajv.compile(schema);
  const ok = validate(config);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  // the linter also errors on keys set to their default value
  for (const [k, spec] of Object.entries(schema.properties as Record<string, { default?: unknown }>)) {
    if ('default' in spec && k in config) assert.notDeepEqual(config[k], spec.default, `${k} is set to its default value`);
  }
  // and proves that the validator rejects something
  assert.equal(validate({ ...config, arch: ['sparc'] }), false);
});

test('config.yaml follows the current add-on reference', () => {
  for (const k of ['name', 'version', 'slug', 'description', 'arch']) assert.ok(config[k], `${k} is set`);
  assert.match(config.slug, /^[a-z0-9_]+$/);
  assert.deepEqual([...config.arch].sort(), ['aarch64', 'amd64'], 'only amd64 and aarch64 are supported');
  assert.equal(config.version, JSON.parse(read('package.json')).version, 'add-on version = package version');
  assert.ok(!('watchdog' in config), 'watchdog is replaced by the Dockerfile HEALTHCHECK');
  // prebuilt images: the generic (multi-arch) name, as today's reference prefers; the builder
  // workflow publishes it over the per-arch images ghcr.io/<owner>/{arch}-addon-micro-mining
  assert.match(config.image, /^ghcr\.io\/[a-z0-9-]+\/addon-micro-mining$/);
  assert.ok(existsSync(join(root, '.github/workflows/builder.yaml')), 'the workflow that publishes the image');
  // defaults from the reference (the linter rejects keys set to them)
  const defaults: Record<string, unknown> = {
    boot: 'auto',
    init: true,
    startup: 'application',
    ingress: false,
    ingress_port: 8099,
    ingress_entry: '/',
    panel_icon: 'mdi:puzzle',
    panel_admin: true,
    homeassistant_api: false,
    hassio_api: false,
    host_network: false,
    apparmor: true,
    stage: 'stable',
    timeout: 10,
    backup: 'hot',
    tmpfs: false,
    advanced: false,
    auth_api: false,
    stdin: false,
    legacy: false,
    full_access: false,
    hassio_role: 'default',
  };
  for (const [k, v] of Object.entries(defaults)) if (k in config) assert.notDeepEqual(config[k], v, `${k} is set to its default`);
  assert.ok(!('init' in config), "Docker's own init runs the one process (no s6-overlay)");
  assert.equal(config.startup ?? 'application', 'application', "started after Core (it uses Core's API)");
  assert.equal(config.ingress, true);
  assert.ok(String(config.panel_icon).startsWith('mdi:'));
  assert.equal(config.homeassistant_api, true);
  assert.deepEqual(config.services, ['mqtt:want'], 'want, not need: the add-on has its own broker and an mqtt option');
  for (const s of config.services) assert.match(s, /^(mqtt|mysql):(provide|want|need)$/);
  assert.deepEqual(Object.keys(config.ports), ['3333/tcp']);
  assert.deepEqual(Object.keys(config.ports_description), Object.keys(config.ports));
  assert.ok(config.backup_exclude.some((p: string) => p.includes('node_modules')));
  assert.ok(config.url.startsWith('https://'));
});

test("every option schema string parses with HA's grammar, and the defaults pass it", () => {
  // the grammar itself accepts and rejects what HA does
  for (const good of [
    'str',
    'str?',
    'str(1,)',
    'int(0,10)',
    'float(-1.5,2)',
    'password?',
    'match(^a$)?',
    'list(a|b)',
    'device(subsystem=tty)',
    'port',
    'email',
    'url',
    'bool?',
  ])
    assert.ok(RE_SCHEMA_ELEMENT.test(good), good);
  for (const bad of ['string', 'int(a,b)', 'list()', 'float(1;2)', 'bool??', 'device(tty)']) assert.ok(!RE_SCHEMA_ELEMENT.test(bad), bad);
  let count = 0;
  walkSchema(config.schema, (key, typ) => {
    count++;
    assert.ok(RE_SCHEMA_ELEMENT.test(typ), `${key}: "${typ}" parses`);
    const g = RE_SCHEMA_ELEMENT.exec(typ)!.groups ?? {};
    if (g.match) assert.doesNotThrow(() => new RegExp(g.match), `${key}: regex compiles`);
  });
  assert.ok(count > 30);
  for (const [k, v] of Object.entries(config.options)) {
    assert.ok(k in config.schema, `option ${k} has a schema`);
    const typ = config.schema[k];
    if (typeof typ === 'string') assert.ok(!typ.endsWith('?'), `${k}: an optional option (?) must not have a default`);
    validateElement(typ, v, k);
  }
  // required options (no ?) have a default, so the add-on starts without configuration
  for (const [k, typ] of Object.entries(config.schema)) {
    const leaf = Array.isArray(typ) ? typ[0] : typ;
    if (typeof leaf === 'string' && !leaf.endsWith('?') && !Array.isArray(typ)) assert.ok(k in config.options, `${k} is required and has a default`);
  }
});

test('the option regexes accept what the hub accepts', () => {
  const re = (k: string) => new RegExp(RE_SCHEMA_ELEMENT.exec(config.schema[k])!.groups!.match);
  assert.ok(re('pool').test('stratum+tcp://public-pool.io:21496'));
  assert.ok(re('pool').test('stratum+ssl://pool.example.com:4333'));
  assert.ok(!re('pool').test('http://pool.example.com:3333'));
  assert.ok(!re('pool').test('stratum+tcp://pool.example.com'));
  assert.ok(re('quiet_hours').test('22:00-07:00'));
  assert.ok(re('quiet_hours').test('12:00-13:30, 22:00-06:00'));
  assert.ok(!re('quiet_hours').test('25:00-07:00'));
  assert.ok(re('power_sensor').test('sensor.grid_export_power'));
  assert.ok(!re('power_sensor').test('Grid export'));
});

test('every option is a setting of the hub, and the default options are a valid configuration', () => {
  for (const k of Object.keys(config.schema)) assert.ok(k in FIELDS, `option ${k} is a configuration key`);
  const dir = mkdtempSync(join(tmpdir(), 'mm-options-'));
  try {
    const f = join(dir, 'options.json');
    writeFileSync(f, JSON.stringify(config.options));
    const c = loadConfig({ argv: [], env: { SUPERVISOR_TOKEN: 't' }, file: f, addon: true, cores: 2 });
    assert.equal(c.practice, true);
    assert.equal(c.stratum.port, 3333);
    assert.equal(c.stratum.bind, '0.0.0.0');
    assert.equal(c.heapMb, 512);
    assert.equal(c.status.port, config.ingress_port ?? 8099, 'the status page is on the ingress port');
    assert.deepEqual(c.warnings, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('translations/en.yaml names and describes every option, nested field and port', () => {
  const conf = translations.configuration;
  for (const [k, typ] of Object.entries(config.schema)) {
    assert.ok(conf[k]?.name && conf[k]?.description, `${k} has a name and a description`);
    const inner = Array.isArray(typ) ? typ[0] : typ;
    if (inner && typeof inner === 'object') {
      for (const f of Object.keys(inner)) assert.ok(conf[k].fields?.[f]?.name && conf[k].fields[f].description, `${k}.${f} has a name and a description`);
    }
  }
  for (const k of Object.keys(conf)) assert.ok(k in config.schema, `translation ${k} belongs to an option`);
  for (const p of Object.keys(config.ports)) assert.ok(translations.network?.[p], `port ${p} is described`);
});

test('the Supervisor finds the add-on: repository.yaml, and the files beside config.yaml', () => {
  const repo = YAML.parse(read('repository.yaml'));
  assert.ok(repo.name);
  // The Supervisor reads these from the folder that holds config.yaml (the repository root).
  for (const f of ['DOCS.md', 'CHANGELOG.md', 'icon.png', 'logo.png', 'apparmor.txt', 'translations/en.yaml', 'README.md']) {
    assert.ok(statSync(join(root, f)).isFile(), `${f} resolves to a file at the top`);
  }
  // The Dockerfile must be a real file there: BuildKit does not reliably follow a symlinked Dockerfile.
  assert.ok(lstatSync(join(root, 'Dockerfile')).isFile() && !lstatSync(join(root, 'Dockerfile')).isSymbolicLink());
  assert.ok(!existsSync(join(root, 'build.yaml')) && !existsSync(join(root, 'build.json')), 'no build.yaml: the base image is in the Dockerfile');
  // Every config.(yaml|yml|json) in the repository is taken for an add-on: only ours may exist.
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n');
  const configs = tracked.filter((p) => /(^|\/)config\.(ya?ml|json)$/.test(p) && !p.split('/').some((s) => s.startsWith('.') || s === 'rootfs'));
  assert.deepEqual(configs, ['config.yaml']);
  // icon and logo are PNGs of the recommended shapes
  const png = (f: string) => {
    const b = readFileSync(join(root, f));
    assert.equal(b.subarray(1, 4).toString(), 'PNG', f);
    return { w: b.readUInt32BE(16), h: b.readUInt32BE(20) };
  };
  const icon = png('icon.png');
  assert.equal(icon.w, icon.h, 'the icon is square');
  assert.ok(png('logo.png').w > 0);
});

test('apparmor.txt holds exactly one profile, as the Supervisor requires', () => {
  const profiles = read('apparmor.txt')
    .split('\n')
    .filter((l) => /^profile ([^ ]+).*$/.test(l));
  assert.equal(profiles.length, 1);
  assert.match(profiles[0], new RegExp(`^profile ${config.slug} `));
  assert.match(read('apparmor.txt'), /\/data\/\*\* rw/);
});

test('Dockerfile: base image named in the file, labels, build of the kernels, health check, the run entry', () => {
  const df = read('Dockerfile');
  const lines = df.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const firstFrom = lines.findIndex((l) => /^FROM\b/.test(l));
  // HA's Debian base for the architecture the Supervisor / builder passes; not BUILD_FROM, which
  // older Supervisors set to their Alpine base
  assert.ok(
    lines.slice(0, firstFrom).includes('ARG BASE_IMAGE=ghcr.io/home-assistant/${BUILD_ARCH}-base-debian:trixie'),
    'ARG BASE_IMAGE=<HA Debian base> before the first FROM',
  );
  assert.ok(lines.slice(0, firstFrom).some((l) => /^ARG BUILD_ARCH=amd64$/.test(l)));
  const froms = lines.filter((l) => /^FROM\b/.test(l));
  assert.ok(
    froms.every((l) => /^FROM \$\{BASE_IMAGE\}/.test(l)),
    'every stage builds on ${BASE_IMAGE}',
  );
  // nothing of the base that a plain Debian trixie (the tests' stand-in) lacks: no s6-overlay, bashio, tempio
  assert.ok(!/bashio|with-contenv|s6-|\/etc\/services\.d|tempio/.test(lines.join('\n')), 'no s6-overlay, bashio or tempio');
  assert.ok(lines.includes('ENTRYPOINT []'), "the base's /init is replaced (Docker's init runs the add-on)");
  assert.match(df, /test -f dist\/app\/cli\.js/, 'compiled JavaScript is built in the image');
  assert.match(df, /npm prune --omit=dev/);
  for (const label of [
    'io.hass.name',
    'io.hass.description',
    'io.hass.type',
    'io.hass.arch',
    'io.hass.version',
    'org.opencontainers.image.title',
    'org.opencontainers.image.source',
    'org.opencontainers.image.licenses',
  ])
    assert.ok(df.includes(`${label}=`), `label ${label}`);
  assert.match(df, /io\.hass\.version="\$\{BUILD_VERSION\}"/);
  assert.match(df, /npm ci\b/);
  assert.match(df, /npm run build\b/);
  const pkg = JSON.parse(read('package.json'));
  assert.match(pkg.scripts.build, /build:native/, 'npm run build builds the native kernel');
  assert.match(pkg.scripts.build, /build:wasm/);
  assert.match(df, /test -f build\/native\/mm_native\.node/);
  assert.match(df, /test -f build\/wasm\/kernel\.wasm/);
  assert.match(df, /python3/);
  assert.match(df, /g\+\+/);
  assert.match(df, /HEALTHCHECK[\s\S]*127\.0\.0\.1:8099\/health/);
  const cmd = /^CMD \["([^"]+)"\]$/m.exec(df);
  assert.ok(cmd, 'CMD in exec form');
  const entry = cmd[1].replace('/opt/micro-mining/', '');
  assert.ok(statSync(join(root, entry)).mode & 0o100, `${entry} exists and is executable`);
  // every COPY source exists in the build context and is not excluded by .dockerignore
  const ignore = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const m of df.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1].split(/\s+/)) {
      assert.ok(existsSync(join(root, src)), `COPY ${src} exists`);
      assert.ok(!ignore.includes(src), `COPY ${src} is not in .dockerignore`);
    }
  }
  assert.ok(ignore.includes('node_modules') && ignore.includes('.git'));
});
