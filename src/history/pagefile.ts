// A preallocated file written in place, a page at a time (the I/O edge of the slots and the ring).
//
// Why pages: the block layer counts whole page-cache folios. A write that dirties one byte of a
// clean 4 KiB page costs 4 KiB in /proc/PID/io write_bytes, and a page cached as part of a larger
// folio (made by one big write, or by sequential readahead) costs the whole folio (64 KiB seen).
// So the file is created with 4 KiB writes, read back one page at a time from the end (no
// sequential readahead), and written only as whole, aligned pages followed by fdatasync: no
// rename, no size change, no new blocks, so no metadata to journal beyond the timestamps.
import { open, readdir, rename, unlink, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const PAGE = 4096;

/** Creates `path` (it must not exist) as `bytes` zero bytes (a multiple of PAGE) and makes it durable. */
export async function createPreallocated(path: string, bytes: number, initial?: (page: number) => Buffer | null): Promise<void> {
  if (bytes <= 0 || bytes % PAGE !== 0) throw new RangeError(`preallocated size must be a positive multiple of ${PAGE}`);
  const fh = await open(path, 'wx', 0o600);
  try {
    const zero = Buffer.alloc(PAGE);
    for (let p = 0; p < bytes / PAGE; p++) {
      const content = initial?.(p) ?? zero;
      await fh.write(content, 0, PAGE, p * PAGE);
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw err;
  }
  await fh.close();
  await syncDir(dirname(path));
}

/** fsync of a folder (a new or renamed entry is durable once its folder is); refused on some file systems. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    /* some file systems refuse fsync on a folder */
  } finally {
    await dh.close();
  }
}

/**
 * Reads a whole file of at most `maxBytes`, one page at a time from the end. Throws the open or
 * read error as it is (the caller decides what "cannot be read" means); a file that is not a
 * regular file throws with code EISDIR/ENOTFILE.
 */
export async function readPagesBackwards(path: string, maxBytes: number): Promise<{ bytes: Buffer; size: number }> {
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    const size = st.size;
    if (size > maxBytes) return { bytes: Buffer.alloc(0), size };
    const bytes = Buffer.alloc(size);
    const pages = Math.ceil(size / PAGE);
    for (let p = pages - 1; p >= 0; p--) {
      const off = p * PAGE;
      const len = Math.min(PAGE, size - off);
      let done = 0;
      while (done < len) {
        const { bytesRead } = await fh.read(bytes, off + done, len - done, off + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    }
    return { bytes, size };
  } finally {
    await fh.close();
  }
}

/** Page runs [firstPage, pageCount] covering the dirty byte ranges, merged when adjacent. */
export function dirtyRuns(ranges: Array<[start: number, end: number]>): Array<[number, number]> {
  const pages = new Set<number>();
  for (const [s, e] of ranges) for (let p = Math.floor(s / PAGE); p * PAGE < e; p++) pages.add(p);
  const sorted = [...pages].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p) last[1]++;
    else runs.push([p, 1]);
  }
  return runs;
}

/**
 * Writes the given page runs of `image` (the whole file as it should be) in place, then
 * fdatasync. The file must already have its full size: nothing is appended.
 */
export async function writePages(path: string, image: Buffer, runs: Array<[number, number]>): Promise<number> {
  if (runs.length === 0) return 0;
  const fh = await open(path, 'r+');
  let bytes = 0;
  try {
    for (const [first, count] of runs) {
      const off = first * PAGE;
      const len = Math.min(count * PAGE, image.length - off);
      let done = 0;
      while (done < len) {
        const { bytesWritten } = await fh.write(image, off + done, len - done, off + done);
        done += bytesWritten;
      }
      bytes += len;
    }
    await fh.datasync();
  } finally {
    await fh.close();
  }
  return bytes;
}

/**
 * Moves an unreadable file aside as `<name>.bad-<time>` (its bytes are kept for a human) and keeps
 * at most `keep` such files of that name, removing the oldest. Returns the new path.
 */
export async function moveAside(path: string, keep = 3): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let dest = `${path}.bad-${stamp}`;
  for (let i = 1; i < 100 && (await stat(dest).catch(() => null)); i++) dest = `${path}.bad-${stamp}-${i}`;
  await rename(path, dest);
  await syncDir(dirname(path));
  await pruneBad(path, keep);
  return dest;
}

/** Keeps the newest `keep` `<name>.bad-*` files beside `path`. */
export async function pruneBad(path: string, keep: number): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.bad-`;
  const bad: Array<{ name: string; mtime: number }> = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const st = await stat(join(dir, name)).catch(() => null);
    if (st) bad.push({ name, mtime: st.mtimeMs });
  }
  // newest first: the name carries the time of the move, the mtime breaks ties
  bad.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : b.mtime - a.mtime));
  const removed: string[] = [];
  for (const b of bad.slice(Math.max(0, keep))) {
    await unlink(join(dir, b.name)).catch(() => {});
    removed.push(b.name);
  }
  return removed;
}
