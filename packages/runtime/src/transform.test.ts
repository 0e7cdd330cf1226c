import { describe, it, expect } from 'vitest';
import { combineLatest, finalize, map, take } from 'rxjs';
import { label } from '@cosi-ts/resource';
import { InMemoryState, isNotFound } from '@cosi-ts/state';
import { Runtime } from './runtime.ts';
import { transform } from './transform.ts';
import { eventually } from './conformance/eventually.ts';
import { Ints, Strs, type IntSpec, type StrSpec } from './conformance/types.ts';

describe('transform', () => {
  it('maps inputs to outputs, follows updates and releases outputs before inputs', async () => {
    const state = new InMemoryState();
    await state.create(Strs.create('orphan', { value: 'x' }), { owner: 'IntToStrTransform' });
    await state.create(Ints.create('one', { value: 1 }));
    const rt = new Runtime(state);
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'IntToStrTransform',
        input: { type: Ints, namespace: 'ints' },
        output: { type: Strs, namespace: 'strs' },
        pipeline: (in$) => in$.pipe(map((i) => ({ spec: { value: String(i.spec.value) } }))),
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    await state.create(Ints.create('two', { value: 2 }));
    const str = (id: string) => state.get<StrSpec>(Strs.pointer(id, 'strs')).then((r) => r.spec.value);
    await eventually(async () => {
      expect(await str('one')).toBe('1');
      expect(await str('two')).toBe('2');
      await expect(state.get(Strs.pointer('orphan', 'strs'))).rejects.toSatisfy(isNotFound);
    });
    await state.modify<IntSpec>(Ints.pointer('two'), (d) => {
      d.spec.value = 22;
    });
    await eventually(async () => expect(await str('two')).toBe('22'));
    expect(await state.teardown(Ints.pointer('two'))).toBe(false);
    await state.watchFor(Ints.pointer('two'), { finalizersEmpty: true, signal: AbortSignal.timeout(5000) });
    await expect(state.get(Strs.pointer('two', 'strs'))).rejects.toSatisfy(isNotFound);
    ac.abort();
    await running;
  });

  it('replays the latest version to every subscription of input$, then each new one, and completes them on teardown', async () => {
    const state = new InMemoryState();
    await state.create(Ints.create('one', { value: 1 }));
    const completed: string[] = [];
    const rt = new Runtime(state);
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'Twice',
        input: { type: Ints, namespace: 'ints' },
        output: { type: Strs, namespace: 'strs' },
        // Three subscriptions of one input$: two that follow it and one that leaves after a value.
        pipeline: (in$) =>
          combineLatest([
            in$.pipe(finalize(() => completed.push('first'))),
            in$.pipe(map((i) => i.spec.value * 10)),
            in$.pipe(take(1)),
          ]).pipe(map(([a, b, c]) => ({ spec: { value: `${a.spec.value}/${b}/${c.spec.value}` } }))),
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    const str = () => state.get<StrSpec>(Strs.pointer('one', 'strs')).then((r) => r.spec.value);
    await eventually(async () => expect(await str()).toBe('1/10/1'));
    await state.modify<IntSpec>(Ints.pointer('one'), (d) => {
      d.spec.value = 2;
    });
    await eventually(async () => expect(await str()).toBe('2/20/1'));
    expect(completed).toEqual([]);
    await state.teardown(Ints.pointer('one'));
    await state.watchFor(Ints.pointer('one'), { finalizersEmpty: true, signal: AbortSignal.timeout(5000) });
    expect(completed).toEqual(['first']);
    await expect(state.get(Strs.pointer('one', 'strs'))).rejects.toSatisfy(isNotFound);
    ac.abort();
    await running;
  });
});

describe('transform extras', () => {
  it('combines extra inputs, drops outputs on null and for inputs leaving the label filter', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state);
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'Prefixer',
        input: { type: Ints, namespace: 'ints', labels: [[label.equal('app', 'demo')]] },
        output: { type: Strs, namespace: 'strs' },
        extraInputs: [{ namespace: 'config', type: Strs, kind: 'weak' }],
        pipeline: (in$, ctx) =>
          combineLatest([in$, ctx.input$<StrSpec>(Strs.kind('config'))]).pipe(
            map(([i, config]) => {
              if (i.spec.value < 0) return null;
              const prefix = config.find((c) => c.metadata.id === 'prefix')?.spec.value ?? '';
              return { spec: { value: `${prefix}${i.spec.value}` }, labels: { from: i.metadata.id } };
            }),
          ),
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    const str = (id: string) => state.get<StrSpec>(Strs.pointer(id, 'strs')).then((r) => r.spec.value, (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    await state.create(Ints.create('a', { value: 1 }, { labels: { app: 'demo' } }));
    await state.create(Ints.create('b', { value: 2 }, { labels: { app: 'other' } }));
    await eventually(async () => expect(await str('a')).toBe('1'));
    expect(await str('b')).toBeUndefined();
    await state.create(Strs.create('prefix', { value: '#' }, { namespace: 'config' }));
    await eventually(async () => expect(await str('a')).toBe('#1'));
    expect((await state.get(Strs.pointer('a', 'strs'))).metadata.labels).toEqual({ from: 'a' });
    await state.modify<IntSpec>(Ints.pointer('a'), (d) => {
      d.spec.value = -1;
    });
    await eventually(async () => {
      expect(await str('a')).toBeUndefined();
      expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual([]);
    });
    await state.modify<IntSpec>(Ints.pointer('a'), (d) => {
      d.spec.value = 5;
    });
    await eventually(async () => expect(await str('a')).toBe('#5'));
    await state.modify<IntSpec>(Ints.pointer('a'), (d) => {
      d.metadata.labels = { app: 'other' };
    });
    await eventually(async () => {
      expect(await str('a')).toBeUndefined();
      expect((await state.get(Ints.pointer('a'))).metadata.finalizers).toEqual([]);
    });
    ac.abort();
    await running;
  });
});

describe('transform incarnations', () => {
  it('serves an input destroyed and re-created under the same id', async () => {
    const state = new InMemoryState();
    const rt = new Runtime(state);
    rt.register(
      transform<IntSpec, StrSpec>({
        name: 'IntToStrTransform',
        input: { type: Ints, namespace: 'ints' },
        output: { type: Strs, namespace: 'strs' },
        pipeline: (in$) => in$.pipe(map((i) => ({ spec: { value: String(i.spec.value) } }))),
      }),
    );
    const ac = new AbortController();
    const running = rt.run(ac.signal);
    const str = (id: string) => state.get<StrSpec>(Strs.pointer(id, 'strs')).then((r) => r.spec.value, (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    await state.create(Ints.create('x', { value: 1 }));
    await eventually(async () => expect(await str('x')).toBe('1'));
    await state.teardown(Ints.pointer('x'));
    await state.watchFor(Ints.pointer('x'), { finalizersEmpty: true, signal: AbortSignal.timeout(5000) });
    await state.destroy(Ints.pointer('x'));
    await state.create(Ints.create('x', { value: 2 }));
    await eventually(async () => expect(await str('x')).toBe('2'));
    ac.abort();
    await running;
  });
});
