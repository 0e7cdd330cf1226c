import type { Resource } from '@cosi-ts/resource';
import type { StateEvent } from '@cosi-ts/state';

export type WriteType = 'created' | 'updated' | 'destroyed';

/** Operation codes of the `events.op` column. */
export const opCodes: Readonly<Record<WriteType, number>> = { created: 0, updated: 1, destroyed: 2 };
export const opTypes: readonly WriteType[] = ['created', 'updated', 'destroyed'];

/** One log entry: its position and the frozen event, shared by the watchers it reaches. */
export interface LoggedEvent {
  readonly seq: number;
  readonly id: string;
  readonly event: StateEvent<unknown> & { readonly resource: Resource };
}
