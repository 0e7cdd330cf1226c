import type { QController } from '@cosi-ts/runtime';
import { isNotFound } from '@cosi-ts/state';
import { Ints, Strs } from './types.ts';

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
  mapInput: (_ctx, md) => [Ints.pointer(md.id)], // the default maps to the same id anyway
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
