// A runnable tour of the three controller styles (see docs/controllers.md):
//   node --conditions=@cosi-ts/source --import tsx packages/runtime/src/examples/int-to-str.ts
import { pathToFileURL } from 'node:url';
import { map } from 'rxjs';
import { defineResourceType } from '@cosi-ts/resource';
import { InMemoryState, isNotFound, type State } from '@cosi-ts/state';
import { Runtime } from '../runtime.ts';
import { transform } from '../transform.ts';
import type { Controller, QController } from '../controller.ts';

export const Ints = defineResourceType<{ value: number }>({ type: 'Ints.example.cosi.dev', defaultNamespace: 'ints' });
export const Strs = defineResourceType<{ value: string }>({ type: 'Strs.example.cosi.dev', defaultNamespace: 'strs' });
export const Sentences = defineResourceType<{ text: string }>({ type: 'Sentences.example.cosi.dev', defaultNamespace: 'sentences' });

/** Imperative style: wake up, read everything, converge everything, clean up what is left. */
export const intToStr: Controller = {
  name: 'IntToStr',
  inputs: [
    { namespace: 'ints', type: Ints, kind: 'weak' },
    // Wakes us when a Str we tore down loses its last finalizer, so cleanupOutputs can destroy it.
    { namespace: 'strs', type: Strs, kind: 'destroyReady' },
  ],
  outputs: [{ type: Strs, kind: 'exclusive' }],
  async run(ctx) {
    for await (const _ of ctx.events()) {
      ctx.startTrackingOutputs();
      for (const i of await ctx.list<{ value: number }>(Ints.kind())) {
        await ctx.modify(Strs.create(i.metadata.id, { value: '' }), (d) => {
          d.spec.value = String(i.spec.value);
        });
      }
      await ctx.cleanupOutputs(Strs.kind()); // Strs whose Int is gone are torn down and destroyed
    }
  },
};

/** Queue style: one reconcile per changed Int, four at a time. */
export const qIntToStr: QController = {
  name: 'QIntToStr',
  concurrency: 4,
  inputs: [
    { namespace: 'ints', type: Ints, kind: 'primary' },
    // A Str becoming destroy-ready maps (by id) back to its Int and reconciles it again.
    { namespace: 'strs', type: Strs, kind: 'mappedDestroyReady' },
  ],
  outputs: [{ type: Strs, kind: 'exclusive' }],
  async reconcile(ctx, ptr) {
    const out = Strs.pointer(ptr.id);
    try {
      const i = await ctx.get<{ value: number }>(ptr);
      await ctx.modify(Strs.create(ptr.id, { value: '' }), (d) => {
        d.spec.value = String(i.spec.value);
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // The Int is gone: tear the Str down; destroy it once its finalizers are released.
      try {
        if (await ctx.teardown(out)) await ctx.destroy(out);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  },
};

/** Declarative style: an rxjs pipeline per input; the runtime writes and removes the outputs. */
export const strToSentence = transform<{ value: string }, { text: string }>({
  name: 'StrToSentence',
  input: { type: Strs, namespace: 'strs' },
  output: { type: Sentences, namespace: 'sentences' },
  pipeline: (str$) => str$.pipe(map((s) => ({ spec: { text: `the number ${s.spec.value}` } }))),
});

/** Runs the chain Ints → Strs → Sentences until `signal` aborts. */
export async function main(state: State, signal: AbortSignal, style: 'imperative' | 'queue' = 'imperative'): Promise<void> {
  const rt = new Runtime(state);
  rt.register(style === 'queue' ? qIntToStr : intToStr);
  rt.register(strToSentence);
  await rt.run(signal);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const state = new InMemoryState();
  const ac = new AbortController();
  const done = main(state, ac.signal);
  await state.create(Ints.create('one', { value: 1 }));
  await state.create(Ints.create('two', { value: 2 }));
  await state.watchFor(Sentences.pointer('two'), { eventTypes: ['created'], signal: AbortSignal.timeout(5000) });
  for (const s of await state.list<{ text: string }>(Sentences.kind())) process.stdout.write(`${s.metadata.id}: ${s.spec.text}\n`);
  ac.abort();
  await done;
}
