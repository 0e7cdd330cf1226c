import { expect } from 'vitest';
import type { Bookmark, StateEvent } from '../state.ts';
import type { StateErrorCode } from '../errors.ts';
import { isInvalidBookmark, isOverrun, isUnsupported } from '../errors.ts';
import { describeEvent } from './describe-event.ts';
import type { EventRecorder } from './event-recorder.ts';

/** The event's bookmark; throws naming the event when it has none. */
export function bookmarkOf(e: StateEvent | undefined): Bookmark {
  if (e === undefined) throw new Error('no event');
  if (e.type === 'errored' || e.bookmark === undefined) throw new Error(`${describeEvent(e)}: carries no bookmark`);
  return e.bookmark;
}

const guards: Partial<Record<StateErrorCode, (e: unknown) => boolean>> = {
  InvalidBookmark: isInvalidBookmark,
  Unsupported: isUnsupported,
  Overrun: isOverrun,
};

/** §5.2: a watch failure is exactly one `errored` event, then `complete` (never `error()`). */
export async function expectErroredThenComplete(
  rec: EventRecorder<StateEvent>,
  code: 'InvalidBookmark' | 'Unsupported' | 'Overrun',
  what: string,
): Promise<Error> {
  const e = await rec.next();
  expect(describeEvent(e), what).toBe(`errored ${code}`);
  if (e.type !== 'errored') throw new Error(`${what}: expected errored`);
  expect(guards[code]?.(e.error), `${what}: guard for ${code}`).toBe(true);
  await rec.expectComplete();
  return e.error;
}
