/**
 * The kubectl JSONPath subset used by print columns: `{.a.b}`, `{.xs[0]}`, `{.xs[-1]}`, `{.xs[:]}`,
 * `{.xs[1:3]}`, `{.xs[*]}`, `{.a.*}`, `{.a['b.c']}`, `{.}`. Braces and a leading `$` are optional.
 */
export type JsonPathSegment =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'slice'; readonly start?: number; readonly end?: number }
  | { readonly kind: 'wildcard' };

const fieldName = /^[^.[\]{}'"\s*]+/;
const bracket = /^\[\s*(?:(-?\d+)|(-?\d*)\s*:\s*(-?\d*)|(\*)|'([^']*)'|"([^"]*)")\s*\]/;

/** Parses a path; TypeError naming the path and what is wrong. */
export function parseJsonPath(path: string): readonly JsonPathSegment[] {
  const bad = (why: string) => new TypeError(`JSONPath ${JSON.stringify(path)}: ${why}`);
  let rest = path.trim();
  if (rest.startsWith('{')) {
    if (!rest.endsWith('}')) throw bad("missing closing '}'");
    rest = rest.slice(1, -1).trim();
  } else if (rest.endsWith('}')) {
    throw bad("missing opening '{'");
  }
  if (rest.startsWith('$')) rest = rest.slice(1);
  if (rest === '' || rest === '.') return [];
  const out: JsonPathSegment[] = [];
  while (rest !== '') {
    if (rest.startsWith('[')) {
      const m = bracket.exec(rest);
      if (!m) throw bad(`bad subscript at ${JSON.stringify(rest)}`);
      if (m[1] !== undefined) out.push({ kind: 'index', index: Number(m[1]) });
      else if (m[4] !== undefined) out.push({ kind: 'wildcard' });
      else if (m[5] !== undefined || m[6] !== undefined) out.push({ kind: 'field', name: (m[5] ?? m[6]) as string });
      else {
        const seg: { kind: 'slice'; start?: number; end?: number } = { kind: 'slice' };
        if (m[2]) seg.start = Number(m[2]);
        if (m[3]) seg.end = Number(m[3]);
        out.push(seg);
      }
      rest = rest.slice(m[0].length);
    } else if (rest.startsWith('.')) {
      rest = rest.slice(1);
      if (rest.startsWith('*')) {
        out.push({ kind: 'wildcard' });
        rest = rest.slice(1);
        continue;
      }
      const m = fieldName.exec(rest);
      if (!m) throw bad(`expected a field name at ${JSON.stringify(rest)}`);
      out.push({ kind: 'field', name: m[0] });
      rest = rest.slice(m[0].length);
    } else {
      throw bad(`expected '.' or '[' at ${JSON.stringify(rest)}`);
    }
  }
  return out;
}

function step(value: unknown, seg: JsonPathSegment): unknown[] {
  switch (seg.kind) {
    case 'field':
      return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, seg.name)
        ? [(value as Record<string, unknown>)[seg.name]]
        : [];
    case 'index': {
      if (!Array.isArray(value)) return [];
      const i = seg.index < 0 ? value.length + seg.index : seg.index;
      return i >= 0 && i < value.length ? [value[i]] : [];
    }
    case 'slice':
      return Array.isArray(value) ? value.slice(seg.start, seg.end) : [];
    case 'wildcard':
      if (Array.isArray(value)) return [...value];
      return typeof value === 'object' && value !== null && !(value instanceof Date) ? Object.values(value) : [];
  }
}

/** Every value the path selects, in document order; `[]` when nothing matches. */
export function evaluateJsonPath(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const seg of parseJsonPath(path)) current = current.flatMap((v) => step(v, seg)).filter((v) => v !== undefined);
  return current;
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v);
}

/** The selected values as a print column cell: joined by ',', '' when nothing matches. */
export function formatJsonPath(value: unknown, path: string): string {
  return evaluateJsonPath(value, path).map(formatValue).join(',');
}
