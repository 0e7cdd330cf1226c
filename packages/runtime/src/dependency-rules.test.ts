import { describe, it, expect } from 'vitest';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { Controller, Input, Output, QController } from './controller.ts';
import { DependencyError } from './errors.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Sentences, Strs } from './conformance/types.ts';

const noop = async () => {};
const ctrl = (name: string, inputs: Input[], outputs: Output[]): Controller => ({ name, inputs, outputs, run: noop });

/** Registers `c` expecting a DependencyError; returns its message. */
function refused(rt: Runtime, c: Controller | QController): string {
  const before = JSON.stringify(rt.graph());
  let err: unknown;
  try {
    rt.register(c);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DependencyError);
  expect((err as DependencyError).code).toBe('DependencyRule');
  expect(JSON.stringify(rt.graph())).toBe(before); // nothing registered
  return (err as Error).message;
}

describe('dependency rules (§1), each refusal saying how to fix it', () => {
  it('rule 1: names are non-empty strings and unique', () => {
    const rt = new Runtime(new InMemoryState());
    expect(refused(rt, ctrl('', [], []))).toMatch(/non-empty string `name`.*give it one/);
    expect(refused(rt, ctrl('   ', [], []))).toMatch(/non-empty/);
    expect(refused(rt, { inputs: [], outputs: [], run: noop } as unknown as Controller)).toMatch(/name/);
    rt.register(ctrl('A', [], []));
    expect(refused(rt, ctrl('A', [], []))).toMatch(/already registered.*rename/);
  });

  it('rule 2: an exclusive output type belongs to one controller; shared ones coexist', () => {
    const rt = new Runtime(new InMemoryState());
    rt.register(ctrl('Excl', [], [{ type: Strs, kind: 'exclusive' }]));
    expect(refused(rt, ctrl('Excl2', [], [{ type: Strs, kind: 'exclusive' }]))).toMatch(/conflicts with controller "Excl"/);
    expect(refused(rt, ctrl('Shared', [], [{ type: Strs, kind: 'shared' }]))).toMatch(/declare it shared in both/);
    rt.register(ctrl('S1', [], [{ type: Ints, kind: 'shared' }]));
    rt.register(ctrl('S2', [], [{ type: Ints, kind: 'shared' }]));
    rt.register(ctrl('S3', [], [{ type: Ints.type, kind: 'shared' }])); // by name or by definition: one type
    expect(refused(rt, ctrl('Excl3', [], [{ type: Ints, kind: 'exclusive' }]))).toMatch(/conflicts with controller "S1"/);
    expect(refused(rt, ctrl('Twice', [], [{ type: Sentences, kind: 'shared' }, { type: Sentences, kind: 'shared' }]))).toMatch(
      /declared twice/,
    );
  });

  it('rule 3: input keys are unique; a kind-wide and an id-scoped input on one kind conflict', () => {
    const rt = new Runtime(new InMemoryState());
    const w = (id?: string): Input => ({ namespace: 'ints', type: Ints, kind: 'weak', ...(id ? { id } : {}) });
    expect(refused(rt, ctrl('Dup', [w(), { ...w(), kind: 'strong' }], []))).toMatch(/declared twice.*declare each input once/);
    expect(refused(rt, ctrl('DupId', [w('a'), w('a')], []))).toMatch(/declared twice/);
    expect(refused(rt, ctrl('WideThenId', [w(), w('a')], []))).toMatch(/overlaps/);
    expect(refused(rt, ctrl('IdThenWide', [w('a'), w()], []))).toMatch(/overlaps/);
    rt.register(ctrl('TwoIds', [w('a'), w('b')], []));
    rt.register(ctrl('OtherNs', [w(), { ...w(), namespace: 'ints2' }], []));
  });

  it('rule 4: Controllers use weak/strong/destroyReady, QControllers primary/mapped/mappedDestroyReady', () => {
    const rt = new Runtime(new InMemoryState());
    expect(refused(rt, ctrl('C', [{ namespace: 'ints', type: Ints, kind: 'primary' as never }], []))).toMatch(/for QControllers/);
    const q: QController = { name: 'Q', inputs: [{ namespace: 'ints', type: Ints, kind: 'strong' as never }], outputs: [], reconcile: noop };
    expect(refused(rt, q)).toMatch(/for Controllers/);
    expect(refused(rt, { ...q, inputs: [], concurrency: 0 })).toMatch(/integer ≥ 1/);
    expect(refused(rt, { ...q, inputs: [], concurrency: 1.5 })).toMatch(/integer ≥ 1/);
  });

  it('rule 5: an input may have the type of an output', () => {
    const rt = new Runtime(new InMemoryState());
    rt.register(ctrl('Doubler', [{ namespace: 'ints', type: Ints, kind: 'strong' }], [{ type: Ints, kind: 'exclusive' }]));
    expect(rt.graph().edges.map((e) => e.kind)).toEqual(['inputStrong', 'outputExclusive']);
  });

  it('refuses inputs it could never read and malformed declarations, saying how to fix them', () => {
    const rt = new Runtime(new InMemoryState());
    expect(refused(rt, ctrl('NoNs', [{ namespace: '', type: Ints, kind: 'weak' }], []))).toMatch(/could never be read.*add `namespace`/);
    expect(refused(rt, ctrl('NoType', [{ namespace: 'ints', type: '', kind: 'weak' }], []))).toMatch(/needs a resource type/);
    expect(refused(rt, ctrl('EmptyId', [{ namespace: 'ints', type: Ints, id: '', kind: 'weak' }], []))).toMatch(/omit `id`/);
    expect(refused(rt, { name: 'NoInputs', outputs: [], run: noop } as unknown as Controller)).toMatch(/`inputs` must be an array/);
    expect(refused(rt, { name: 'NoOutputs', inputs: [], run: noop } as unknown as Controller)).toMatch(/use \[\] for a controller that writes nothing/);
    expect(refused(rt, ctrl('NoOutType', [], [{ type: '', kind: 'shared' }]))).toMatch(/needs a resource type/);
  });

  it('updateInputs checks the same rules and changes nothing on a violation', async () => {
    const rt = new Runtime(new InMemoryState());
    const errors: unknown[] = [];
    rt.register({
      name: 'Dynamic',
      inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
      outputs: [],
      async run(ctx) {
        for (const bad of [
          [{ namespace: 'strs', type: Strs, kind: 'weak' }, { namespace: 'strs', type: Strs, id: 'x', kind: 'weak' }],
          [{ namespace: 'strs', type: Strs, kind: 'mapped' }],
          [{ namespace: '', type: Strs, kind: 'weak' }],
        ] as Input[][]) {
          await ctx.updateInputs(bad).catch((e: unknown) => errors.push(e));
        }
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await eventually(() => expect(errors).toHaveLength(3));
    for (const e of errors) expect(e).toBeInstanceOf(DependencyError);
    expect(rt.graph().edges).toEqual([{ controller: 'Dynamic', kind: 'inputWeak', type: Ints.type, namespace: 'ints' }]);
    ac.abort();
    await running;
  });
});
