import { expect } from 'vitest';
import type { Pointer } from '@cosi-ts/resource';
import type { StateErrorCode } from '../errors.ts';
import {
  isConflict,
  isInvalidBookmark,
  isNotFound,
  isOverrun,
  isOwnerConflict,
  isPhaseConflict,
  isUnsupported,
} from '../errors.ts';

const guards: Record<StateErrorCode, (e: unknown) => boolean> = {
  NotFound: isNotFound,
  // isConflict is true for all three conflicts; a plain conflict is the one that is neither of the others
  Conflict: (e) => isConflict(e) && !isOwnerConflict(e) && !isPhaseConflict(e),
  OwnerConflict: (e) => isOwnerConflict(e) && isConflict(e),
  PhaseConflict: (e) => isPhaseConflict(e) && isConflict(e),
  InvalidBookmark: isInvalidBookmark,
  Unsupported: isUnsupported,
  Overrun: isOverrun,
};

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name} (code ${String((e as { code?: unknown }).code)}): ${e.message}`;
  return String(e);
}

/** Runs `call` and returns what it threw or rejected with; fails if it succeeded. */
export async function rejectionOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Asserts `call` fails with the state error `code` (checked with the package's guard) and the given fields. */
export async function expectStateError(
  call: () => unknown,
  code: StateErrorCode,
  fields: Record<string, unknown> = {},
): Promise<unknown> {
  const error = await rejectionOf(call);
  expect(guards[code](error), `expected a ${code} error, got ${describeError(error)}`).toBe(true);
  if (Object.keys(fields).length > 0) expect(error).toMatchObject(fields);
  return error;
}

/** NotFound naming exactly this pointer. */
export function expectNotFound(call: () => unknown, ptr: Pointer): Promise<unknown> {
  return expectStateError(call, 'NotFound', { ptr: { namespace: ptr.namespace, type: ptr.type, id: ptr.id } });
}

/** Asserts `call` throws synchronously or rejects with a TypeError. */
export async function expectTypeError(call: () => unknown): Promise<void> {
  const error = await rejectionOf(call);
  expect(error instanceof TypeError, `expected a TypeError, got ${describeError(error)}`).toBe(true);
}
