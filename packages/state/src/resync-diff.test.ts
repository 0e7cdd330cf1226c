import { describe, expect, it } from 'vitest';
import { newResource } from '@cosi-ts/resource';
import type { Resource } from '@cosi-ts/resource';
import { resyncDiff } from './resync-diff.ts';
import { filterEvent } from './event-filter.ts';

const at = (id: string, version: number, created: number, spec = 0, labels: Record<string, string> = {}): Resource<number> =>
  newResource({ namespace: 'n', type: 'Things.test.cosi.dev', id, version, created: new Date(created), labels }, spec);

const brief = (events: ReturnType<typeof resyncDiff>) =>
  events.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`));

describe('resyncDiff (§6.6)', () => {
  it('orders by id: gone, changed, re-created, new; equal resources emit nothing', () => {
    const view = new Map(
      [at('a', 1, 1), at('b', 1, 1), at('c', 3, 1), at('d', 2, 1)].map((r) => [r.metadata.id, r] as const),
    );
    const now = [at('b', 2, 1, 5), at('c', 1, 2), at('d', 2, 1), at('e', 1, 3)];
    expect(brief(resyncDiff(view, now))).toEqual(['destroyed a v1', 'updated b v2', 'destroyed c v3', 'created c v1', 'created e v1']);
    const updated = resyncDiff(view, now)[1];
    expect(updated?.type === 'updated' && updated.old).toBe(view.get('b'));
    expect(resyncDiff(view, [...view.values()].sort((x, y) => (x.metadata.id < y.metadata.id ? -1 : 1)))).toEqual([]);
  });
});

describe('filterEvent (§5.7)', () => {
  const match = (r: Resource) => r.metadata.labels['app'] === 'x';
  const bookmark = new Uint8Array([1]);
  it('turns relabels into created/destroyed without old and keeps the bookmark', () => {
    const out = at('a', 1, 1, 0);
    const inside = at('a', 2, 1, 0, { app: 'x' });
    expect(filterEvent({ type: 'updated', resource: inside, old: out, bookmark }, match)).toEqual({ type: 'created', resource: inside, bookmark });
    expect(filterEvent({ type: 'updated', resource: out, old: inside, bookmark }, match)).toEqual({ type: 'destroyed', resource: out, bookmark });
    expect(filterEvent({ type: 'updated', resource: out, old: out }, match)).toBeUndefined();
    const both = { type: 'updated', resource: inside, old: inside } as const;
    expect(filterEvent(both, match)).toBe(both);
  });
});
