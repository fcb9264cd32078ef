// The image publishing workflow cannot run here (no GitHub runners, no registry): it is checked
// with actionlint (pinned in .ci/setup.d/podman.sh), which also runs shellcheck on its scripts,
// and against config.yaml, which names the image the Supervisor pulls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { root } from './podman.js';

const WORKFLOWS = join(root, '.github', 'workflows');
const workflowFiles = () =>
  readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(WORKFLOWS, f));

function actionlint(args: string[], cwd = root) {
  return spawnSync('actionlint', ['-no-color', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
}

test('the publishing workflow passes actionlint (and shellcheck on its scripts)', (t) => {
  const v = spawnSync('actionlint', ['-version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) {
    const msg = 'actionlint is not installed: run `bash .ci/setup.d/podman.sh` as root';
    if (process.env.CI === 'true') assert.fail(`${msg} (CI=true: this check may not be skipped)`);
    t.skip(msg);
    return;
  }
  const files = workflowFiles();
  assert.ok(files.length >= 1);
  const r = actionlint(files);
  assert.equal(r.status, 0, `actionlint:\n${r.stdout}${r.stderr}`);

  // the check bites: a broken copy (a job that needs one that does not exist, a bad expression) fails
  const dir = mkdtempSync(join(tmpdir(), 'mm-actionlint-'));
  try {
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    const broken = readFileSync(join(WORKFLOWS, 'builder.yaml'), 'utf8')
      .replace('needs: [init, build]', 'needs: [init, compile]')
      .replace('${{ fromJSON(needs.init.outputs.matrix) }}', '${{ fromJSON(needs.init.outputs.matrix }}');
    const f = join(dir, '.github', 'workflows', 'builder.yaml');
    writeFileSync(f, broken);
    const bad = actionlint([f], dir);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /compile/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the workflow builds amd64 and aarch64 with HA's builder actions and publishes the image config.yaml names", () => {
  const wf = YAML.parse(readFileSync(join(WORKFLOWS, 'builder.yaml'), 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<string, { steps: { uses?: string; with?: Record<string, string>; run?: string }[]; permissions?: Record<string, string>; if?: string }>;
  };
  const config = YAML.parse(readFileSync(join(root, 'config.yaml'), 'utf8')) as { image: string; arch: string[]; version: string };
  assert.deepEqual([...config.arch].sort(), ['aarch64', 'amd64']);
  const uses = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.uses).filter(Boolean)) as string[];
  for (const action of ['prepare-multi-arch-matrix', 'build-image', 'publish-multi-arch-manifest']) {
    const u = uses.find((x) => x.startsWith(`home-assistant/builder/actions/${action}@`));
    assert.ok(u, `uses home-assistant/builder/actions/${action}`);
    assert.match(u, /@\d{4}\.\d{2}\.\d+$/, `${action} is pinned to a release, not a branch`);
  }
  assert.ok(!uses.some((u) => /^home-assistant\/builder@/.test(u)), 'not the deprecated home-assistant/builder action');
  // architectures, version and image come from config.yaml, so the Supervisor pulls what was pushed
  const initScript = wf.jobs.init.steps.map((s) => s.run ?? '').join('\n');
  for (const key of ['.version', '.image', '.arch']) assert.ok(initScript.includes(`'${key}'`), `reads ${key} from config.yaml`);
  assert.ok(!config.image.includes('{arch}'), 'config.yaml names the multi-arch manifest');
  assert.equal(config.image.split('/').pop(), 'addon-micro-mining');
  // push only on a release; pull requests build without pushing
  assert.ok('release' in wf.on && 'pull_request' in wf.on);
  assert.match(wf.jobs.manifest.if ?? '', /publish == 'true'/);
  assert.equal(wf.jobs.build.permissions?.packages, 'write');
  const build = wf.jobs.build.steps.find((s) => s.uses?.includes('/build-image@'))!;
  assert.match(build.with!.push, /needs\.init\.outputs\.publish/);
  assert.match(
    build.with!['cosign-base-verify'],
    /ghcr\.io\/home-assistant\/\$\{\{ matrix\.arch \}\}-base-debian:trixie/,
    'the base image of the Dockerfile is verified',
  );
  const df = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(df, /ARG BASE_IMAGE=ghcr\.io\/home-assistant\/\$\{BUILD_ARCH\}-base-debian:trixie/, 'the same base as the Dockerfile');
});
