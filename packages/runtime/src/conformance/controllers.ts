import type { Pointer } from '@cosi-ts/resource';
import { isNotFound } from '@cosi-ts/state';
import type { Controller, QController } from '../controller.ts';
import type { ControllerContext, QContext } from '../controller-context.ts';
import { Ints, Sentences, Strs, type IntSpec, type StrSpec } from './types.ts';

/** Strong Int input, destroyReady Str input, exclusive Str output, a finalizer on each Int (case 3). */
export function intToStr(ints: string, strs: string, name = 'IntToStrController'): Controller {
  return {
    name,
    inputs: [
      { namespace: ints, type: Ints, kind: 'strong' },
      { namespace: strs, type: Strs, kind: 'destroyReady' },
    ],
    outputs: [{ type: Strs, kind: 'exclusive' }],
    async run(ctx) {
      for await (const _ of ctx.events()) {
        for (const i of await ctx.list<IntSpec>(Ints.kind(ints))) {
          await mirror(ctx, i.metadata, Strs.pointer(i.metadata.id, strs), String(i.spec.value), i.metadata.phase === 'running');
        }
      }
    },
  };
}

/** Keeps `out` = value while the input runs; when it tears down, removes `out` and then the input's finalizer. */
async function mirror(
  ctx: QContext,
  input: Pointer & { finalizers: readonly string[] },
  out: Pointer,
  value: string,
  running: boolean,
  labels?: Record<string, string>,
): Promise<void> {
  if (running) {
    if (!input.finalizers.includes(ctx.name)) await ctx.addFinalizer(input, ctx.name);
    const type = out.type === Strs.type ? Strs : Sentences;
    await ctx.modify<StrSpec>(type.create(out.id, { value }, { namespace: out.namespace, labels: labels ?? {} }), (d) => {
      d.spec = { value };
      if (labels) d.metadata.labels = { ...labels };
    });
    return;
  }
  if (!input.finalizers.includes(ctx.name)) return;
  let ready = true;
  try {
    ready = await ctx.teardown(out);
    if (ready) await ctx.destroy(out);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (ready) await ctx.removeFinalizer(input, ctx.name);
}

/** Second stage of case 4: declares no inputs, sets them with updateInputs. */
export function strToSentence(strs: string, sentences: string): Controller {
  return {
    name: 'StrToSentenceController',
    inputs: [],
    outputs: [{ type: Sentences, kind: 'exclusive' }],
    async run(ctx) {
      await ctx.updateInputs([
        { namespace: strs, type: Strs, kind: 'strong' },
        { namespace: sentences, type: Sentences, kind: 'destroyReady' },
      ]);
      for await (const _ of ctx.events()) {
        for (const s of await ctx.list<StrSpec>(Strs.kind(strs))) {
          await mirror(ctx, s.metadata, Sentences.pointer(s.metadata.id, sentences), `${s.spec.value} sentence`, s.metadata.phase === 'running', {
            combined: '',
          });
        }
      }
    },
  };
}

/** Sums the Ints of `source` into Int `target/id` (shared output, weak input set by updateInputs). */
export function sum(name: string, source: string, target: string, id: string, labels?: Parameters<ControllerContext['list']>[1]): Controller {
  return {
    name,
    inputs: [],
    outputs: [{ type: Ints, kind: 'shared' }],
    async run(ctx) {
      await ctx.updateInputs([{ namespace: source, type: Ints, kind: 'weak' }]);
      for await (const _ of ctx.events()) {
        const items = await ctx.list<IntSpec>(Ints.kind(source), labels ?? {});
        const total = items.reduce((a, r) => a + r.spec.value, 0);
        await ctx.modify<IntSpec>(Ints.create(id, { value: total }, { namespace: target }), (d) => {
          d.spec = { value: total };
        });
      }
    },
  };
}

/** Q form of case 3 (case 15): primary Int, mappedDestroyReady Str. */
export function qIntToStr(
  ints: string,
  strs: string,
  hooks: { runHookCalls: number; shutdownHookCalls: number },
): QController {
  return {
    name: 'QIntToStrController',
    concurrency: 4,
    inputs: [
      { namespace: ints, type: Ints, kind: 'primary' },
      { namespace: strs, type: Strs, kind: 'mappedDestroyReady' },
    ],
    outputs: [{ type: Strs, kind: 'exclusive' }],
    async reconcile(ctx, ptr) {
      let i;
      try {
        i = await ctx.get<IntSpec>(ptr);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      await mirror(ctx, i.metadata, Strs.pointer(i.metadata.id, strs), String(i.spec.value), i.metadata.phase === 'running');
    },
    mapInput(_ctx, md) {
      return [Ints.pointer(md.id, ints)];
    },
    async runHook(ctx) {
      if (hooks.runHookCalls++ === 0) throw new Error('first runHook fails');
      let beat = 0;
      while (!ctx.signal.aborted) {
        beat++;
        await ctx.modify<StrSpec>(Strs.create('heartbeat', { value: '0' }, { namespace: strs }), (d) => {
          d.spec = { value: String(beat) };
        });
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1000);
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          }, { once: true });
        });
      }
    },
    shutdownHook() {
      hooks.shutdownHookCalls++;
    },
  };
}
