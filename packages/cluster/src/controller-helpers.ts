import type { Pointer, Resource } from '@cosi-ts/resource';
import type { ResourceType } from '@cosi-ts/resource';
import type { QContext } from '@cosi-ts/runtime';
import { isNotFound } from '@cosi-ts/state';

/** The read/write subset of a controller context these helpers need (Controller and QController alike). */
export type OutputContext = Pick<QContext, 'get' | 'modify' | 'destroy'>;

/** A recipe replacing the spec; `modify` then writes only when the result differs (no-op rule). */
export function replaceSpec<S>(spec: S): (draft: { spec: unknown }) => void {
  return (draft) => {
    draft.spec = spec;
  };
}

/** Creates or updates `type/id` in `namespace` with exactly `spec`; unchanged → no write. */
export function writeSpec<S>(ctx: OutputContext, type: ResourceType<S>, id: string, spec: S, namespace?: string): Promise<Resource<S>> {
  return ctx.modify<S>(type.create(id, spec, namespace === undefined ? {} : { namespace }), replaceSpec(spec));
}

/** `get` that answers `undefined` for a missing resource. */
export async function getOptional<S>(ctx: Pick<QContext, 'get'>, ptr: Pointer): Promise<Resource<S> | undefined> {
  try {
    return await ctx.get<S>(ptr);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Destroys an output if it exists; true when something was destroyed. */
export async function destroyIfPresent(ctx: Pick<QContext, 'destroy'>, ptr: Pointer): Promise<boolean> {
  try {
    await ctx.destroy(ptr);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}
