import type { Resource, Tombstone } from '@cosi-ts/resource';
import type { Bookmark, StateEvent } from '../state.ts';

/** Hex of a bookmark's bytes ('-' when absent): bookmarks compare as bytes. */
export function bookmarkHex(bookmark: Bookmark | undefined): string {
  if (bookmark === undefined) return '-';
  return Array.from(bookmark, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function sameBytes(a: Bookmark | undefined, b: Bookmark | undefined): boolean {
  return a !== undefined && b !== undefined && bookmarkHex(a) === bookmarkHex(b);
}

/** One line naming what a test compares: id, version, phase, finalizers, labels, spec. */
export function describeResource(r: Resource | Tombstone): string {
  const m = r.metadata;
  const labels = Object.entries(m.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${m.id || '(kind)'} v${m.version} ${m.phase} [${m.finalizers.join(',')}] {${labels}} ${JSON.stringify(r.spec) ?? 'no-spec'}`;
}

export interface DescribeOptions {
  /** Include the bookmark's bytes (default true). */
  readonly bookmark?: boolean;
}

/**
 * One line per event, so sequences compare with a readable diff:
 * `updated a v3 tearingDown [] {} {"value":"x"} old=a v2 running ... @0a1b`.
 */
export function describeEvent(event: StateEvent, options: DescribeOptions = {}): string {
  if (event.type === 'errored') {
    const code = (event.error as { code?: unknown }).code;
    return `errored ${typeof code === 'string' ? code : event.error.name}`;
  }
  // `old` is shown whenever present, so "without old" (synthetic created/destroyed) is checked too.
  const oldResource = (event as { readonly old?: Resource }).old;
  const old =
    oldResource !== undefined ? ` old=${describeResource(oldResource)}` : event.type === 'updated' ? ' old=MISSING' : '';
  const bookmark = options.bookmark === false ? '' : ` @${bookmarkHex(event.bookmark)}`;
  return `${event.type} ${describeResource(event.resource)}${old}${bookmark}`;
}

export function describeEvents(events: readonly StateEvent[], options: DescribeOptions = {}): string[] {
  return events.map((e) => describeEvent(e, options));
}
