import { expect } from 'vitest';
import type { Resource } from '@cosi-ts/resource';
import type { StateEvent } from '../../state.ts';
import { conformanceCase } from '../conformance-case.ts';
import { bookmarkHex } from '../describe-event.ts';
import { expectStateError } from '../expect-rejection.ts';
import { Counter, Path, changed } from '../fixture.ts';
import type { CounterSpec, PathSpec } from '../fixture.ts';
import { flattenBatches } from '../flatten-batches.ts';
import type { StateConformanceOptions } from '../options.ts';
import { WRITE_BURST } from './kind-watch.ts';

const brief = (e: StateEvent) => (e.type === 'errored' ? `errored ${e.error.message}` : `${e.type} ${e.resource.metadata.id} v${e.resource.metadata.version}`);

/** Cases 27–29: many writers, many watchers, one queue per resource. */
export function concurrencyCases(options: StateConformanceOptions): void {
  conformanceCase(options, '27. concurrent writers: 8 × 50 increments give 400 at version 401; racing creates', async (ctx) => {
    const { state, namespace } = ctx;
    const kind = Counter.kind(namespace);
    const p = Counter.pointer('counter', namespace);
    await state.create(Counter.create('counter', { value: 0 }, { namespace }));
    const watchers = [
      ctx.record(state.watchKind(kind, { bootstrapContents: true })),
      ctx.record(flattenBatches(state.watchKindAggregated(kind, { bootstrapContents: true }))),
      ctx.record(state.watch(p)),
    ];
    for (const w of watchers) await w.next();

    const worker = async (n: number) => {
      for (let i = 0; i < 50; i++) {
        if (n % 2 === 0) {
          await state.updateWithConflicts<CounterSpec>(p, (d) => void (d.spec.value += 1));
        } else {
          // an async recipe lets other writers in between read and write: version conflicts, retries
          await state.updateWithConflicts<CounterSpec>(p, async (d) => {
            const read = d.spec.value;
            await Promise.resolve();
            d.spec.value = read + 1;
          });
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));
    const final = await state.get<CounterSpec>(p);
    expect(final.spec.value).toBe(400);
    expect(final.metadata.version).toBe(401);

    for (const [i, w] of watchers.entries()) {
      if (i === 2) continue; // a single watch may overrun on a small history; checked only if it did not
      const seen = await w.takeUntil((e) => e.type !== 'errored' && e.type !== 'bootstrapped' && e.resource.metadata.version === 401);
      const versions = seen.filter((e) => e.type !== 'bootstrapped').map((e) => (e.type === 'errored' ? -1 : e.resource.metadata.version));
      expect(versions.every((v, j) => j === 0 || v > (versions[j - 1] as number)), `watcher ${i}: versions strictly increase`).toBe(true);
      expect(seen.at(-1)).toMatchObject({ resource: { spec: { value: 400 } } });
    }
    const single = await watchers[2]!.next();
    if (single.type !== 'errored') {
      const rest = [single, ...(await watchers[2]!.take(399))];
      expect(rest.map((e) => (e.type === 'errored' ? -1 : e.resource.metadata.version))).toEqual(
        Array.from({ length: 400 }, (_, j) => j + 2),
      );
    }

    const racers = await Promise.allSettled(
      Array.from({ length: 10 }, (_, n) => state.create(Counter.create('race', { value: n }, { namespace }))),
    );
    expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const losers = racers.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(losers).toHaveLength(9);
    for (const e of losers) await expectStateError(() => Promise.reject(e), 'Conflict', { reason: 'exists' });
  });

  conformanceCase(options, '28. many watchers: 100 watchKind subscribers over 1000 writes see the same events in write order', async (ctx) => {
    const { state, namespace, kind } = ctx;
    const watchers = Array.from({ length: 100 }, () => ctx.record(state.watchKind(kind, { bootstrapBookmark: true })));
    for (const w of watchers) expect((await w.next()).type).toBe('noop');

    const written: string[] = [];
    const present = new Map<string, Resource<PathSpec>>();
    for (let i = 0; i < 1000; i++) {
      const id = `m${i % 10}`;
      const current = present.get(id);
      if (current === undefined) {
        const r = await state.create(Path.create(id, { value: `${i}` }, { namespace }));
        present.set(id, r);
        written.push(`created ${id} v1`);
      } else if (i % 9 === 0) {
        await state.destroy(current.metadata);
        present.delete(id);
        written.push(`destroyed ${id} v${current.metadata.version}`);
      } else {
        const r = await state.update(changed(current, { spec: { value: `${i}` } }));
        present.set(id, r);
        written.push(`updated ${id} v${r.metadata.version}`);
      }
      if ((i + 1) % WRITE_BURST === 0) for (const w of watchers) await w.waitForCount(1 + i + 1);
    }
    const reference = await watchers[0]!.take(1000);
    expect(reference.map(brief)).toEqual(written);
    const bookmarks = reference.map((e) => (e.type === 'errored' ? '-' : bookmarkHex(e.bookmark)));
    expect(bookmarks.includes('-')).toBe(false);
    for (const [i, w] of watchers.entries()) {
      if (i === 0) continue;
      const seen = await w.take(1000);
      expect(seen.map(brief), `watcher ${i}`).toEqual(written);
      expect(seen.map((e) => (e.type === 'errored' ? '-' : bookmarkHex(e.bookmark))), `watcher ${i} bookmarks`).toEqual(bookmarks);
    }
  });
  conformanceCase(options, '29. concurrent modifies of one resource run each recipe once; an outside write reruns only the one it overtook', async (ctx) => {
    const { state, namespace } = ctx;
    const p = Counter.pointer('queued', namespace);
    await state.create(Counter.create('queued', { value: 0 }, { namespace }));
    const n = 300;
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 === 0
          ? state.modify<CounterSpec>(p, (d) => {
              runs++;
              d.spec.value += 1;
            })
          : state.updateWithConflicts<CounterSpec>(p, async (d) => {
              runs++;
              const read = d.spec.value;
              await Promise.resolve();
              d.spec.value = read + 1;
            }),
      ),
    );
    // Before the queue, n racing read-modify-writes ran n(n+1)/2 recipes (all but one lose each round).
    expect(runs).toBe(n);
    expect(results.map((r) => r.spec.value).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const final = await state.get<CounterSpec>(p);
    expect(final.spec.value).toBe(n);
    expect(final.metadata.version).toBe(n + 1);

    // A plain update (no queue) between a queued recipe's read and its write: that recipe runs again, once.
    let outsideDone = false;
    let second = 0;
    const raced = state.modify<CounterSpec>(p, async (d) => {
      second++;
      if (!outsideDone) {
        outsideDone = true;
        const current = await state.get<CounterSpec>(p);
        await state.update({ ...current, spec: { value: current.spec.value + 1000 } });
      }
      d.spec.value += 1;
    });
    const queuedAfter = state.modify<CounterSpec>(p, (d) => {
      second++;
      d.spec.value += 1;
    });
    await Promise.all([raced, queuedAfter]);
    expect(second).toBe(3);
    expect((await state.get<CounterSpec>(p)).spec.value).toBe(n + 1002);
  });
}
