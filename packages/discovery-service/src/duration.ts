const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`90s`, `1m30s`, `1.5h`, `0`) into milliseconds, as the Go server's flags take. */
export function parseGoDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (m === null) throw new Error(`invalid duration "${text}" (expected Go syntax such as 90s, 1m or 1h30m)`);
    total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (s.length === 0) throw new Error('invalid duration "" (expected Go syntax such as 90s, 1m or 1h30m)');
  return total;
}
