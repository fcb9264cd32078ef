// "did you mean …?": the nearest known name to a mistyped one (a file key or a flag).

/** The candidate nearest to `name` (edit distance below 3, or the same up to case and -/_), or null. */
export function nearest(name: string, candidates: readonly string[]): string | null {
  const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');
  const n = norm(name);
  const same = candidates.find((c) => norm(c) === n);
  if (same !== undefined) return same;
  let best: string | null = null;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(n, norm(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
