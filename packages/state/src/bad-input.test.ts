import { describe, expect, it } from 'vitest';
import { firstValueFrom, timeout } from 'rxjs';
import { defineResourceType, label, tombstone } from '@cosi-ts/resource';
import type { Labels, LabelTerm, Resource } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { isConflict, isPhaseConflict } from './errors.ts';
import type { StateEvent } from './state.ts';

// The "Bad input" rule: every malformed argument gets a typed error whose message names the
// resource (or kind) and the rule broken, and a failed call leaves no trace: no version bump, no
// event, no history entry, nothing listed.

interface Spec {
  readonly n: unknown;
}
const Things = defineResourceType<Spec>({ type: 'Things.test.cosi.dev', defaultNamespace: 'default' });
const kind = Things.kind();
const ptr = Things.pointer;
const at = (id: string) => `default/Things.test.cosi.dev/${id}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const names = (id: string) => new RegExp(esc(at(id)));

type Md = Record<string, unknown>;
/** A hand-made (unfrozen, unchecked) resource: what a careless caller might pass. */
const raw = (md: Md, spec: unknown = { n: 1 }): Resource<Spec> =>
  ({ metadata: { ...Things.create('x', { n: 1 }).metadata, ...md }, spec }) as unknown as Resource<Spec>;

class Point {
  constructor(readonly x: number) {}
}
const cyclic = (): Record<string, unknown> => {
  const o: Record<string, unknown> = { a: 1 };
  o['self'] = { back: o };
  return o;
};
const badTerm = (t: Record<string, unknown>) => t as unknown as LabelTerm;

interface Row {
  readonly name: string;
  readonly call: (state: InMemoryState, a: Resource<Spec>) => unknown;
  /** TypeError, or a guard for the StateError subclass. */
  readonly error: 'TypeError' | ((e: unknown) => boolean);
  /** Each must occur in the message: the resource (or kind) and the rule. */
  readonly message: readonly RegExp[];
}

const rows: readonly Row[] = [
  // bad type names
  {
    name: 'type name without a suffix',
    call: () => defineResourceType({ type: 'Things', defaultNamespace: 'x' }),
    error: 'TypeError',
    message: [/"Things"/, /<PluralName>\.<suffix>/],
  },
  {
    name: 'singular type name',
    call: () => defineResourceType({ type: 'Thing.test.cosi.dev', defaultNamespace: 'x' }),
    error: 'TypeError',
    message: [/"Thing\.test\.cosi\.dev"/, /must be plural/],
  },
  {
    name: 'lower-case type name',
    call: () => defineResourceType({ type: 'things.test.cosi.dev', defaultNamespace: 'x' }),
    error: 'TypeError',
    message: [/"things\.test\.cosi\.dev"/, /must match/],
  },
  {
    name: 'bad type suffix',
    call: () => defineResourceType({ type: 'Things.Test', defaultNamespace: 'x' }),
    error: 'TypeError',
    message: [/"Things\.Test"/, /suffix "Test" must match/],
  },
  // names: missing / empty id, non-string namespace or type
  {
    name: 'create with a missing id',
    call: (s) => s.create(raw({ id: undefined })),
    error: 'TypeError',
    message: [names('<missing>'), /metadata\.id must be a non-empty string/],
  },
  {
    name: 'create with an empty id',
    call: (s) => s.create(raw({ id: '' })),
    error: 'TypeError',
    message: [/^create default\/Things\.test\.cosi\.dev\/: /, /metadata\.id must be a non-empty string, got ''/],
  },
  {
    name: 'create with a non-string namespace',
    call: (s) => s.create(raw({ namespace: 5, id: 'n' })),
    error: 'TypeError',
    message: [/<5>\/Things\.test\.cosi\.dev\/n/, /metadata\.namespace must be a non-empty string/],
  },
  {
    name: 'create with a non-string type',
    call: (s) => s.create(raw({ type: null, id: 'n' })),
    error: 'TypeError',
    message: [/default\/<null>\/n/, /metadata\.type must be a non-empty string/],
  },
  {
    name: 'create of no resource at all',
    call: (s) => s.create(null as unknown as Resource<Spec>),
    error: 'TypeError',
    message: [/^create: /, /expected a resource/],
  },
  {
    name: 'get with an empty id',
    call: (s) => s.get(ptr('')),
    error: 'TypeError',
    message: [/^get default\/Things\.test\.cosi\.dev\/: /, /pointer\.id must be a non-empty string/],
  },
  {
    name: 'get with a non-string namespace',
    call: (s) => s.get({ namespace: 7, type: Things.type, id: 'a' } as never),
    error: 'TypeError',
    message: [/<7>\/Things\.test\.cosi\.dev\/a/, /pointer\.namespace must be a non-empty string/],
  },
  {
    name: 'destroy with a missing id',
    call: (s) => s.destroy({ namespace: 'default', type: Things.type } as never),
    error: 'TypeError',
    message: [names('<missing>'), /pointer\.id must be a non-empty string/],
  },
  {
    name: 'teardown with an empty id',
    call: (s) => s.teardown(ptr('')),
    error: 'TypeError',
    message: [/^teardown /, /pointer\.id must be a non-empty string/],
  },
  {
    name: 'list of a kind with an empty namespace',
    call: (s) => s.list({ namespace: '', type: Things.type }),
    error: 'TypeError',
    message: [/^list /, /kind\.namespace must be a non-empty string/],
  },
  {
    name: 'watch of a pointer with a non-string id',
    call: (s) => s.watch({ namespace: 'default', type: Things.type, id: 3 } as never),
    error: 'TypeError',
    message: [names('<3>'), /pointer\.id must be a non-empty string/],
  },
  {
    name: 'watchKind of a kind with no type',
    call: (s) => s.watchKind({ namespace: 'default' } as never),
    error: 'TypeError',
    message: [/default\/<missing>/, /kind\.type must be a non-empty string/],
  },
  // versions
  {
    name: 'update with a stale version',
    call: (s, a) => s.update({ metadata: { ...a.metadata, version: 7 }, spec: { n: 2 } }, { owner: 'ctrl' }),
    error: (e) => isConflict(e) && (e as { reason?: unknown }).reason === 'version',
    message: [names('a'), /version conflict: expected 7, stored 1/],
  },
  {
    name: 'update with a non-integer version',
    call: (s, a) => s.update({ metadata: { ...a.metadata, version: 1.5 }, spec: { n: 2 } }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /metadata\.version must be an integer >= 0, got <1\.5>/],
  },
  {
    name: 'update with a negative version',
    call: (s, a) => s.update({ metadata: { ...a.metadata, version: -1 }, spec: { n: 2 } }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /metadata\.version must be an integer >= 0/],
  },
  {
    name: 'create with a string version',
    call: (s) => s.create(raw({ id: 'v', version: '0' })),
    error: 'TypeError',
    message: [names('v'), /metadata\.version must be an integer >= 0/],
  },
  // phases
  {
    name: 'create with an unknown phase',
    call: (s) => s.create(raw({ id: 'p', phase: 'paused' })),
    error: 'TypeError',
    message: [names('p'), /metadata\.phase must be 'running' or 'tearingDown', got paused/],
  },
  {
    name: 'update to an unknown phase',
    call: (s, a) => s.update({ metadata: { ...a.metadata, phase: 'done' as never }, spec: a.spec }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /metadata\.phase must be 'running' or 'tearingDown'/],
  },
  {
    name: 'create tearing down',
    call: (s) => s.create(Things.create('t', { n: 1 }, { phase: 'tearingDown' })),
    error: isPhaseConflict,
    message: [names('t'), /must be created running/],
  },
  {
    name: 'update with an unknown expectedPhase',
    call: (s, a) => s.update(a, { owner: 'ctrl', expectedPhase: 'soon' as never }),
    error: 'TypeError',
    message: [names('a'), /expectedPhase must be 'running', 'tearingDown' or 'any'/],
  },
  {
    name: 'modify with an unknown expectedPhase',
    call: (s) => s.modify<Spec>(ptr('a'), () => {}, { owner: 'ctrl', expectedPhase: 'soon' as never }),
    error: 'TypeError',
    message: [names('a'), /expectedPhase must be/],
  },
  // owners
  {
    name: 'create with a non-string owner option',
    call: (s) => s.create(Things.create('o', { n: 1 }), { owner: 42 as never }),
    error: 'TypeError',
    message: [names('o'), /option owner must be a string/],
  },
  {
    name: 'create with a non-string metadata owner',
    call: (s) => s.create(raw({ id: 'o', owner: null })),
    error: 'TypeError',
    message: [names('o'), /metadata\.owner must be a string/],
  },
  // finalizers
  {
    name: 'create with duplicate finalizers',
    call: (s) => s.create(raw({ id: 'f', finalizers: ['x', 'y', 'x'] })),
    error: 'TypeError',
    message: [names('f'), /finalizers holds "x" twice/],
  },
  {
    name: 'update with duplicate finalizers',
    call: (s, a) => s.update({ metadata: { ...a.metadata, finalizers: ['x', 'x'] }, spec: a.spec }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /finalizers holds "x" twice/],
  },
  {
    name: 'create with a non-string finalizer',
    call: (s) => s.create(raw({ id: 'f', finalizers: ['x', 1] })),
    error: 'TypeError',
    message: [names('f'), /metadata\.finalizers\[1\] must be a string/],
  },
  {
    name: 'addFinalizer of a non-string',
    call: (s) => s.addFinalizer(ptr('a'), 'ok', 5 as never),
    error: 'TypeError',
    message: [names('a'), /finalizer 2 must be a non-empty string/],
  },
  {
    name: 'removeFinalizer of an empty string',
    call: (s) => s.removeFinalizer(ptr('a'), ''),
    error: 'TypeError',
    message: [names('a'), /finalizer 1 must be a non-empty string/],
  },
  // labels and annotations
  {
    name: 'create with a non-string label value',
    call: (s) => s.create(raw({ id: 'l', labels: { k: 1 } })),
    error: 'TypeError',
    message: [names('l'), /metadata\.labels\["k"\] must be a string/],
  },
  {
    name: 'update with labels that are not a map',
    call: (s, a) => s.update({ metadata: { ...a.metadata, labels: ['k'] as unknown as Labels }, spec: a.spec }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /metadata\.labels must be a string-to-string map/],
  },
  {
    name: 'create with a non-string annotation',
    call: (s) => s.create(raw({ id: 'l', annotations: { note: { deep: 'x' } } })),
    error: 'TypeError',
    message: [names('l'), /metadata\.annotations\["note"\] must be a string/],
  },
  // specs that are not plain, freezable data
  {
    name: 'spec holding a function',
    call: (s) => s.create(raw({ id: 's' }, { n: () => 1 })),
    error: 'TypeError',
    message: [names('s'), /spec\.n is a function/],
  },
  {
    name: 'spec that is a function',
    call: (s) => s.create(Object.freeze({ metadata: Object.freeze({ ...raw({ id: 's' }).metadata }), spec: Object.freeze(() => 1) }) as never),
    error: 'TypeError',
    message: [names('s'), /spec is a function/],
  },
  {
    name: 'spec holding a class instance',
    call: (s) => s.create(raw({ id: 's' }, { n: new Point(1) })),
    error: 'TypeError',
    message: [names('s'), /spec\.n is an instance of Point/],
  },
  {
    name: 'frozen spec that is a Map',
    call: (s) => s.create(Object.freeze({ metadata: Object.freeze({ ...raw({ id: 's' }).metadata }), spec: Object.freeze(new Map()) }) as never),
    error: 'TypeError',
    message: [names('s'), /spec is an instance of Map/],
  },
  {
    name: 'spec with a cycle',
    call: (s) => s.create(raw({ id: 's' }, cyclic())),
    error: 'TypeError',
    message: [names('s'), /spec\.self\.back is a cycle/],
  },
  {
    name: 'frozen spec with a cycle',
    call: (s) => {
      const o = cyclic();
      Object.freeze(o['self']);
      Object.freeze(o);
      return s.create(Object.freeze({ metadata: Object.freeze({ ...raw({ id: 's' }).metadata }), spec: o }) as never);
    },
    error: 'TypeError',
    message: [names('s'), /is a cycle/],
  },
  {
    name: 'spec holding a symbol',
    call: (s) => s.create(raw({ id: 's' }, { n: [Symbol('x')] })),
    error: 'TypeError',
    message: [names('s'), /spec\.n\[0\] is a symbol/],
  },
  {
    name: 'spec with a symbol key',
    call: (s) => s.create(raw({ id: 's' }, { n: 1, [Symbol('k')]: 1 })),
    error: 'TypeError',
    message: [names('s'), /spec is an object with symbol keys/],
  },
  {
    name: 'spec holding a BigInt',
    call: (s) => s.create(raw({ id: 's' }, { n: 10n })),
    error: 'TypeError',
    message: [names('s'), /spec\.n is a BigInt/],
  },
  {
    name: 'update to a spec holding a typed array',
    call: (s, a) => s.update({ metadata: a.metadata, spec: { n: new Uint8Array(2) } }, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /spec\.n is a typed array/],
  },
  {
    name: 'resource built with a bad spec',
    call: () => Things.create('s', { n: new Point(2) }),
    error: 'TypeError',
    message: [names('s'), /spec\.n is an instance of Point/],
  },
  {
    name: 'updateWithConflicts whose recipe stores a BigInt',
    call: (s) => s.updateWithConflicts<Spec>(ptr('a'), (d) => void (d.spec.n = 1n), { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /spec\.n is a BigInt/],
  },
  {
    name: 'modify whose recipe changes the id',
    call: (s) => s.modify<Spec>(ptr('a'), (d) => void (d.metadata.id = 'b'), { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /changed metadata\.id/],
  },
  {
    name: 'modify with a recipe that is no function',
    call: (s) => s.modify<Spec>(ptr('a'), 'n = 2' as never, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /recipe must be a function/],
  },
  // Tombstones
  {
    name: 'create of a Tombstone',
    call: (s) => s.create(tombstone(ptr('gone')) as unknown as Resource<Spec>),
    error: 'TypeError',
    message: [names('gone'), /a Tombstone cannot be stored/],
  },
  {
    name: 'update to a Tombstone',
    call: (s, a) => s.update({ metadata: a.metadata, spec: undefined } as never, { owner: 'ctrl' }),
    error: 'TypeError',
    message: [names('a'), /a Tombstone cannot be stored/],
  },
  {
    name: 'create of a kind-level Tombstone',
    call: (s) => s.create(tombstone(kind) as unknown as Resource<Spec>),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev\//, /metadata\.id must be a non-empty string/],
  },
  // watch options
  {
    name: 'watchKind with a negative tailEvents',
    call: (s) => s.watchKind(kind, { tailEvents: -1 }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /tailEvents must be an integer >= 0, got -1/],
  },
  {
    name: 'watch with a fractional tailEvents',
    call: (s) => s.watch(ptr('a'), { tailEvents: 1.5 }),
    error: 'TypeError',
    message: [names('a'), /tailEvents must be an integer >= 0/],
  },
  {
    name: 'watch with tailEvents and startFromBookmark',
    call: (s) => s.watch(ptr('a'), { tailEvents: 1, startFromBookmark: new Uint8Array(1) }),
    error: 'TypeError',
    message: [names('a'), /tailEvents and startFromBookmark are exclusive/],
  },
  {
    name: 'watchKind with bootstrapContents and tailEvents',
    call: (s) => s.watchKindAggregated(kind, { bootstrapContents: true, tailEvents: 1 }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /bootstrapContents excludes tailEvents/],
  },
  {
    name: 'watchKind with a string bookmark',
    call: (s) => s.watchKind(kind, { startFromBookmark: 'abc' as never }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /startFromBookmark must be a Uint8Array/],
  },
  {
    name: 'watchKind with a non-boolean bootstrapContents',
    call: (s) => s.watchKind(kind, { bootstrapContents: 'yes' as never }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /bootstrapContents must be a boolean/],
  },
  {
    name: 'watch with a signal that is no AbortSignal',
    call: (s) => s.watch(ptr('a'), { signal: {} as never }),
    error: 'TypeError',
    message: [names('a'), /signal must be an AbortSignal/],
  },
  // label and id queries
  {
    name: 'label term with an unknown op',
    call: (s) => s.watchKind(kind, { labels: [[badTerm({ key: 'k', op: 'like' })]] }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /label term on "k": unknown op "like"/],
  },
  {
    name: 'exists term with a value',
    call: (s) => s.list(kind, { labels: [[badTerm({ key: 'k', op: 'exists', values: ['v'] })]] }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /'exists' takes no values/],
  },
  {
    name: 'in term without values',
    call: (s) => s.list(kind, { labels: [[badTerm({ key: 'k', op: 'in', values: [] })]] }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /'in' needs at least one value/],
  },
  {
    name: 'ltNumeric term with an unparsable value',
    call: (s) => s.watchKindAggregated(kind, { labels: [[badTerm({ key: 'k', op: 'ltNumeric', values: ['ten'] })]] }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /'ltNumeric' needs a number, got "ten"/],
  },
  {
    name: 'label builder with a missing key',
    call: () => label.equal('', 'v'),
    error: 'TypeError',
    message: [/key must be a non-empty string/],
  },
  {
    name: 'label term with a non-string value',
    call: (s) => s.list(kind, { labels: [[badTerm({ key: 'k', op: 'equal', values: [1] })]] }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /values must be an array of strings/],
  },
  {
    name: 'id query that does not compile',
    call: (s) => s.list(kind, { idQuery: { regexp: '(' } }),
    error: 'TypeError',
    message: [/default\/Things\.test\.cosi\.dev/, /invalid regular expression "\("/],
  },
  // history settings
  {
    name: 'history capacity below 2',
    call: () => new InMemoryState({ historyCapacity: 1 }),
    error: 'TypeError',
    message: [/InMemoryState/, /historyCapacity must be an integer >= 2, got 1/],
  },
  {
    name: 'fractional history capacity',
    call: () => new InMemoryState({ historyCapacity: 10.5 }),
    error: 'TypeError',
    message: [/InMemoryState/, /historyCapacity must be an integer >= 2/],
  },
  {
    name: 'history gap as large as the capacity',
    call: () => new InMemoryState({ historyCapacity: 8, historyGap: 8 }),
    error: 'TypeError',
    message: [/InMemoryState/, /historyGap must be an integer with 0 <= gap < historyCapacity \(8\), got 8/],
  },
  {
    name: 'negative history gap',
    call: () => new InMemoryState({ historyGap: -1 }),
    error: 'TypeError',
    message: [/InMemoryState/, /historyGap must be/],
  },
];

/** What a watcher and a reader can see of the store: every resource with its version. */
async function visible(state: InMemoryState): Promise<string[]> {
  const out: string[] = [];
  for (const k of [kind, Things.kind('other')]) {
    for (const r of await state.list(k)) {
      const m = r.metadata;
      out.push(`${m.namespace}/${m.id}@${m.version} ${m.phase} [${m.finalizers.join()}] ${JSON.stringify(m.labels)} ${JSON.stringify(r.spec)}`);
    }
  }
  return out;
}

async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

describe('bad input: typed errors naming the resource and the rule, and no partial state', () => {
  it.each(rows)('$name', async (row) => {
    const state = new InMemoryState();
    const a = await state.create(Things.create('a', { n: 1 }, { labels: { k: '1' } }), { owner: 'ctrl' });
    const kindEvents: StateEvent[] = [];
    const singleEvents: StateEvent[] = [];
    const subs = [
      state.watchKind(kind, { bootstrapBookmark: true }).subscribe((e) => kindEvents.push(e)),
      state.watch(ptr('a')).subscribe((e) => singleEvents.push(e)),
    ];
    await new Promise<void>((r) => setImmediate(r));
    const before = await visible(state);
    expect(kindEvents.map((e) => e.type)).toEqual(['noop']);
    const noop = kindEvents[0]!;
    if (noop.type !== 'noop') throw new Error('expected a noop first');
    const start = noop.bookmark;

    const error = await failure(() => row.call(state, a));

    if (row.error === 'TypeError') {
      expect(error, String(error)).toBeInstanceOf(TypeError);
    } else {
      expect(row.error(error), String(error)).toBe(true);
    }
    for (const m of row.message) expect((error as Error).message).toMatch(m);

    // Nothing changed: reads, and the history seen by a resumed watch, end at a sentinel write.
    expect(await visible(state)).toEqual(before);
    await state.create(Things.create('zz-sentinel', { n: 0 }));
    const resumed = state.watchKind(kind, { startFromBookmark: start });
    const firstAfter = await firstValueFrom(resumed.pipe(timeout(1000)));
    expect(firstAfter.type === 'errored' ? firstAfter.error : firstAfter.resource.metadata.id).toBe('zz-sentinel');
    // The live watchers got the sentinel in the same delivery that the resumed watch followed.
    expect(kindEvents.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id}`))).toEqual([
      'noop ',
      'created zz-sentinel',
    ]);
    expect(singleEvents.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} v${e.resource.metadata.version}`))).toEqual([
      'created v1',
    ]);
    for (const s of subs) s.unsubscribe();
  });

  it('rejects a clock that gives no valid Date before anything is written', async () => {
    const state = new InMemoryState({ now: () => new Date(Number.NaN) });
    const seen: StateEvent[] = [];
    const sub = state.watchKind(kind).subscribe((e) => seen.push(e));
    const error = await failure(() => state.create(Things.create('a', { n: 1 })));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/InMemoryState: the injected clock returned Invalid Date/);
    expect(await state.list(kind)).toEqual([]);
    await new Promise<void>((r) => setImmediate(r));
    expect(seen).toEqual([]);
    expect(() => new InMemoryState({ now: 'yesterday' as never })).toThrow(/now must be a function/);
    sub.unsubscribe();
  });

  it('copies a frozen spec with unfrozen parts instead of freezing the caller\'s objects', async () => {
    const state = new InMemoryState();
    const inner = { deep: 1 };
    const spec = Object.freeze({ n: inner });
    const md = Object.freeze({ ...Things.create('c', { n: 0 }).metadata });
    const stored = await state.create(Object.freeze({ metadata: md, spec }) as unknown as Resource<Spec>);
    expect(Object.isFrozen(inner)).toBe(false);
    expect(Object.isFrozen((stored.spec as { n: object }).n)).toBe(true);
    expect(stored.spec).toEqual({ n: { deep: 1 } });
  });

  it('shares a deeply frozen spec, and never freezes an unfrozen label map it was given', async () => {
    const state = new InMemoryState();
    const r = Things.create('c', { n: { deep: [1, 2] } });
    const labels = { k: 'v' };
    const stored = await state.create(r);
    expect(stored.spec).toBe(r.spec);
    const updated = await state.update({ metadata: { ...stored.metadata, labels }, spec: stored.spec });
    expect(Object.isFrozen(labels)).toBe(false);
    expect(Object.isFrozen(updated.metadata.labels)).toBe(true);
    expect(updated.metadata.labels).toEqual({ k: 'v' });
  });
});
