/**
 * One hub per data folder: `hub.lock` holds the running hub's pid. A second `micro-mining start`
 * on the same folder stops at once with one line naming the pid, before it opens any port (without
 * it, a second start chased the ports one by one and the embedded broker moved to a random port).
 * A lock left by a hub that died (kill -9, power cut) is taken over: its pid no longer runs.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/index.js';

export const LOCK_FILE = 'hub.lock';

/** The pid in a lock file, or null when the file is missing or holds no pid. */
function readPid(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim().split(/\s/)[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether a hub with this pid runs (EPERM: it runs as another user). After a power cut the pid in
 * a stale lock may belong to some other program: where /proc tells, only a Node process counts.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|micro-mining/.test(cmd);
  } catch {
    return true;
  }
}

export interface DataLock {
  readonly path: string;
  /** Removes the lock (only while it is still ours). Idempotent. */
  release(): void;
}

/**
 * Takes the data folder's lock for this process, or throws an InputError (exit 2) naming the pid
 * of the hub that holds it. `dataDir` must exist.
 */
export function lockDataDir(dataDir: string, pid = process.pid): DataLock {
  const path = join(dataDir, LOCK_FILE);
  // two tries: the first may find a stale lock and remove it
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readPid(path);
      if (holder !== null && holder !== pid && alive(holder)) {
        throw new InputError(
          `a hub is already running with this data folder (pid ${holder}, ${dataDir}): stop it first, or give this one another --data-dir`,
          'data_dir',
        );
      }
      // stale (its hub died) or unreadable: take it over
      try {
        unlinkSync(path);
      } catch {
        /* another start removed it first: try again */
      }
      continue;
    }
    try {
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (readPid(path) !== pid) return;
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      },
    };
  }
  throw new InputError(`could not take the lock ${path}: another hub is starting with this data folder at the same time`, 'data_dir');
}
