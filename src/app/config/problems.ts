// What is wrong with the settings, all of it at once: each problem names the file key, the flag,
// where the bad value came from, and the fix, in the words a user writes.
import { InputError } from '../../core/index.js';
import { FIELD, type ConfigKey } from './fields.js';
import { maskUrl } from './secrets.js';

export type Sources = Partial<Record<ConfigKey, string>>;

interface Problem {
  /** the file key (or, for an unknown one, the key as written) */
  key: string;
  message: string;
}

export class Problems {
  private readonly list: Problem[] = [];
  private readonly silenced = new Set<string>();

  constructor(private readonly sources: Sources) {}

  /** A bad or missing setting: `key / --flag (from SOURCE): "value" why; fix`. */
  add(key: ConfigKey, why: string, value?: unknown, fix: string | null = FIELD[key].fix): void {
    if (this.silenced.has(key)) return;
    const src = this.sources[key];
    const where = src ? ` (from ${src})` : '';
    this.list.push({ key, message: `${key} / --${FIELD[key].flag}${where}: ${shownValue(key, value, src)}${withFix(why, fix)}` });
  }

  /** A problem already worded (an unknown file key). */
  addText(key: string, message: string): void {
    this.list.push({ key, message });
  }

  /** Problems added later for these keys are dropped (they are reported already). */
  silence(keys: Iterable<string>): void {
    for (const k of keys) this.silenced.add(k);
  }

  get size(): number {
    return this.list.length;
  }

  /** Throws one InputError naming every problem (its field: the first one's key); nothing when none. */
  throwIfAny(): void {
    if (this.list.length === 0) return;
    if (this.list.length === 1) throw new InputError(this.list[0].message, this.list[0].key);
    const lines = this.list.map((p) => `  ${p.message}`);
    throw new InputError(`${this.list.length} settings need a fix:\n${lines.join('\n')}`, this.list[0].key);
  }
}

/** `why; fix`, or `why` alone when the fix only repeats it ("must be true or false; use true or false"). */
export function withFix(why: string, fix: string | null): string {
  if (!fix) return why;
  const core = fix.replace(/^(use|give) /, '');
  return why.includes(core) ? why : `${why}; ${fix}`;
}

/** The bad value, masked, as `"value" `; nothing when the source line already shows it or it is not text. */
function shownValue(key: ConfigKey, value: unknown, src: string | undefined): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  if (FIELD[key].secret) return '';
  const text = maskUrl(String(value));
  if (src && src !== 'caller' && (src.startsWith('--') || src.startsWith('MM_'))) return '';
  return `${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)} `;
}
