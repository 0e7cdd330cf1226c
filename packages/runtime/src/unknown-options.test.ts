import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { isUnknownOption } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import type { ControllerContext } from './controller-context.ts';
import { transform } from './transform.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Strs } from './conformance/types.ts';

// Issue 17 §6: misspelled options of the runtime's public calls are TypeErrors naming the option and
// the closest known one, not silently ignored.

/** The error `body` throws inside a running Controller (inputs: Ints weak; output: Strs). */
async function errorInController(state: InMemoryState, body: (ctx: ControllerContext) => Promise<unknown>): Promise<unknown> {
  const rt = new Runtime(state, { backoff: { initialMs: 60_000 } });
  let result: { err: unknown } | undefined;
  rt.register({
    name: 'Ctl',
    inputs: [{ namespace: 'ints', type: Ints, kind: 'weak' }],
    outputs: [{ type: Strs, kind: 'shared' }],
    async run(ctx) {
      try {
        await body(ctx);
        result = { err: undefined };
      } catch (e) {
        result = { err: e };
      }
    },
  });
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  await eventually(() => expect(result).toBeDefined());
  ac.abort();
  await running;
  return result?.err;
}

function expectUnknown(e: unknown, option: string, suggestion: string, where: RegExp): void {
  expect(e).toBeInstanceOf(TypeError);
  expect(isUnknownOption(e), String(e)).toBe(true);
  expect(e).toMatchObject({ option, suggestion });
  expect((e as Error).message).toMatch(where);
}

describe('runtime: unknown options', () => {
  it('Runtime options, and the nested backoff and changeRateLimit', () => {
    const state = new InMemoryState();
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expectUnknown(caught(() => new Runtime(state, { shutdownTimeout: 5 } as never)), 'shutdownTimeout', 'shutdownTimeoutMs', /^Runtime:/);
    expectUnknown(caught(() => new Runtime(state, { backoff: { initalMs: 5 } } as never)), 'initalMs', 'initialMs', /^Runtime backoff:/);
    expectUnknown(caught(() => new Runtime(state, { changeRateLimit: { perSecond: 1, bursts: 2 } } as never)), 'bursts', 'burst', /^Runtime changeRateLimit:/);
  });

  it('controller context calls', async () => {
    const state = new InMemoryState();
    await state.create(Ints.create('i', { value: 1 }));
    await state.create(Strs.create('s', { value: '' }), { owner: 'Ctl' });
    const cases: [(ctx: ControllerContext) => Promise<unknown>, string, string, RegExp][] = [
      [(ctx) => ctx.get(Ints.pointer('i'), { uncahced: true } as never), 'uncahced', 'uncached', /^controller "Ctl" get ints\/Ints\.test\.cosi\.dev\/i/],
      [(ctx) => ctx.list(Ints.kind(), { label: [] } as never), 'label', 'labels', /^controller "Ctl" list ints\/Ints/],
      [(ctx) => ctx.update(Strs.create('s', { value: 'x' }), { expectPhase: 'any' } as never), 'expectPhase', 'expectedPhase', /^controller "Ctl" update /],
      [(ctx) => ctx.modify(Strs.pointer('s'), () => {}, { phase: 'any' } as never), 'phase', 'expectedPhase', /^controller "Ctl" modify /],
      [(ctx) => ctx.destroy(Strs.pointer('s'), { ownr: 'x' } as never), 'ownr', 'owner', /^controller "Ctl" destroy /],
      [(ctx) => ctx.teardown(Strs.pointer('s'), { ownr: 'x' } as never), 'ownr', 'owner', /^controller "Ctl" teardown /],
      [(ctx) => ctx.watchFor(Ints.pointer('i'), { condition: () => true } as never), 'condition', 'predicate', /watchFor of ints\/Ints/],
    ];
    for (const [body, option, suggestion, where] of cases) expectUnknown(await errorInController(state, body), option, suggestion, where);
    expect((await state.get(Strs.pointer('s'))).metadata.version).toBe(1);
  });

  it('transform options, input and output', () => {
    const base = {
      name: 'T',
      input: { type: Ints, namespace: 'ints' },
      output: { type: Strs, namespace: 'strs' },
      pipeline: () => of(null),
    };
    const caught = (opts: unknown) => {
      try {
        transform(opts as never);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(caught(base)).toBeUndefined();
    expectUnknown(caught({ ...base, extraInput: [] }), 'extraInput', 'extraInputs', /^transform "T":/);
    expectUnknown(caught({ ...base, input: { ...base.input, idQueries: {} } }), 'idQueries', 'idQuery', /^transform "T" input:/);
    expectUnknown(caught({ ...base, output: { ...base.output, knd: 'shared' } }), 'knd', 'kind', /^transform "T" output:/);
  });
});
