import type { Controller } from '@cosi-ts/runtime';
import { Ints, Strs } from './types.ts';

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
