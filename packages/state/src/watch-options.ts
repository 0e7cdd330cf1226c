import { compileIdQuery, matchesLabels, validateLabelQueries } from '@cosi-ts/resource';
import type { Matcher } from './kind-store.ts';
import type { ListOptions, WatchKindOptions } from './state.ts';

/** §5.2: the option combinations a watch call rejects with a TypeError. */
export function checkWatchOptions(opts: WatchKindOptions, single: boolean): void {
  const { tailEvents, startFromBookmark, bootstrapContents } = opts;
  if (tailEvents !== undefined && startFromBookmark !== undefined) {
    throw new TypeError('watch options tailEvents and startFromBookmark are exclusive');
  }
  if (!single && bootstrapContents === true && (tailEvents !== undefined || startFromBookmark !== undefined)) {
    throw new TypeError('watch option bootstrapContents excludes tailEvents and startFromBookmark');
  }
  if (tailEvents !== undefined && (!Number.isSafeInteger(tailEvents) || tailEvents < 0)) {
    throw new TypeError(`watch option tailEvents must be an integer >= 0, got ${String(tailEvents)}`);
  }
  if (startFromBookmark !== undefined && !(startFromBookmark instanceof Uint8Array)) {
    throw new TypeError('watch option startFromBookmark must be a Uint8Array');
  }
}

/** The label/id filter of a list or watch (TypeError when malformed); undefined when it admits all. */
export function compileFilter(opts: WatchKindOptions | ListOptions): Matcher | undefined {
  const { labels, idQuery } = opts;
  validateLabelQueries(labels);
  const idMatch = compileIdQuery(idQuery);
  const hasLabels = labels !== undefined && labels.length > 0 && labels.every((q) => q.length > 0);
  if (!hasLabels && idMatch === undefined) return undefined;
  if (!hasLabels) return (r) => idMatch!(r.metadata.id);
  if (idMatch === undefined) return (r) => matchesLabels(r.metadata.labels, labels);
  return (r) => idMatch(r.metadata.id) && matchesLabels(r.metadata.labels, labels);
}
