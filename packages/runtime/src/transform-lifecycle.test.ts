import { describe, it, expect } from 'vitest';
import { combineLatest, map } from 'rxjs';
import { Registry } from 'prom-client';
import { InMemoryState, isNotFound } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import { transform, type DesiredOutput } from './transform.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Sentences, Strs, type IntSpec, type StrSpec } from './conformance/types.ts';

const NAME = 'T';
const intToStr = (id?: (i: IntSpec) => string | undefined) =>
  transform<IntSpec, StrSpec>({
    name: NAME,
    input: { type: Ints, namespace: 'ints' },
    output: { type: Strs, namespace: 'strs' },
    pipeline: (in$) =>
      in$.pipe(
        map((i): DesiredOutput<StrSpec> => {
          const out = id?.(i.spec);
          return { ...(out !== undefined ? { id: out } : {}), spec: { value: String(i.spec.value) } };
        }),
      ),
  });

async function start(state: InMemoryState, ...ctrls: ReturnType<typeof intToStr>[]) {
  const metrics = new Registry();
  const rt = new Runtime(state, { metrics, backoff: { initialMs: 20, maxMs: 50 } });
  for (const c of ctrls) rt.register(c);
  const ac = new AbortController();
  const running = rt.run(ac.signal);
  return {
    metrics,
    stop: async () => {
      ac.abort();
      await running;
    },
  };
}

const absent = (p: Promise<unknown>) => expect(p).rejects.toSatisfy(isNotFound);

describe('transform lifecycle (§7)', () => {
  it('puts its finalizer on the input before the first output write', async () => {
    const state = new InMemoryState();
    const log: string[] = [];
    const recording = new Proxy(state, {
      get(t, p, r) {
        const v: unknown = Reflect.get(t, p, r);
        if (typeof v !== 'function') return v;
        const f = (v as (...a: unknown[]) => unknown).bind(t);
        if (p === 'addFinalizer') {
          return async (...a: unknown[]) => {
            const res = await (f(...a) as Promise<unknown>);
            log.push(`finalizer ${(a[0] as { id: string }).id}`);
            return res;
          };
        }
        if (p === 'update') {
          // The runtime may add its finalizer as an update of the input version it has cached.
          return async (...a: unknown[]) => {
            const md = (a[0] as { metadata: { type: string; id: string; finalizers: readonly string[] } }).metadata;
            if (md.type === Strs.type) log.push(`output ${md.id}`);
            const res = await (f(...a) as Promise<unknown>);
            if (md.type === Ints.type && md.finalizers.includes(NAME)) log.push(`finalizer ${md.id}`);
            return res;
          };
        }
        if (p === 'create' || p === 'modify') {
          return (...a: unknown[]) => {
            const md = (a[0] as { metadata?: { type: string; id: string } }).metadata ?? (a[0] as { type: string; id: string });
            if (md.type === Strs.type) log.push(`output ${md.id}`);
            return f(...a);
          };
        }
        return f;
      },
    }) as InMemoryState;
    const rt = new Runtime(recording);
    rt.register(intToStr());
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    for (const id of ['a', 'b', 'c']) await state.create(Ints.create(id, { value: 1 }));
    await eventually(() => expect(log.filter((l) => l.startsWith('output'))).toHaveLength(3));
    for (const id of ['a', 'b', 'c']) {
      expect(log.indexOf(`finalizer ${id}`), id).toBeGreaterThanOrEqual(0);
      expect(log.indexOf(`finalizer ${id}`), id).toBeLessThan(log.indexOf(`output ${id}`));
    }
    ac.abort();
    await running;
  });

  it('at start, releases an input left tearingDown with its finalizer, and removes a finalized orphan once released', async () => {
    const state = new InMemoryState();
    // Left over from an earlier run: an input being torn down, its output, and an orphaned output.
    await state.create(Ints.create('leaving', { value: 1 }, { finalizers: [NAME] }));
    await state.create(Strs.create('leaving', { value: '1' }, { namespace: 'strs' }), { owner: NAME });
    await state.teardown(Ints.pointer('leaving'));
    await state.create(Strs.create('orphan', { value: 'x' }, { namespace: 'strs', finalizers: ['foreign'] }), { owner: NAME });
    await state.create(Strs.create('notmine', { value: 'y' }, { namespace: 'strs' }), { owner: 'Someone' });
    const h = await start(state, intToStr());
    await state.watchFor(Ints.pointer('leaving'), { finalizersEmpty: true, signal: AbortSignal.timeout(5000) });
    await absent(state.get(Strs.pointer('leaving', 'strs')));
    await eventually(async () => expect((await state.get(Strs.pointer('orphan', 'strs'))).metadata.phase).toBe('tearingDown'));
    await state.removeFinalizer(Strs.pointer('orphan', 'strs'), 'foreign');
    await eventually(() => absent(state.get(Strs.pointer('orphan', 'strs'))));
    expect((await state.get<StrSpec>(Strs.pointer('notmine', 'strs'))).spec.value).toBe('y'); // other owners' outputs stay
    await h.stop();
  });

  it('recreates an output destroyed behind its back', async () => {
    const state = new InMemoryState();
    const h = await start(state, intToStr());
    await state.create(Ints.create('a', { value: 7 }));
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('a', 'strs'))).spec.value).toBe('7'));
    await state.destroy(Strs.pointer('a', 'strs'), { owner: NAME });
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('a', 'strs'))).spec.value).toBe('7'));
    await h.stop();
  });

  it('makes the later of two inputs claiming one output id fail, counted, while the first keeps it', async () => {
    const state = new InMemoryState();
    const h = await start(state, intToStr(() => 'shared'));
    await state.create(Ints.create('first', { value: 1 }));
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('shared', 'strs'))).spec.value).toBe('1'));
    await state.create(Ints.create('second', { value: 2 }));
    await eventually(async () => {
      const m = await h.metrics.getSingleMetric('cosi_controller_reconcile_errors_total')!.get();
      expect(m.values.find((v) => v.labels['controller'] === NAME)?.value).toBeGreaterThanOrEqual(1);
    });
    expect((await state.get<StrSpec>(Strs.pointer('shared', 'strs'))).spec.value).toBe('1');
    // Once the first lets go, the second's retry takes the id over.
    await state.teardown(Ints.pointer('first'));
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('shared', 'strs'))).spec.value).toBe('2'));
    await h.stop();
  });
});

describe('transform extra inputs', () => {
  it('shows an id-scoped extra input only its id', async () => {
    const state = new InMemoryState();
    await state.create(Sentences.create('wanted', { value: 'w' }, { namespace: 'cfg' }));
    await state.create(Sentences.create('other', { value: 'o' }, { namespace: 'cfg' }));
    const rt = new Runtime(state);
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'WithExtra',
        input: { type: Ints, namespace: 'ints' },
        output: { type: Strs, namespace: 'strs' },
        extraInputs: [{ namespace: 'cfg', type: Sentences, id: 'wanted', kind: 'weak' }],
        pipeline: (in$, ctx) =>
          combineLatest([in$, ctx.input$<StrSpec>(Sentences.kind('cfg'))]).pipe(
            map(([i, cfg]) => ({ spec: { value: `${i.spec.value}:${cfg.map((c) => c.metadata.id).join(',')}` } })),
          ),
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await state.create(Ints.create('a', { value: 1 }));
    await eventually(async () => expect((await state.get<StrSpec>(Strs.pointer('a', 'strs'))).spec.value).toBe('1:wanted'));
    ac.abort();
    await running;
  });
});
