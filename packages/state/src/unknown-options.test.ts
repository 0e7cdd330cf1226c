import { describe, expect, it } from 'vitest';
import { defineResourceType, isUnknownOption } from '@cosi-ts/resource';
import { InMemoryState } from './in-memory-state.ts';
import { toAsyncIterable } from './to-async-iterable.ts';
import type { State } from './state.ts';

// Issue 17 §6: a misspelled option used to be ignored (watchFor({ condition }) resolved with the first
// event; watchKind({ bootstrapContent: true }) gave no bootstrap). Every options object refuses it.

interface Spec {
  readonly n: number;
}
const Things = defineResourceType<Spec>({ type: 'Things.test.cosi.dev', defaultNamespace: 'default' });
const kind = Things.kind();
const ptr = Things.pointer('a');

interface Row {
  readonly call: (s: State) => unknown;
  readonly option: string;
  readonly suggestion: string;
  readonly where: RegExp;
}

const rows: Record<string, Row> = {
  'watchFor condition': { call: (s) => s.watchFor(ptr, { condition: () => true } as never), option: 'condition', suggestion: 'predicate', where: /^watchFor of default\/Things\.test\.cosi\.dev\/a/ },
  'watchKind bootstrapContent': { call: (s) => s.watchKind(kind, { bootstrapContent: true } as never), option: 'bootstrapContent', suggestion: 'bootstrapContents', where: /^watchKind of default\/Things\.test\.cosi\.dev/ },
  'watchKindAggregated tailEvent': { call: (s) => s.watchKindAggregated(kind, { tailEvent: 3 } as never), option: 'tailEvent', suggestion: 'tailEvents', where: /^watchKindAggregated of/ },
  'watch bootstrapContents (a watchKind option)': { call: (s) => s.watch(ptr, { bootstrapContents: true } as never), option: 'bootstrapContents', suggestion: 'tailEvents', where: /^watch of default\/Things\.test\.cosi\.dev\/a/ },
  'list label': { call: (s) => s.list(kind, { label: [] } as never), option: 'label', suggestion: 'labels', where: /^list default\/Things/ },
  'get signl': { call: (s) => s.get(ptr, { signl: undefined, sigal: 1 } as never), option: 'sigal', suggestion: 'signal', where: /^get default\/Things\.test\.cosi\.dev\/a/ },
  'create ownr': { call: (s) => s.create(Things.create('b', { n: 1 }), { ownr: 'me' } as never), option: 'ownr', suggestion: 'owner', where: /^create default\/Things\.test\.cosi\.dev\/b/ },
  'create expectedPhase (an update option)': { call: (s) => s.create(Things.create('b', { n: 1 }), { expectedPhase: 'any' } as never), option: 'expectedPhase', suggestion: 'owner', where: /^create / },
  'update expectPhase': { call: async (s) => s.update(await s.get(ptr), { expectPhase: 'any' } as never), option: 'expectPhase', suggestion: 'expectedPhase', where: /^update / },
  'destroy owners': { call: (s) => s.destroy(ptr, { owners: 'x' } as never), option: 'owners', suggestion: 'owner', where: /^destroy / },
  'modify expectedPhases': { call: (s) => s.modify(ptr, () => {}, { expectedPhases: 'any' } as never), option: 'expectedPhases', suggestion: 'expectedPhase', where: /^modify / },
  'updateWithConflicts ower': { call: (s) => s.updateWithConflicts(ptr, () => {}, { ower: 'x' } as never), option: 'ower', suggestion: 'owner', where: /^updateWithConflicts / },
  'teardown ownr': { call: (s) => s.teardown(ptr, { ownr: 'x' } as never), option: 'ownr', suggestion: 'owner', where: /^teardown / },
  'teardownAndDestroy ownr': { call: (s) => s.teardownAndDestroy(ptr, { ownr: 'x' } as never), option: 'ownr', suggestion: 'owner', where: /^teardownAndDestroy / },
  'addFinalizer trailing options': { call: (s) => s.addFinalizer(ptr, 'f', { singal: AbortSignal.timeout(1000) } as never), option: 'singal', suggestion: 'signal', where: /^addFinalizer / },
  'signalWithTeardown signals': { call: (s) => s.signalWithTeardown(ptr, { signals: [] } as never), option: 'signals', suggestion: 'signal', where: /^signalWithTeardown / },
};

async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('unknown options are TypeErrors naming the option and the closest known one', () => {
  for (const [name, row] of Object.entries(rows)) {
    it(name, async () => {
      const state = new InMemoryState();
      await state.create(Things.create('a', { n: 0 }));
      const e = await failure(() => row.call(state));
      expect(e, 'the call must fail').toBeInstanceOf(TypeError);
      expect(isUnknownOption(e), String(e)).toBe(true);
      expect(e).toMatchObject({ option: row.option, suggestion: row.suggestion });
      expect((e as Error).message).toMatch(row.where);
      expect((e as Error).message).toContain(`did you mean '${row.suggestion}'?`);
      // Nothing was written.
      expect((await state.list(kind)).map((r) => `${r.metadata.id} v${r.metadata.version}`)).toEqual(['a v1']);
    });
  }

  it('InMemoryState and toAsyncIterable options too', () => {
    expect(() => new InMemoryState({ historyCapacty: 10 } as never)).toThrow(/InMemoryState: unknown option "historyCapacty" \(did you mean 'historyCapacity'\?\)/);
    const state = new InMemoryState();
    expect(() => toAsyncIterable(state.watch(ptr), { highWatermark: 5 } as never)).toThrow(/toAsyncIterable: unknown option "highWatermark" \(did you mean 'highWaterMark'\?\)/);
  });

  it('known options, and undefined-valued keys of any name, still pass', async () => {
    const state = new InMemoryState();
    await state.create(Things.create('a', { n: 0 }), { owner: 'me', signal: undefined } as never);
    expect(await state.list(kind, { labels: [], idQuery: undefined, other: undefined } as never)).toHaveLength(1);
    const ev = await state.watchFor(ptr, { eventTypes: ['created'], phases: ['running'], finalizersEmpty: true, predicate: () => true });
    expect(ev.type).toBe('created');
  });
});
