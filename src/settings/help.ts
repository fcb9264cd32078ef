// Help text that fits the terminal: rows of "flag   meaning  [MM_X, key]" with the meaning in an
// aligned column, and prose wrapped at word boundaries. Width: the terminal's columns; when
// stdout is not a terminal, COLUMNS if set, else 80. A word longer than the line stays whole.

const MIN_WIDTH = 40;

/** Columns to wrap help at. */
export function helpWidth(out: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const tty = out.isTTY && typeof out.columns === 'number' && out.columns > 0 ? out.columns : undefined;
  const fromEnv = Number(env.COLUMNS);
  const w = tty ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80);
  return Math.max(MIN_WIDTH, w);
}

/** Words after `first` (already placed), broken before `width`, continuation lines indented by `hang`. */
function fill(first: string, words: string[], hang: number, width: number): string[] {
  const lines: string[] = [];
  let cur = first;
  let empty = first.trim() === '';
  for (const w of words) {
    if (w === '') continue;
    const sep = empty || cur.endsWith(' ') ? '' : ' ';
    if (!empty && cur.length + sep.length + w.length > width) {
      lines.push(cur.trimEnd());
      cur = ' '.repeat(hang) + w;
    } else cur += sep + w;
    empty = false;
  }
  lines.push(cur.trimEnd());
  return lines;
}

/**
 * One help row: `left` (indent and flag) and `text` (its meaning) starting at column `col`,
 * continuation lines aligned under the meaning; a left part too wide for the column stands on its
 * own line. `keep` is appended as one unbreakable piece (e.g. "[MM_POOL, pool]").
 */
export function helpRow(left: string, text: string, col: number, width: number, keep?: string): string {
  const narrow = width - col < 24;
  const hang = narrow ? Math.min(col, left.length - left.trimStart().length + 4) : col;
  const words = text.split(/\s+/);
  if (keep) words.push(keep);
  if (narrow || left.length + 1 > col) return [left, ...fill(' '.repeat(hang), words, hang, width)].join('\n');
  return fill(left.padEnd(col), words, col, width).join('\n');
}

/** Where the text of a row starts: after the indent, the first word group and a gap of 2+ spaces. */
function rowColumn(line: string): number | null {
  const m = /^(\s*\S(?:.*?\S)?)( {2,})\S/.exec(line);
  return m ? m[1].length + m[2].length : null;
}

/**
 * Help text at `width`: lines that fit stay as they are; a longer row ("  --flag X   meaning")
 * continues under its meaning; consecutive unindented prose lines are one paragraph, refilled.
 */
export function wrapHelp(text: string, width = helpWidth()): string {
  const lines = text.split('\n');
  const out: string[] = [];
  const prose = (l: string | undefined) => l !== undefined && /^\S/.test(l) && rowColumn(l) === null && !/^usage:/.test(l) && !/:$/.test(l);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (prose(line)) {
      // a paragraph: this line and the prose lines after it, refilled when one is too wide
      const para = [line];
      while (prose(lines[i + 1])) para.push(lines[++i]);
      if (para.every((l) => l.length <= width)) out.push(...para);
      else out.push(...fill('', para.join(' ').split(/\s+/), 0, width));
      continue;
    }
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const indent = line.length - line.trimStart().length;
    const col = rowColumn(line);
    if (col !== null && col <= width - 24) {
      const left = line.slice(0, col).trimEnd();
      out.push(helpRow(left, line.slice(col), col, width));
    } else {
      out.push(...fill(line.slice(0, indent), line.trimStart().split(/\s+/), indent, width));
    }
  }
  return out.join('\n');
}

export interface HelpEntry {
  /** e.g. `--pool URL` or `--mqtt URL, --no-mqtt` */
  flag: string;
  help: string;
  /** e.g. `[MM_POOL, pool]`, kept whole */
  where?: string;
}

/** Rows of flags and their meaning, with the meanings in one column, at `width`. */
export function helpTable(entries: HelpEntry[], width = helpWidth()): string {
  const longest = Math.max(0, ...entries.map((e) => e.flag.length));
  const col = Math.min(2 + longest + 2, Math.floor(width * 0.4));
  return entries.map((e) => helpRow(`  ${e.flag}`, e.help, col, width, e.where)).join('\n');
}
