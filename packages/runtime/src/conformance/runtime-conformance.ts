import { describe, expect, it } from 'vitest';
import { map } from 'rxjs';
import { label, withMetadata, type Pointer } from '@cosi-ts/resource';
import { isNotFound, type State } from '@cosi-ts/state';
import type { Controller, QController } from '../controller.ts';
import { AccessError, DependencyError, RequeueError, ShutdownTimeoutError } from '../errors.ts';
import { toDot } from '../graph.ts';
import { transform } from '../transform.ts';
import { intToStr, qIntToStr, strToSentence, sum } from './controllers.ts';
import { eventually } from './eventually.ts';
import { delayedWatches, metricValue, sleepFor, withHarness, type RuntimeConformanceSetup } from './fixture.ts';
import { Ints, Sentences, Strs, type IntSpec, type StrSpec } from './types.ts';

const CASE_TIMEOUT = 30_000;

async function value(state: State, ptr: Pointer): Promise<string | number | undefined> {
  try {
    return (await state.get<{ value: string | number }>(ptr)).spec.value;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

const gone = async (state: State, ptr: Pointer) => expect(await value(state, ptr)).toBeUndefined();

/**
 * The runtime conformance suite (specs/controllers.md §12): registers vitest cases that run real
 * controllers over the State `setup` opens. Assertions poll every 10 ms for up to 10 s.
 */
export function runtimeConformance(name: string, setup: RuntimeConformanceSetup): void {
  describe(`runtime conformance: ${name}`, () => {
    it('1. no controllers: run starts and abort resolves it within 1 s', async () => {
      await withHarness(setup, async (h) => {
        h.start();
        await sleepFor(20);
        const t0 = Date.now();
        await h.stop();
        expect(Date.now() - t0).toBeLessThan(1000);
      });
    }, CASE_TIMEOUT);

    it('2. registration: each dependency rule violated throws DependencyError and registers nothing', async () => {
      await withHarness(setup, async ({ rt, n }) => {
        const base = intToStr(n.ints, n.strs);
        rt.register(base);
        const before = JSON.stringify(rt.graph());
        const noop = async () => {};
        const bad: Controller[] = [
          { ...base, name: '' },
          { ...base },
          { name: 'Excl', inputs: [], outputs: [{ type: Strs, kind: 'shared' }], run: noop },
          { name: 'Excl2', inputs: [], outputs: [{ type: Strs, kind: 'exclusive' }], run: noop },
          {
            name: 'DupInput',
            inputs: [
              { namespace: n.ints, type: Ints, kind: 'weak' },
              { namespace: n.ints, type: Ints, kind: 'strong' },
            ],
            outputs: [],
            run: noop,
          },
          {
            name: 'WideAndId',
            inputs: [
              { namespace: n.ints, type: Ints, kind: 'weak' },
              { namespace: n.ints, type: Ints, id: 'one', kind: 'weak' },
            ],
            outputs: [],
            run: noop,
          },
          { name: 'QKind', inputs: [{ namespace: n.ints, type: Ints, kind: 'primary' as never }], outputs: [], run: noop },
        ];
        for (const c of bad) expect(() => rt.register(c)).toThrow(DependencyError);
        const badQ: QController = {
          name: 'CKindInQ',
          inputs: [{ namespace: n.ints, type: Ints, kind: 'weak' as never }],
          outputs: [],
          reconcile: noop,
        };
        expect(() => rt.register(badQ)).toThrow(DependencyError);
        expect(JSON.stringify(rt.graph())).toBe(before);
        // Rule 5: an input may have the type of an output.
        rt.register({ name: 'Doubler', inputs: [{ namespace: n.ints, type: Ints, kind: 'weak' }], outputs: [{ type: Ints, kind: 'shared' }], run: noop });
      });
    }, CASE_TIMEOUT);

    it('3. IntToStr: outputs follow inputs; teardown waits for the output to go', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        rt.register(intToStr(n.ints, n.strs));
        await state.create(Ints.create('one', { value: 1 }, { namespace: n.ints }));
        start();
        await state.create(Ints.create('two', { value: 2 }, { namespace: n.ints }));
        const s = (id: string) => value(state, Strs.pointer(id, n.strs));
        await eventually(async () => {
          expect(await s('one')).toBe('1');
          expect(await s('two')).toBe('2');
        });
        await state.create(Ints.create('three', { value: 3 }, { namespace: n.ints }));
        await eventually(async () => expect(await s('three')).toBe('3'));
        await state.modify<IntSpec>(Ints.pointer('three', n.ints), (d) => {
          d.spec.value = 33;
        });
        await eventually(async () => expect(await s('three')).toBe('33'));
        expect(await state.teardown(Ints.pointer('three', n.ints))).toBe(false);
        await state.watchFor(Ints.pointer('three', n.ints), { finalizersEmpty: true, signal: AbortSignal.timeout(10_000) });
        await gone(state, Strs.pointer('three', n.strs));
        await state.destroy(Ints.pointer('three', n.ints));
      });
    }, CASE_TIMEOUT);

    it('4. IntToStrToSentence: dynamic inputs and a cascading teardown', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        rt.register(intToStr(n.ints, n.strs));
        rt.register(strToSentence(n.strs, n.sentences));
        start();
        for (const [id, v] of [['one', 1], ['two', 2]] as const) await state.create(Ints.create(id, { value: v }, { namespace: n.ints }));
        await eventually(async () => {
          const r = await state.get<StrSpec>(Sentences.pointer('one', n.sentences));
          expect(r.spec.value).toBe('1 sentence');
          expect(Object.keys(r.metadata.labels)).toContain('combined');
          expect(await value(state, Sentences.pointer('two', n.sentences))).toBe('2 sentence');
        });
        await state.modify<IntSpec>(Ints.pointer('one', n.ints), (d) => {
          d.spec.value = 11;
        });
        await eventually(async () => expect(await value(state, Sentences.pointer('one', n.sentences))).toBe('11 sentence'));
        expect(await state.teardown(Ints.pointer('one', n.ints))).toBe(false);
        await state.watchFor(Ints.pointer('one', n.ints), { finalizersEmpty: true, signal: AbortSignal.timeout(10_000) });
        await gone(state, Strs.pointer('one', n.strs));
        await gone(state, Sentences.pointer('one', n.sentences));
        await state.destroy(Ints.pointer('one', n.ints));
        expect(await value(state, Sentences.pointer('two', n.sentences))).toBe('2 sentence');
      });
    }, CASE_TIMEOUT);

    it('5. Sum: a shared output over a weak input set by updateInputs', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        const src = n.ns('source');
        const out = Ints.pointer('sum', n.ns('target'));
        rt.register(sum('SumController', src, out.namespace, out.id));
        start();
        await eventually(async () => expect(await value(state, out)).toBe(0));
        await state.create(Ints.create('one', { value: 1 }, { namespace: src }));
        await state.create(Ints.create('two', { value: 2 }, { namespace: src }));
        await eventually(async () => expect(await value(state, out)).toBe(3));
        await state.destroy(Ints.pointer('one', src));
        await eventually(async () => expect(await value(state, out)).toBe(2));
      });
    }, CASE_TIMEOUT);

    it('6. filtered sum: exists summable AND app=app1', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        const src = n.ns('source');
        const out = Ints.pointer('sum', n.ns('target'));
        rt.register(sum('FilteredSum', src, out.namespace, out.id, { labels: [[label.exists('summable'), label.equal('app', 'app1')]] }));
        start();
        await eventually(async () => expect(await value(state, out)).toBe(0));
        await state.create(Ints.create('a', { value: 2 }, { namespace: src, labels: { summable: 'true', app: 'app1' } }));
        await eventually(async () => expect(await value(state, out)).toBe(2));
        await state.create(Ints.create('b', { value: 3 }, { namespace: src, labels: { summable: 'true', app: 'app1' } }));
        await state.create(Ints.create('c', { value: 10 }, { namespace: src, labels: { summable: 'true', app: 'app2' } }));
        await state.create(Ints.create('d', { value: 20 }, { namespace: src, labels: { app: 'app1' } }));
        await eventually(async () => expect(await value(state, out)).toBe(5));
        await state.destroy(Ints.pointer('a', src));
        await eventually(async () => expect(await value(state, out)).toBe(3));
      });
    }, CASE_TIMEOUT);

    it('7. cascading sums registered after run', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        const [a, b, c, top] = [n.ns('a'), n.ns('b'), n.ns('c'), n.ns('top')];
        start();
        await sleepFor(10);
        rt.register(sum('SumA', a, c, 'a'));
        rt.register(sum('SumB', b, c, 'b'));
        rt.register(sum('SumC', c, top, 'total'));
        for (const [ns, id, v] of [[a, 'x', 1], [a, 'y', 2], [b, 'x', 3], [b, 'y', 4]] as const) {
          await state.create(Ints.create(id, { value: v }, { namespace: ns }));
        }
        await eventually(async () => expect(await value(state, Ints.pointer('total', top))).toBe(10));
      });
    }, CASE_TIMEOUT);

    for (const [num, title, sync] of [[8, 'failing: a rejecting run', false], [9, 'throwing: a synchronous non-Error throw', true]] as const) {
      it(`${num}. ${title} restarts with backoff`, async () => {
        await withHarness(setup, async ({ state, rt, n, start, metrics }) => {
          const starts: number[] = [];
          rt.register({
            name: 'Failing',
            inputs: [],
            outputs: [{ type: Ints, kind: 'exclusive' }],
            run(ctx) {
              const k = starts.length;
              starts.push(Date.now());
              const write = ctx.create(Ints.create(String(k), { value: k }, { namespace: n.ints }));
              if (sync) {
                write.catch(() => {});
                throw 'boom';
              }
              return write.then(() => Promise.reject(new Error(`failure ${k}`)));
            },
          });
          start();
          await eventually(async () => {
            expect(await value(state, Ints.pointer('0', n.ints))).toBe(0);
            expect(await value(state, Ints.pointer('1', n.ints))).toBe(1);
          });
          expect(await metricValue(metrics, 'cosi_controller_restarts_total', { controller: 'Failing' })).toBeGreaterThanOrEqual(1);
          expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(250);
        });
      }, CASE_TIMEOUT);
    }

    it('10. output tracking: cleanupOutputs removes untouched outputs, finalized ones stay tearingDown', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        const src = n.ns('src');
        const dst = n.ns('dst');
        rt.register({
          name: 'Doubler',
          inputs: [
            { namespace: src, type: Ints, kind: 'weak' },
            { namespace: dst, type: Ints, kind: 'destroyReady' },
          ],
          outputs: [{ type: Ints, kind: 'exclusive' }],
          async run(ctx) {
            for await (const _ of ctx.events()) {
              ctx.startTrackingOutputs();
              for (const i of await ctx.list<IntSpec>(Ints.kind(src))) {
                await ctx.modify<IntSpec>(Ints.create(i.metadata.id, { value: 0 }, { namespace: dst }), (d) => {
                  d.spec = { value: i.spec.value * 2 };
                });
              }
              await ctx.cleanupOutputs(Ints.kind(dst));
            }
          },
        });
        for (const [id, v] of [['one', 1], ['two', 2], ['three', 3]] as const) await state.create(Ints.create(id, { value: v }, { namespace: src }));
        start();
        const d = (id: string) => value(state, Ints.pointer(id, dst));
        await eventually(async () => expect([await d('one'), await d('two'), await d('three')]).toEqual([2, 4, 6]));
        await state.destroy(Ints.pointer('three', src));
        await eventually(async () => expect(await d('three')).toBeUndefined());
        await state.addFinalizer(Ints.pointer('two', dst), 'foreign');
        await state.destroy(Ints.pointer('two', src));
        await state.watchFor(Ints.pointer('two', dst), { phases: ['tearingDown'], signal: AbortSignal.timeout(10_000) });
        await sleepFor(50);
        expect((await state.get(Ints.pointer('two', dst))).metadata.phase).toBe('tearingDown');
        await state.removeFinalizer(Ints.pointer('two', dst), 'foreign');
        await eventually(async () => expect(await d('two')).toBeUndefined());
        expect(await d('one')).toBe(2);
      });
    }, CASE_TIMEOUT);

    it('11. modify resolves to the stored resource', async () => {
      await withHarness(setup, async ({ rt, n, start }) => {
        const results: unknown[] = [];
        rt.register({
          name: 'Modifier',
          inputs: [],
          outputs: [{ type: Ints, kind: 'exclusive' }],
          async run(ctx) {
            for await (const _ of ctx.events()) {
              results.push(
                await ctx.modify<IntSpec>(Ints.create('result', { value: 0 }, { namespace: n.ints }), (d) => {
                  d.spec = { value: 42 };
                }),
              );
            }
          },
        });
        start();
        await eventually(() => expect(results).toHaveLength(1));
        const r = results[0] as { metadata: { id: string; version: number; owner: string }; spec: IntSpec };
        expect(r.metadata.id).toBe('result');
        expect(r.spec.value).toBe(42);
        expect(r.metadata.owner).toBe('Modifier');
        expect(r.metadata.version).toBeGreaterThanOrEqual(1);
      });
    }, CASE_TIMEOUT);

    it('12. read-your-writes over watches delayed by 200 ms', async () => {
      await withHarness(
        setup,
        async ({ rt, n, start }) => {
          const seen: { wrote: number; got: number; listed: number | undefined }[] = [];
          rt.register({
            name: 'ReadYourWrites',
            inputs: [{ namespace: n.ints, type: Ints, kind: 'weak' }],
            outputs: [{ type: Ints, kind: 'exclusive' }],
            async run(ctx) {
              for await (const _ of ctx.events()) {
                for (let k = 1; k <= 5 && seen.length < 10; k++) {
                  const w = await ctx.modify<IntSpec>(Ints.create('counter', { value: 0 }, { namespace: n.ints }), (d) => {
                    d.spec = { value: d.spec.value + 1 };
                  });
                  const got = await ctx.get<IntSpec>(Ints.pointer('counter', n.ints));
                  const listed = (await ctx.list<IntSpec>(Ints.kind(n.ints))).find((r) => r.metadata.id === 'counter');
                  seen.push({ wrote: w.spec.value, got: got.spec.value, listed: listed?.spec.value });
                }
              }
            },
          });
          start();
          await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(10));
          for (const s of seen) {
            expect(s.got).toBeGreaterThanOrEqual(s.wrote);
            expect(s.listed).toBeGreaterThanOrEqual(s.wrote);
          }
        },
        { wrap: (s) => delayedWatches(s, 200) },
      );
    }, CASE_TIMEOUT);

    it('13. access rules: violations reject with AccessError and restart the controller', async () => {
      await withHarness(
        setup,
        async ({ state, rt, n, start, metrics }) => {
          const errors = new Map<string, unknown>();
          const offender = (name: string, inputs: Controller['inputs'], act: (ctx: Parameters<Controller['run']>[0]) => Promise<unknown>): Controller => ({
            name,
            inputs,
            outputs: [{ type: Strs, kind: 'shared' }],
            async run(ctx) {
              for await (const _ of ctx.events()) {
                try {
                  await act(ctx);
                } catch (e) {
                  errors.set(name, e);
                  throw e;
                }
              }
            },
          });
          await state.create(Ints.create('one', { value: 1 }, { namespace: n.ints }));
          rt.register(offender('ReadsNonInput', [], (ctx) => ctx.get(Ints.pointer('one', n.ints))));
          rt.register(offender('WritesNonOutput', [], (ctx) => ctx.create(Sentences.create('x', { value: 'x' }, { namespace: n.sentences }))));
          rt.register(
            offender('FinalizesWeak', [{ namespace: n.ints, type: Ints, kind: 'weak' }], (ctx) => ctx.addFinalizer(Ints.pointer('one', n.ints), 'f')),
          );
          start();
          for (const name of ['ReadsNonInput', 'WritesNonOutput', 'FinalizesWeak']) {
            await eventually(async () => {
              const e = errors.get(name);
              expect(e).toBeInstanceOf(AccessError);
              expect((e as AccessError).code).toBe('AccessDenied');
              expect((e as AccessError).message).toContain(name);
              expect(await metricValue(metrics, 'cosi_controller_restarts_total', { controller: name })).toBeGreaterThanOrEqual(1);
            });
          }
          expect((await state.get(Ints.pointer('one', n.ints))).metadata.finalizers).toEqual([]);
        },
        { runtime: { backoff: { initialMs: 20, maxMs: 100 } } },
      );
    }, CASE_TIMEOUT);

    it('14. metrics: wakeups, reads, writes and restarts', async () => {
      await withHarness(
        setup,
        async ({ state, rt, n, start, metrics }) => {
          const passes: number[] = [];
          await state.create(Ints.create('x', { value: 1 }, { namespace: n.ints }));
          rt.register({
            name: 'Metered',
            inputs: [{ namespace: n.ints, type: Ints, kind: 'weak' }],
            outputs: [{ type: Strs, kind: 'exclusive' }],
            async run(ctx) {
              for await (const _ of ctx.events()) {
                for (const i of await ctx.list<IntSpec>(Ints.kind(n.ints))) {
                  if (i.spec.value === 42) throw new Error('42 is not allowed');
                  await ctx.modify<StrSpec>(Strs.create(i.metadata.id, { value: '' }, { namespace: n.strs }), (d) => {
                    d.spec = { value: String(i.spec.value) };
                  });
                }
                try {
                  await ctx.destroy(Strs.pointer('missing', n.strs));
                } catch (e) {
                  if (!isNotFound(e)) throw e;
                }
                passes.push(1);
              }
            },
          });
          const c = { controller: 'Metered' };
          const v = (name: string, extra: Record<string, string> = {}) => metricValue(metrics, name, { ...c, ...extra });
          start();
          await eventually(() => expect(passes).toHaveLength(1));
          expect(await v('cosi_controller_wakeups_total')).toBe(1);
          expect(await v('cosi_controller_reads_total')).toBe(2);
          expect(await v('cosi_controller_writes_total')).toBe(2);
          await state.modify<IntSpec>(Ints.pointer('x', n.ints), (d) => {
            d.spec.value = 42;
          });
          await eventually(async () => expect(await v('cosi_controller_restarts_total')).toBe(1));
          expect(await v('cosi_controller_wakeups_total')).toBe(2);
        },
        { runtime: { backoff: { initialMs: 60_000, jitter: 0 } } },
      );
    }, CASE_TIMEOUT);

    it('15. QController IntToStr: concurrency, mapped destroy-ready, hooks', async () => {
      await withHarness(setup, async ({ state, rt, n, start, stop, metrics }) => {
        const hooks = { runHookCalls: 0, shutdownHookCalls: 0 };
        rt.register(qIntToStr(n.ints, n.strs, hooks));
        start();
        for (const [id, v] of [['one', 1], ['two', 2], ['three', 3]] as const) await state.create(Ints.create(id, { value: v }, { namespace: n.ints }));
        const s = (id: string) => value(state, Strs.pointer(id, n.strs));
        await eventually(async () => expect([await s('one'), await s('two'), await s('three')]).toEqual(['1', '2', '3']));
        await state.modify<IntSpec>(Ints.pointer('two', n.ints), (d) => {
          d.spec.value = 22;
        });
        await eventually(async () => expect(await s('two')).toBe('22'));
        await state.addFinalizer(Strs.pointer('one', n.strs), 'foreign');
        expect(await state.teardown(Ints.pointer('one', n.ints))).toBe(false);
        await state.watchFor(Strs.pointer('one', n.strs), { phases: ['tearingDown'], signal: AbortSignal.timeout(10_000) });
        await sleepFor(100);
        expect((await state.get(Ints.pointer('one', n.ints))).metadata.finalizers).toContain('QIntToStrController');
        await state.removeFinalizer(Strs.pointer('one', n.strs), 'foreign');
        await state.watchFor(Ints.pointer('one', n.ints), { finalizersEmpty: true, signal: AbortSignal.timeout(10_000) });
        await gone(state, Strs.pointer('one', n.strs));
        await state.destroy(Ints.pointer('one', n.ints));
        await eventually(async () => expect(Number(await s('heartbeat'))).toBeGreaterThanOrEqual(1));
        expect(await metricValue(metrics, 'cosi_controller_restarts_total', { controller: 'QIntToStrController' })).toBeGreaterThanOrEqual(1);
        await stop();
        expect(hooks.shutdownHookCalls).toBe(1);
      });
    }, CASE_TIMEOUT);

    it('16. QController failure modes heal once fixed; requeueAfter counts no error', async () => {
      await withHarness(
        setup,
        async ({ state, rt, n, start, metrics }) => {
          const q = (name: string, ns: string): QController => ({
            name,
            inputs: [{ namespace: ns, type: Strs, kind: 'primary' }],
            outputs: [{ type: Sentences, kind: 'shared' }],
            reconcile(ctx, ptr) {
              return (async () => {
                let s;
                try {
                  s = await ctx.get<StrSpec>(ptr);
                } catch (e) {
                  if (isNotFound(e)) return;
                  throw e;
                }
                switch (s.spec.value) {
                  case 'fail':
                    throw new Error('fail');
                  case 'requeue_no_error':
                    return { requeueAfter: 100 };
                  case 'requeue_with_error':
                    throw new RequeueError(new Error('requeue'), 100);
                  default:
                    await ctx.modify<StrSpec>(Sentences.create(ptr.id, { value: '' }, { namespace: n.sentences }), (d) => {
                      d.spec = { value: s.spec.value };
                    });
                }
              })().then((r) => r);
            },
          });
          const failing = q('QFailing', n.strs);
          const throwing: QController = {
            ...failing,
            reconcile(ctx, ptr) {
              if (ptr.id === 'throw' && !healed.has('throw')) throw new Error('sync throw');
              return failing.reconcile(ctx, ptr);
            },
          };
          const healed = new Set<string>();
          const requeuer = q('QRequeue', n.ns('requeue'));
          rt.register(throwing);
          rt.register(requeuer);
          const ids = ['fail', 'throw', 'requeue_with_error', 'ok'];
          for (const id of ids) await state.create(Strs.create(id, { value: id }, { namespace: n.strs }));
          await state.create(Strs.create('requeue_no_error', { value: 'requeue_no_error' }, { namespace: n.ns('requeue') }));
          start();
          const sentence = (id: string) => value(state, Sentences.pointer(id, n.sentences));
          await eventually(async () => expect(await sentence('ok')).toBe('ok'));
          await eventually(async () =>
            expect(await metricValue(metrics, 'cosi_controller_reconcile_total', { controller: 'QRequeue', result: 'requeue' })).toBeGreaterThanOrEqual(2),
          );
          for (const id of ['fail', 'throw', 'requeue_with_error']) expect(await sentence(id)).toBeUndefined();
          expect(await metricValue(metrics, 'cosi_controller_reconcile_errors_total', { controller: 'QFailing' })).toBeGreaterThanOrEqual(3);
          expect(await metricValue(metrics, 'cosi_controller_reconcile_errors_total', { controller: 'QRequeue' })).toBe(0);
          healed.add('throw');
          for (const id of ['fail', 'throw', 'requeue_with_error']) {
            await state.modify<StrSpec>(Strs.pointer(id, n.strs), (d) => {
              d.spec.value = 'no fail';
            });
          }
          await eventually(async () => {
            for (const id of ['fail', 'throw', 'requeue_with_error']) expect(await sentence(id)).toBe('no fail');
          });
        },
        { runtime: { backoff: { initialMs: 50, maxMs: 200 } } },
      );
    }, CASE_TIMEOUT);

    it('17. QController exclusivity: a key never runs twice at once and runs once more afterwards', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        let running = 0;
        let maxRunning = 0;
        let lastSeen = -1;
        rt.register({
          name: 'QSlow',
          concurrency: 4,
          inputs: [{ namespace: n.ints, type: Ints, kind: 'primary' }],
          outputs: [],
          async reconcile(ctx, ptr) {
            running++;
            maxRunning = Math.max(maxRunning, running);
            try {
              lastSeen = (await ctx.get<IntSpec>(ptr)).spec.value;
              await sleepFor(50);
            } finally {
              running--;
            }
          },
        });
        await state.create(Ints.create('slow', { value: 0 }, { namespace: n.ints }));
        start();
        for (let k = 1; k <= 20; k++) {
          await state.modify<IntSpec>(Ints.pointer('slow', n.ints), (d) => {
            d.spec.value = k;
          });
          await sleepFor(5);
        }
        await eventually(() => expect(lastSeen).toBe(20));
        expect(maxRunning).toBe(1);
      });
    }, CASE_TIMEOUT);

    it('18. a long reconcile is cancelled by tearing its input down', async () => {
      await withHarness(setup, async ({ state, rt, n, start }) => {
        rt.register({
          name: 'QLong',
          concurrency: 1,
          inputs: [{ namespace: n.ints, type: Ints, kind: 'primary' }],
          outputs: [{ type: Strs, kind: 'exclusive' }],
          async reconcile(ctx, ptr) {
            let i;
            try {
              i = await ctx.get<IntSpec>(ptr);
            } catch (e) {
              if (isNotFound(e)) return;
              throw e;
            }
            if (i.metadata.phase !== 'running') return;
            if (i.spec.value === 10_000) {
              const sig = await ctx.signalWithTeardown(ptr);
              await sleepFor(10_000, sig).catch(() => {});
              return;
            }
            await ctx.modify<StrSpec>(Strs.create(ptr.id, { value: '' }, { namespace: n.strs }), (d) => {
              d.spec = { value: String(i.spec.value) };
            });
          },
        });
        await state.create(Ints.create('long', { value: 10_000 }, { namespace: n.ints }));
        start();
        await sleepFor(50);
        for (let k = 1; k <= 5; k++) await state.create(Ints.create(`n${k}`, { value: k }, { namespace: n.ints }));
        await sleepFor(50);
        await state.teardown(Ints.pointer('long', n.ints));
        const t0 = Date.now();
        await eventually(async () => {
          for (let k = 1; k <= 5; k++) expect(await value(state, Strs.pointer(`n${k}`, n.strs))).toBe(String(k));
        });
        expect(Date.now() - t0).toBeLessThan(3000);
      });
    }, CASE_TIMEOUT);

    it('19. transform: outputs follow inputs, orphans go, a failing id leaves others running', async () => {
      await withHarness(
        setup,
        async ({ state, rt, n, start }) => {
          const name = 'IntToStrTransform';
          await state.create(Strs.create('orphan', { value: 'x' }, { namespace: n.strs }), { owner: name });
          await state.create(Ints.create('one', { value: 1 }, { namespace: n.ints }));
          rt.register(
            transform<IntSpec, StrSpec>({
              name,
              input: { type: Ints, namespace: n.ints },
              output: { type: Strs, namespace: n.strs },
              pipeline: (in$) =>
                in$.pipe(
                  map((i) => {
                    if (i.spec.value === 13) throw new Error('13 is unlucky');
                    return { spec: { value: String(i.spec.value) } };
                  }),
                ),
            }),
          );
          start();
          await state.create(Ints.create('two', { value: 2 }, { namespace: n.ints }));
          await state.create(Ints.create('bad', { value: 13 }, { namespace: n.ints }));
          const s = (id: string) => value(state, Strs.pointer(id, n.strs));
          await eventually(async () => {
            expect([await s('one'), await s('two'), await s('orphan')]).toEqual(['1', '2', undefined]);
          });
          expect(await s('bad')).toBeUndefined();
          await state.modify<IntSpec>(Ints.pointer('two', n.ints), (d) => {
            d.spec.value = 22;
          });
          await eventually(async () => expect(await s('two')).toBe('22'));
          await state.modify<IntSpec>(Ints.pointer('bad', n.ints), (d) => {
            d.spec.value = 14;
          });
          await eventually(async () => expect(await s('bad')).toBe('14'));
          expect(await state.teardown(Ints.pointer('two', n.ints))).toBe(false);
          await state.watchFor(Ints.pointer('two', n.ints), { finalizersEmpty: true, signal: AbortSignal.timeout(10_000) });
          await gone(state, Strs.pointer('two', n.strs));
          await state.destroy(Ints.pointer('two', n.ints));
        },
        { runtime: { backoff: { initialMs: 50, maxMs: 200 } } },
      );
    }, CASE_TIMEOUT);

    it('20. watch resilience: a burst past a small history converges', async () => {
      await withHarness(
        setup,
        async ({ state, rt, n, start }) => {
          rt.register(intToStr(n.ints, n.strs));
          start();
          await sleepFor(20);
          for (let k = 0; k < 5; k++) await state.create(Ints.create(`i${k}`, { value: 0 }, { namespace: n.ints }));
          await eventually(async () => expect(await state.list(Strs.kind(n.strs))).toHaveLength(5));
          await eventually(async () => {
            for (const r of await state.list(Ints.kind(n.ints))) expect(r.metadata.finalizers).toContain('IntToStrController');
          });
          const current = await state.list<IntSpec>(Ints.kind(n.ints));
          // 100 writes issued without yielding to the event loop: far past a history of 10. A backend
          // that reorders concurrent writes may refuse some as version conflicts; what counts is that
          // the outputs converge to whatever the inputs end up as.
          await Promise.allSettled(
            Array.from({ length: 100 }, (_, k) => {
              const r = current[k % 5]!;
              const version = r.metadata.version + Math.floor(k / 5);
              return state.update({ metadata: withMetadata(r, { version }).metadata, spec: { value: k } });
            }),
          );
          const final = await state.list<IntSpec>(Ints.kind(n.ints));
          expect(final.some((r) => r.spec.value > 0)).toBe(true);
          await eventually(async () => {
            const strs = await state.list<StrSpec>(Strs.kind(n.strs));
            expect(strs.map((r) => [r.metadata.id, r.spec.value])).toEqual(final.map((r) => [r.metadata.id, String(r.spec.value)]));
          });
          await state.create(Ints.create('after', { value: 7 }, { namespace: n.ints }));
          await eventually(async () => expect(await value(state, Strs.pointer('after', n.strs))).toBe('7'));
        },
        { history: { historyCapacity: 10, historyGap: 5 } },
      );
    }, CASE_TIMEOUT);

    it('21. graph: JSON edges and a golden DOT', async () => {
      await withHarness(setup, async ({ rt }) => {
        rt.register(intToStr('ints', 'strs'));
        const g = rt.graph();
        expect(g).toEqual({
          controllers: ['IntToStrController'],
          edges: [
            { controller: 'IntToStrController', kind: 'inputDestroyReady', type: 'Strs.test.cosi.dev', namespace: 'strs' },
            { controller: 'IntToStrController', kind: 'inputStrong', type: 'Ints.test.cosi.dev', namespace: 'ints' },
            { controller: 'IntToStrController', kind: 'outputExclusive', type: 'Strs.test.cosi.dev' },
          ],
        });
        expect(toDot(g)).toBe(
          [
            'digraph controllers {',
            '  rankdir=LR;',
            '  "IntToStrController" [shape=box];',
            '  "Ints.test.cosi.dev" [shape=ellipse];',
            '  "Strs.test.cosi.dev" [shape=ellipse];',
            '  "Strs.test.cosi.dev" -> "IntToStrController" [label="strs", style=dotted];',
            '  "Ints.test.cosi.dev" -> "IntToStrController" [label="ints", style=solid];',
            '  "IntToStrController" -> "Strs.test.cosi.dev" [style=bold];',
            '}',
            '',
          ].join('\n'),
        );
      });
    }, CASE_TIMEOUT);

    it('22. shutdown: a stuck controller times out; otherwise graceful with shutdownHooks', async () => {
      await withHarness(
        setup,
        async ({ rt, start, stop }) => {
          let release: () => void = () => {};
          rt.register({
            name: 'Stubborn',
            inputs: [],
            outputs: [],
            run: () => new Promise<void>((resolve) => (release = resolve)),
          });
          start();
          await sleepFor(20);
          const err = await stop().then(
            () => undefined,
            (e: unknown) => e,
          );
          release();
          expect(err).toBeInstanceOf(ShutdownTimeoutError);
          expect((err as ShutdownTimeoutError).controllers).toEqual(['Stubborn']);
        },
        { runtime: { shutdownTimeoutMs: 100 } },
      );
      await withHarness(setup, async ({ rt, n, start, stop }) => {
        let hookCalls = 0;
        let passes = 0;
        rt.register({
          name: 'Polite',
          inputs: [],
          outputs: [],
          async run(ctx) {
            for await (const _ of ctx.events()) passes++;
          },
        });
        rt.register({
          name: 'PoliteQ',
          inputs: [{ namespace: n.ints, type: Ints, kind: 'primary' }],
          outputs: [],
          reconcile: async () => {},
          shutdownHook: () => {
            hookCalls++;
          },
        });
        start();
        await eventually(() => expect(passes).toBe(1));
        await stop();
        expect(hookCalls).toBe(1);
        expect(() => rt.register({ name: 'Late', inputs: [], outputs: [], run: async () => {} })).toThrow(/shutting down/);
      });
    }, CASE_TIMEOUT);
  });
}
