// Lifetime totals under the data folder, written in place (an SD card wears out).
//
// The file `totals.bin` is preallocated once as two 4 KiB slots. A save writes the whole slot that
// does not hold the current good copy (one aligned page: the totals as JSON, a sequence number and
// a crc32) and calls fdatasync: no temporary file, no rename, no folder fsync, no size change. A
// load takes the newest slot whose checksum and contents hold; so a torn or corrupted write leaves
// the previous copy, which the load falls back to, saying so in the log and in `notice` (for the
// status page). At the block layer a save costs one data page (4 KiB), plus the page of the inode
// table its new mtime dirties where ext4 runs without a journal (8 KiB measured here; the rename
// scheme cost 40-45 KB). Hence the default interval of 300 s: 288 saves, about 2.4 MB a day, which
// leaves room for the history ring under 5 MB a day (every 120 s it would be 5.9 MB alone).
//
// Writes are few: the hub hands every change to update() (shares, energy each tick), and the newest
// totals are written at most once per interval (default 300 s); at once: the first change after a
// quiet interval, the first new share after the load, a found block (blocksFound grew, or
// update(t, { urgent: true }), or saveNow), and on stop (flush). One write runs at a time and at
// most one newer value waits. A kill -9 or a power cut loses at most the changes of the last
// interval.
//
// A file that exists but cannot be read (permissions, a folder in its place, an I/O error) is
// never written over: load() throws TotalsUnreadableError and every save is refused. A file that
// was read and proved not to be totals (wrong size, no slot checks) is moved aside as
// `totals.bin.bad-<time>` (at most 3 kept) and the start goes on from the old totals.json if there
// is one, else from zero. The old `totals.json` of earlier versions is read once, migrated and kept.
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/index.js';
import { PAGE, createPreallocated, decodeSlot, encodeSlot, moveAside, newestSlot, readPagesBackwards, writePages, type SlotRead } from '../history/index.js';
import { logger } from '../log.js';

const log = logger('store');

const count = z.number().finite().nonnegative();

export const LifetimeTotalsSchema = z.object({
  version: z.literal(1),
  sharesAccepted: count,
  sharesRejected: count,
  sharesStale: count,
  bestDifficulty: count,
  blocksFound: count,
  energyKwh: count,
  /** ISO time of the write. */
  savedAt: z.string().max(64),
});

export type LifetimeTotals = z.infer<typeof LifetimeTotalsSchema>;

export function emptyTotals(): LifetimeTotals {
  return {
    version: 1,
    sharesAccepted: 0,
    sharesRejected: 0,
    sharesStale: 0,
    bestDifficulty: 0,
    blocksFound: 0,
    energyKwh: 0,
    savedAt: new Date(0).toISOString(),
  };
}

/** The file of this version: two slots of one page each. */
export const TOTALS_FILE = 'totals.bin';
/** The file of earlier versions (JSON replaced through rename): read once, migrated, kept. */
export const LEGACY_TOTALS_FILE = 'totals.json';
const SLOTS = 2;
const FILE_BYTES = SLOTS * PAGE;
/** `.bad` files kept per name; older ones are removed. */
export const BAD_FILES_KEPT = 3;
/** Largest legacy totals file read (it is a few hundred bytes). */
const MAX_LEGACY_BYTES = 64 * 1024;

export interface LoadResult {
  totals: LifetimeTotals;
  /** Where an unreadable file was moved (its bytes are kept), when that happened. */
  quarantined?: string;
  /** Where the totals came from when not from the newest copy. */
  recovered?: 'previous-copy' | 'legacy-file';
  /** The totals were migrated from totals.json at this load. */
  migrated?: boolean;
  /** One line for the log and the status page when the totals are not what was last written. */
  notice?: string;
}

/**
 * The totals file exists but cannot be read (permissions, a directory in its place, an I/O error):
 * nothing may be written over it, so the hub does not start. An InputError (exit 2) naming the
 * path, the error and the fix.
 */
export class TotalsUnreadableError extends InputError {
  constructor(
    readonly path: string,
    readonly code: string,
    detail: string,
  ) {
    super(
      `lifetime totals ${path} exist but cannot be read (${code}: ${detail}); nothing was written over them. ` +
        `Fix: make the file readable and writable by the user running the hub (e.g. chown/chmod it), or move it away to start from zero, or choose another folder with --data-dir`,
      'data_dir',
    );
    this.name = 'TotalsUnreadableError';
  }
}

export interface TotalsStoreOptions {
  /** Least time between two periodic writes, ms (default 300 000: see the top of this file). */
  intervalMs?: number;
}

export interface UpdateOptions {
  /** Write at once (after a write in progress) instead of waiting for the interval: a found block. */
  urgent?: boolean;
}

/** What the hub hands over: every count, energy included. */
export type Totals = Omit<LifetimeTotals, 'version' | 'savedAt'> & Partial<Pick<LifetimeTotals, 'savedAt'>>;

/** The lifetime totals in `<dataDir>/totals.bin`. Writes are serialised; the newest wins. */
export class TotalsStore {
  readonly path: string;
  readonly legacyPath: string;
  readonly intervalMs: number;
  /** Writes done and bytes handed to the disk (whole pages), for the benchmark and the logs. */
  readonly written = { writes: 0, bytes: 0 };
  /** The totals of the last write that completed (on disk), or null. */
  lastSaved: LifetimeTotals | null = null;
  /** Set by load() when the totals are not the newest written (a damaged copy, a bad file). */
  notice: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** 'ready' only after a load that read the file or proved it absent. */
  private state: 'unknown' | 'ready' | 'unreadable' = 'unknown';
  private pending: LifetimeTotals | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWriteAt = 0;
  /** The slot holding the good copy (never written over), and the last sequence number used. */
  private goodSlot = -1;
  private seq = 0;
  /** The totals as loaded, and whether a write since then carried a new share. */
  private loaded: LifetimeTotals = emptyTotals();
  private firstShareWritten = false;
  /** A write is queued in the chain and has not taken its value yet. */
  private writeQueued = false;

  constructor(
    readonly dataDir: string,
    opts: TotalsStoreOptions = {},
  ) {
    this.path = join(dataDir, TOTALS_FILE);
    this.legacyPath = join(dataDir, LEGACY_TOTALS_FILE);
    this.intervalMs = Math.max(0, opts.intervalMs ?? 300_000);
  }

  /** True once load() has read the file (or found none): saves are allowed. */
  get ready(): boolean {
    return this.state === 'ready';
  }

  /**
   * Reads the totals (zeros when there is no file yet) and makes sure the slot file exists, so
   * every later save is a write in place. Throws TotalsUnreadableError for a file that cannot be
   * read, leaving it exactly as it is.
   */
  async load(): Promise<LoadResult> {
    const r = await this.read();
    this.loaded = r.totals;
    this.firstShareWritten = false;
    return r;
  }

  private async read(): Promise<LoadResult> {
    this.state = 'unknown';
    this.notice = null;
    await mkdir(this.dataDir, { recursive: true });
    await this.removeTempFiles();
    let bytes: Buffer;
    let size: number;
    try {
      ({ bytes, size } = await readPagesBackwards(this.path, FILE_BYTES));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return this.fromLegacy(null);
      this.unreadable(this.path, e);
    }
    if (size !== FILE_BYTES) return this.badFile(`file of ${size} bytes (expected ${FILE_BYTES})`);
    const slots = Array.from({ length: SLOTS }, (_, i) => readTotalsSlot(bytes.subarray(i * PAGE, (i + 1) * PAGE)));
    const best = newestSlot(slots);
    if (best < 0) {
      const damaged = slots.filter((s) => s.kind === 'damaged') as Array<{ why: string }>;
      // created but never written (a start killed at once): the legacy file, if any, is still the truth
      if (damaged.length === 0) return this.fromLegacy(null, true);
      return this.badFile(`no copy checks (${damaged.map((d) => d.why).join('; ')})`);
    }
    const good = slots[best] as { seq: number; totals: LifetimeTotals };
    this.goodSlot = best;
    this.seq = Math.max(...slots.map((s) => (s.kind === 'ok' ? s.seq : 0)));
    this.state = 'ready';
    const other = slots.find((s, i) => i !== best && s.kind === 'damaged') as { why: string } | undefined;
    if (other) {
      this.notice = `one copy of the lifetime totals was damaged (${other.why}, e.g. a power cut during a write); started from the good copy saved at ${good.totals.savedAt}`;
      log.warn({ file: this.path, savedAt: good.totals.savedAt }, this.notice);
      return { totals: good.totals, recovered: 'previous-copy', notice: this.notice };
    }
    return { totals: good.totals };
  }

  /**
   * Remembers the newest totals (energy included); they are written at most once per interval
   * (the first change after a quiet interval at once), and at once when `urgent`, when a block was
   * found since the last write, and for the first new share after the load (even if an energy-only
   * change was written just before). Bad values are refused at once (thrown).
   */
  update(totals: Totals, opts: UpdateOptions = {}): void {
    const value = this.validate(totals);
    this.pending = value;
    const written = this.lastSaved ?? this.loaded;
    const urgent = opts.urgent || value.blocksFound > written.blocksFound || (!this.firstShareWritten && value.sharesAccepted > this.loaded.sharesAccepted);
    if (urgent) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      // one write queued is enough: it takes the newest value when it runs
      if (!this.writeQueued) {
        this.writeQueued = true;
        void this.writePending().catch(() => {});
      }
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writePending().catch(() => {});
    }, wait);
    this.timer.unref();
  }

  /** Writes these totals now (after any write in progress): a found block, a test, a stop. */
  save(totals: Totals): Promise<void> {
    let value: LifetimeTotals;
    try {
      value = this.validate(totals);
    } catch (err) {
      return Promise.reject(err);
    }
    this.pending = value;
    return this.writePending();
  }

  /** Alias of save(): the totals on disk at once. */
  saveNow(totals: Totals): Promise<void> {
    return this.save(totals);
  }

  /** Writes what update() left waiting, and resolves once every write so far is on disk. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending) await this.writePending().catch(() => {});
    await this.chain;
  }

  /** flush() and no more timers (no file stays open between writes). */
  async close(): Promise<void> {
    await this.flush();
  }

  private validate(totals: Totals): LifetimeTotals {
    const r = LifetimeTotalsSchema.safeParse({ ...totals, version: 1, savedAt: new Date().toISOString() });
    if (!r.success) {
      const why = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`lifetime totals not saved, bad values (${why}); the file keeps the previous totals`);
    }
    return r.data;
  }

  private writePending(): Promise<void> {
    if (this.state !== 'ready') {
      this.pending = null;
      return Promise.reject(new Error(`lifetime totals not saved: ${this.path} was not read (a file that could not be read is never written over)`));
    }
    const next = this.chain.then(async () => {
      this.writeQueued = false;
      const value = this.pending;
      if (!value) return; // an earlier write in the chain took it
      this.pending = null;
      this.lastWriteAt = Date.now();
      await this.writeSlot(value);
      this.lastSaved = value;
      if (value.sharesAccepted > this.loaded.sharesAccepted) this.firstShareWritten = true;
    });
    this.chain = next.catch((err) => log.error({ err, file: this.path }, 'could not save the lifetime totals'));
    return next;
  }

  /** Writes `value` into the slot that does not hold the good copy; that slot becomes the good one. */
  private async writeSlot(value: LifetimeTotals): Promise<void> {
    const target = (this.goodSlot + 1) % SLOTS;
    const image = Buffer.alloc(FILE_BYTES);
    image.set(encodeSlot(this.seq + 1, Buffer.from(JSON.stringify(value)), PAGE), target * PAGE);
    const bytes = await writePages(this.path, image, [[target, 1]]);
    this.seq++;
    this.goodSlot = target;
    this.written.writes++;
    this.written.bytes += bytes;
  }

  /** A file proven not to be totals: moved aside (kept), then the legacy file or zeros. */
  private async badFile(reason: string): Promise<LoadResult> {
    const dest = await moveAside(this.path, BAD_FILES_KEPT);
    const r = await this.fromLegacy(dest);
    const from = r.recovered === 'legacy-file' ? `the old ${LEGACY_TOTALS_FILE} (saved at ${r.totals.savedAt})` : 'zero';
    this.notice = `lifetime totals unreadable (${reason}); kept as ${dest}, started from ${from}`;
    log.error({ file: this.path, movedTo: dest, reason }, this.notice);
    return { ...r, quarantined: dest, notice: this.notice };
  }

  /**
   * No usable totals.bin: totals.json of an earlier version, if there is one, else zeros; then the
   * slot file is created holding them (the legacy file is kept as it is).
   */
  private async fromLegacy(badDest: string | null, slotFileExists = false): Promise<LoadResult> {
    const legacy = await this.readLegacy(); // throws TotalsUnreadableError for a file it cannot read
    const totals = legacy?.totals ?? emptyTotals();
    if (slotFileExists) {
      this.goodSlot = SLOTS - 1; // both slots empty: the first write goes to slot 0
      this.seq = 0;
      this.state = 'ready';
      if (legacy?.totals && !legacy.quarantined) await this.writeSlot(totals);
    } else {
      const first = legacy && !legacy.quarantined ? encodeSlot(1, Buffer.from(JSON.stringify(totals)), PAGE) : null;
      await createPreallocated(this.path, FILE_BYTES, (p) => (p === 0 ? first : null));
      this.goodSlot = first ? 0 : SLOTS - 1;
      this.seq = first ? 1 : 0;
      this.state = 'ready';
    }
    if (legacy && !legacy.quarantined) {
      if (!badDest) log.info({ from: this.legacyPath, to: this.path }, `lifetime totals migrated from ${LEGACY_TOTALS_FILE} (kept as it is)`);
      return { totals, recovered: badDest ? 'legacy-file' : undefined, migrated: !badDest };
    }
    if (legacy?.quarantined) return { totals, quarantined: legacy.quarantined, notice: legacy.notice };
    return { totals };
  }

  /**
   * The legacy totals.json: null when absent; the totals when valid; moved aside (at most 3 kept)
   * when proven not to be totals; TotalsUnreadableError when it cannot be read.
   */
  private async readLegacy(): Promise<LoadResult | null> {
    let text: string;
    try {
      const { bytes, size } = await readPagesBackwards(this.legacyPath, MAX_LEGACY_BYTES);
      if (size > MAX_LEGACY_BYTES) return this.badLegacy(`file of ${size} bytes (at most ${MAX_LEGACY_BYTES})`);
      text = bytes.toString('utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return null;
      this.unreadable(this.legacyPath, e);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return this.badLegacy(`not JSON: ${(err as Error).message}`);
    }
    const r = LifetimeTotalsSchema.safeParse(json);
    if (!r.success) return this.badLegacy(r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return { totals: r.data };
  }

  private async badLegacy(reason: string): Promise<LoadResult> {
    const dest = await moveAside(this.legacyPath, BAD_FILES_KEPT);
    const notice = `lifetime totals unreadable (${reason}); kept as ${dest}, starting from zero`;
    log.error({ file: this.legacyPath, movedTo: dest, reason }, notice);
    this.notice = notice;
    return { totals: emptyTotals(), quarantined: dest, notice };
  }

  private unreadable(path: string, e: NodeJS.ErrnoException): never {
    this.state = 'unreadable';
    throw new TotalsUnreadableError(
      path,
      e.code ?? 'error',
      String(e.message)
        .replace(/^[A-Z]+: /, '')
        .slice(0, 200),
    );
  }

  /** Temporary files the rename scheme of earlier versions left behind when killed. */
  private async removeTempFiles(): Promise<void> {
    const prefix = `${LEGACY_TOTALS_FILE}.tmp-`;
    for (const name of await readdir(this.dataDir)) {
      if (name.startsWith(prefix)) await unlink(join(this.dataDir, name)).catch(() => {});
    }
  }
}

/** One slot of the totals file: checked by crc, then by the totals schema. */
function readTotalsSlot(b: Buffer): { kind: 'ok'; seq: number; payload: Buffer; totals: LifetimeTotals } | Exclude<SlotRead, { kind: 'ok' }> {
  const s = decodeSlot(b);
  if (s.kind !== 'ok') return s;
  let json: unknown;
  try {
    json = JSON.parse(s.payload.toString('utf8'));
  } catch {
    return { kind: 'damaged', why: 'not JSON' };
  }
  const r = LifetimeTotalsSchema.safeParse(json);
  if (!r.success)
    return {
      kind: 'damaged',
      why: `not totals (${r.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ')
        .slice(0, 160)})`,
    };
  return { ...s, totals: r.data };
}
