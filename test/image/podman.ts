// podman for the image test: the settings that work on these machines (HINTS.md), a clean build
// context from git, the local stand-in for HA's Debian base, and bounded polling.
import { execFile, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** Flags every podman run/build here needs (HINTS.md): runc, limits the container may not raise. */
export const ULIMITS = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];
export const RUNTIME = ['--runtime', 'runc'];
/** The host's CA bundle, as a build secret (npm behind a TLS-intercepting proxy). */
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs podman with a time limit; never throws for a non-zero exit. */
export function podman(args: string[], opts: { timeoutMs?: number; cwd?: string; input?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      'podman',
      args,
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && code === null ? `\n${err.message}` : '') });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** podman ... that must succeed; the error names the command and shows its output. */
export async function podmanOk(args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.slice(0, 3).join(' ')} … failed (exit ${r.code}):\n${(r.stderr || r.stdout).slice(-4000)}`);
  return r.stdout;
}

/**
 * Why the image test cannot run here, or undefined when it can. In CI (CI=true) the caller
 * fails with this message instead of skipping: .ci/setup.d/podman.sh provisions podman there.
 */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'the image test needs root (rootful podman and debootstrap)';
  const p = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (p.error || p.status !== 0) return 'podman is not installed: run `bash .ci/setup.d/podman.sh` as root';
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { encoding: 'utf8' }).status !== 0)
    return 'debootstrap is not installed: run `bash .ci/setup.d/podman.sh` as root';
  if (!existsSync('/usr/libexec/podman/catatonit') && spawnSync('sh', ['-c', 'command -v catatonit'], { encoding: 'utf8' }).status !== 0)
    return 'catatonit (podman run --init) is not installed: run `bash .ci/setup.d/podman.sh` as root';
  return undefined;
}

/** The local stand-in for ghcr.io/home-assistant/{arch}-base-debian:trixie (cached; test/image/make-base.sh). */
export function makeBaseStandIn(): string {
  const r = spawnSync('bash', [join(root, 'test/image/make-base.sh')], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error(`make-base.sh failed (exit ${r.status}):\n${r.stderr}`);
  return r.stdout.trim().split('\n').pop()!;
}

/**
 * A clean build context: what a fresh clone has (git's tracked files plus new files git does
 * not ignore), copied from the working tree; no node_modules, build/ or dist/ from this machine.
 * The Dockerfile's .dockerignore then applies as in any build.
 */
export function cleanContext(): { dir: string; files: number } {
  const list = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`git ls-files failed: ${list.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'mm-image-ctx-'));
  let files = 0;
  for (const rel of [...new Set(list.stdout.split('\0').filter(Boolean))]) {
    const src = join(root, rel);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(src);
    } catch {
      continue; // deleted in the working tree
    }
    const dst = join(dir, rel);
    mkdirSync(dirname(dst), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFile()) cpSync(src, dst, { preserveTimestamps: true });
    else continue;
    files++;
  }
  return { dir, files };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls fn (bounded by time and count) until it returns a value. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < Math.ceil(timeoutMs / everyMs) + 1; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** RSS in bytes of a process and all its descendants, read from the host's /proc. */
export function treeRss(pid: number): { bytes: number; processes: { pid: number; name: string; rss: number }[] } {
  const children = new Map<number, number[]>();
  const info = new Map<number, { name: string; rss: number }>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
      const name = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
      info.set(Number(d), { name, rss });
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid)!.push(Number(d));
    } catch {
      // gone
    }
  }
  const out: { pid: number; name: string; rss: number }[] = [];
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length && out.length < 10_000) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    const i = info.get(p);
    if (i) out.push({ pid: p, ...i });
    stack.push(...(children.get(p) ?? []));
  }
  return { bytes: out.reduce((s, p) => s + p.rss, 0), processes: out };
}

export const MB = 1024 * 1024;
