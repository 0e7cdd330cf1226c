import { resourceEquals } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import type { AnyEvent } from './kind-store.ts';

/** §6.6: what turns a watcher's view into the snapshot, ids ascending; no bookmarks. */
export function resyncDiff(view: ReadonlyMap<string, Resource>, snapshot: readonly Resource[]): AnyEvent[] {
  const events: AnyEvent[] = [];
  const viewIds = [...view.keys()].sort();
  let i = 0;
  let j = 0;
  while (i < viewIds.length || j < snapshot.length) {
    const vid = viewIds[i];
    const now = snapshot[j];
    if (now === undefined || (vid !== undefined && vid < now.metadata.id)) {
      events.push(Object.freeze({ type: 'destroyed', resource: view.get(vid!)! }));
      i++;
    } else if (vid === undefined || now.metadata.id < vid) {
      events.push(Object.freeze({ type: 'created', resource: now }));
      j++;
    } else {
      const seen = view.get(vid)!;
      if (seen.metadata.created.getTime() !== now.metadata.created.getTime()) {
        // Another incarnation: it was destroyed and created again while the watcher was away.
        events.push(Object.freeze({ type: 'destroyed', resource: seen }));
        events.push(Object.freeze({ type: 'created', resource: now }));
      } else if (seen !== now && !resourceEquals(seen, now)) {
        events.push(Object.freeze({ type: 'updated', resource: now, old: seen }));
      }
      i++;
      j++;
    }
  }
  return events;
}
