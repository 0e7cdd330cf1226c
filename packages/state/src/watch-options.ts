import { InvalidIdQueryError, checkOptions, compileIdQuery, formatPointer, isInvalidIdQuery, matchesLabels, validateLabelQueries } from '@cosi-ts/resource';
import { WATCH_KIND_OPTIONS, WATCH_OPTIONS } from './option-names.ts';
import type { Kind } from '@cosi-ts/resource';
import type { Matcher } from './kind-store.ts';
import type { ListOptions, WatchKindOptions } from './state.ts';

/**
 * §5.2: the option combinations and values a watch call rejects with a TypeError. `target` (the watched
 * kind or pointer) and `op` (the call) only name the watch in the message. An option the call does not
 * know (a watchKind option on a single watch included) is an UnknownOptionError.
 */
export function checkWatchOptions(
  opts: WatchKindOptions,
  single: boolean,
  target?: Kind & { readonly id?: string },
  op: string = single ? 'watch' : 'watchKind',
): void {
  const where = target === undefined ? op : `${op} of ${formatPointer(target)}`;
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${where}: options must be an object`);
  checkOptions(where, opts, single ? WATCH_OPTIONS : WATCH_KIND_OPTIONS);
  const { tailEvents, startFromBookmark, bootstrapContents, bootstrapBookmark, signal } = opts;
  if (tailEvents !== undefined && startFromBookmark !== undefined) {
    throw new TypeError(`${where}: options tailEvents and startFromBookmark are exclusive`);
  }
  if (!single && bootstrapContents === true && (tailEvents !== undefined || startFromBookmark !== undefined)) {
    throw new TypeError(`${where}: option bootstrapContents excludes tailEvents and startFromBookmark`);
  }
  if (tailEvents !== undefined && (typeof tailEvents !== 'number' || !Number.isSafeInteger(tailEvents) || tailEvents < 0)) {
    throw new TypeError(`${where}: option tailEvents must be an integer >= 0, got ${String(tailEvents)}`);
  }
  if (startFromBookmark !== undefined && !(startFromBookmark instanceof Uint8Array)) {
    throw new TypeError(`${where}: option startFromBookmark must be a Uint8Array (a bookmark from an event)`);
  }
  for (const [name, value] of [['bootstrapContents', bootstrapContents], ['bootstrapBookmark', bootstrapBookmark]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${where}: option ${name} must be a boolean`);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`${where}: option signal must be an AbortSignal`);
}

/** The label/id filter of a list or watch (TypeError when malformed); undefined when it admits all. */
export function compileFilter(opts: WatchKindOptions | ListOptions, target?: Kind): Matcher | undefined {
  const { labels, idQuery } = opts;
  let idMatch: ((id: string) => boolean) | undefined;
  try {
    validateLabelQueries(labels);
    idMatch = compileIdQuery(idQuery);
  } catch (e) {
    // Name the listed or watched kind, so that the caller knows which query of theirs is malformed.
    if (target === undefined || !(e instanceof TypeError)) throw e;
    if (isInvalidIdQuery(e)) throw new InvalidIdQueryError(e.rule, `${formatPointer(target)}: ${e.message}`, e.limit, { cause: e });
    throw new TypeError(`${formatPointer(target)}: ${e.message}`, { cause: e });
  }
  const hasLabels = labels !== undefined && labels.length > 0 && labels.every((q) => q.length > 0);
  if (!hasLabels && idMatch === undefined) return undefined;
  if (!hasLabels) return (r) => idMatch!(r.metadata.id);
  if (idMatch === undefined) return (r) => matchesLabels(r.metadata.labels, labels);
  return (r) => idMatch(r.metadata.id) && matchesLabels(r.metadata.labels, labels);
}
