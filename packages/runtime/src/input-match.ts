import type { NormalizedInput } from './dependency-database.ts';
import type { ResourceEvent } from './kind-watch.ts';

/** A resource that is tearing down and holds no finalizers: its owner may destroy it now. */
export const isDestroyReady = (e: ResourceEvent): boolean =>
  e.type === 'destroyed' || (e.resource.metadata.phase === 'tearingDown' && e.resource.metadata.finalizers.length === 0);

/** Whether an event of the input's kind wakes the controller through this input (§1 table). */
export function inputMatches(inp: NormalizedInput, e: ResourceEvent): boolean {
  if (inp.id !== undefined && inp.id !== e.resource.metadata.id) return false;
  if (inp.kind === 'destroyReady' || inp.kind === 'mappedDestroyReady') return isDestroyReady(e);
  return true;
}
