import type { Phase, Pointer } from '@cosi-ts/resource';

const brand = Symbol.for('cosi-ts.StateError');

export type StateErrorCode =
  | 'NotFound'
  | 'Conflict'
  | 'OwnerConflict'
  | 'PhaseConflict'
  | 'InvalidBookmark'
  | 'Unsupported'
  | 'Overrun';

export type ConflictReason = 'exists' | 'version' | 'finalizers' | 'owner' | 'phase';

const describe = (p: Pointer) => `${p.namespace}/${p.type}/${p.id}`;

/** Base of every state error. Branded so guards work across duplicate copies of this package. */
export abstract class StateError extends Error {
  readonly [brand] = true;
  abstract readonly code: StateErrorCode;
}

export class NotFoundError extends StateError {
  override readonly name = 'NotFoundError';
  readonly code = 'NotFound' as const;
  constructor(readonly ptr: Pointer) {
    super(`resource ${describe(ptr)} does not exist`);
  }
}

export interface ConflictDetails {
  readonly expectedVersion?: number;
  readonly actualVersion?: number;
}

export class ConflictError extends StateError {
  override readonly name: string = 'ConflictError';
  readonly code: 'Conflict' | 'OwnerConflict' | 'PhaseConflict' = 'Conflict';
  readonly expectedVersion?: number;
  readonly actualVersion?: number;
  constructor(
    readonly ptr: Pointer,
    readonly reason: ConflictReason,
    message?: string,
    details: ConflictDetails = {},
  ) {
    super(message ?? ConflictError.message(ptr, reason, details));
    if (details.expectedVersion !== undefined) this.expectedVersion = details.expectedVersion;
    if (details.actualVersion !== undefined) this.actualVersion = details.actualVersion;
  }

  private static message(ptr: Pointer, reason: ConflictReason, d: ConflictDetails): string {
    switch (reason) {
      case 'exists':
        return `resource ${describe(ptr)} already exists`;
      case 'version':
        return `resource ${describe(ptr)}: version conflict: expected ${d.expectedVersion}, stored ${d.actualVersion}`;
      case 'finalizers':
        return `resource ${describe(ptr)} has pending finalizers: it can only be destroyed once they are removed`;
      default:
        return `resource ${describe(ptr)}: ${reason} conflict`;
    }
  }
}

export class OwnerConflictError extends ConflictError {
  override readonly name = 'OwnerConflictError';
  override readonly code = 'OwnerConflict' as const;
  constructor(
    ptr: Pointer,
    readonly expectedOwner: string,
    readonly actualOwner: string,
  ) {
    super(
      ptr,
      'owner',
      `resource ${describe(ptr)} is owned by ${JSON.stringify(actualOwner)}, not ${JSON.stringify(expectedOwner)}`,
    );
  }
}

export class PhaseConflictError extends ConflictError {
  override readonly name = 'PhaseConflictError';
  override readonly code = 'PhaseConflict' as const;
  constructor(
    ptr: Pointer,
    readonly expectedPhase: Phase | 'any',
    readonly actualPhase: Phase,
    message?: string,
  ) {
    super(ptr, 'phase', message ?? `resource ${describe(ptr)} is ${actualPhase}, expected ${expectedPhase}`);
  }
}

export class InvalidBookmarkError extends StateError {
  override readonly name = 'InvalidBookmarkError';
  readonly code = 'InvalidBookmark' as const;
  constructor(message = 'bookmark is invalid: not from this store and kind, ahead of the head, or its history is gone') {
    super(message);
  }
}

export class UnsupportedError extends StateError {
  override readonly name = 'UnsupportedError';
  readonly code = 'Unsupported' as const;
  constructor(readonly feature: string) {
    super(`${feature} is not supported by this state backend`);
  }
}

export class OverrunError extends StateError {
  override readonly name = 'OverrunError';
  readonly code = 'Overrun' as const;
  constructor(
    readonly namespace: string,
    readonly type: string,
  ) {
    super(`watch of ${namespace}/${type} overran its history: events can no longer be delivered exactly`);
  }
}

export interface KindFilter {
  readonly namespace?: string;
  readonly type?: string;
}

function hasCode(e: unknown, ...codes: StateErrorCode[]): boolean {
  try {
    return (
      typeof e === 'object' &&
      e !== null &&
      (e as Record<symbol, unknown>)[brand] === true &&
      codes.includes((e as { code?: StateErrorCode }).code as StateErrorCode)
    );
  } catch {
    return false; // a hostile Proxy: guards never throw
  }
}

function kindMatches(e: unknown, f: KindFilter | undefined): boolean {
  if (!f) return true;
  const ptr = (e as { ptr?: Pointer }).ptr;
  return (f.namespace === undefined || ptr?.namespace === f.namespace) && (f.type === undefined || ptr?.type === f.type);
}

export const isStateError = (e: unknown): e is StateError =>
  hasCode(e, 'NotFound', 'Conflict', 'OwnerConflict', 'PhaseConflict', 'InvalidBookmark', 'Unsupported', 'Overrun');
export const isNotFound = (e: unknown, f?: KindFilter): e is NotFoundError => hasCode(e, 'NotFound') && kindMatches(e, f);
/** True for plain, owner and phase conflicts. */
export const isConflict = (e: unknown, f?: KindFilter): e is ConflictError =>
  hasCode(e, 'Conflict', 'OwnerConflict', 'PhaseConflict') && kindMatches(e, f);
export const isOwnerConflict = (e: unknown): e is OwnerConflictError => hasCode(e, 'OwnerConflict');
export const isPhaseConflict = (e: unknown): e is PhaseConflictError => hasCode(e, 'PhaseConflict');
export const isInvalidBookmark = (e: unknown): e is InvalidBookmarkError => hasCode(e, 'InvalidBookmark');
export const isUnsupported = (e: unknown): e is UnsupportedError => hasCode(e, 'Unsupported');
export const isOverrun = (e: unknown): e is OverrunError => hasCode(e, 'Overrun');
