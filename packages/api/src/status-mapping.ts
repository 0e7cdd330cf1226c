import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError, StatusObject } from '@grpc/grpc-js';
import type { Phase, Pointer } from '@cosi-ts/resource';
import {
  ConflictError,
  InvalidBookmarkError,
  NotFoundError,
  OverrunError,
  OwnerConflictError,
  PhaseConflictError,
  UnsupportedError,
  isStateError,
} from '@cosi-ts/state';
import type { ConflictReason, StateError } from '@cosi-ts/state';
import { UnauthenticatedError, UnauthorizedError } from './api-errors.ts';

/** Trailer naming the error class (spec §4, state §7.3), and one carrying its fields as JSON. */
export const ERROR_TRAILER = 'cosi-ts-error';
export const ERROR_DETAIL_TRAILER = 'cosi-ts-error-detail';
export const UNAUTHORIZED = 'unauthorized';

export type StateMethod = 'Get' | 'List' | 'Create' | 'Update' | 'Destroy' | 'Watch' | 'Teardown' | 'TeardownAndDestroy';

export type ErrorStatus = Required<Pick<StatusObject, 'code' | 'details' | 'metadata'>>;

function withTrailers(code: status, details: string, kind: string, detail?: Record<string, unknown>): ErrorStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_TRAILER, kind);
  if (detail !== undefined) metadata.set(ERROR_DETAIL_TRAILER, JSON.stringify(detail));
  return { code, details, metadata };
}

/** The COSI server's mapping (spec §4); state §7.3 for the codes the table leaves open. */
function codeOf(method: StateMethod, e: StateError): status {
  switch (e.code) {
    case 'NotFound':
      return status.NOT_FOUND;
    case 'OwnerConflict':
      return status.PERMISSION_DENIED;
    case 'PhaseConflict':
      return status.INVALID_ARGUMENT;
    case 'Conflict':
      return (e as ConflictError).reason === 'exists' && method === 'Create' ? status.ALREADY_EXISTS : status.FAILED_PRECONDITION;
    case 'InvalidBookmark':
      return status.FAILED_PRECONDITION;
    case 'Unsupported':
      return status.UNIMPLEMENTED;
    case 'Overrun':
      return status.ABORTED;
  }
}

function fieldsOf(e: StateError): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['ptr', 'reason', 'expectedVersion', 'actualVersion', 'expectedOwner', 'actualOwner', 'expectedPhase', 'actualPhase', 'feature', 'namespace', 'type']) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A status for an error thrown by the state or by argument checks. Unknown errors are INTERNAL, without their message. */
export function statusOf(method: StateMethod, e: unknown): ErrorStatus {
  if (e instanceof UnauthorizedError) return withTrailers(status.PERMISSION_DENIED, e.message, UNAUTHORIZED);
  if (e instanceof UnauthenticatedError) return { code: status.UNAUTHENTICATED, details: e.message, metadata: new Metadata() };
  if (isStateError(e)) return withTrailers(codeOf(method, e), e.message, e.code, fieldsOf(e));
  if (e instanceof TypeError) return withTrailers(status.INVALID_ARGUMENT, e.message, 'TypeError');
  return { code: status.INTERNAL, details: `${method} failed inside the server`, metadata: new Metadata() };
}

function trailer(md: Metadata | undefined, key: string): string | undefined {
  const v = md?.get(key)[0];
  return typeof v === 'string' ? v : undefined;
}

type Detail = Partial<{
  ptr: Pointer;
  reason: ConflictReason;
  expectedVersion: number;
  actualVersion: number;
  expectedOwner: string;
  actualOwner: string;
  expectedPhase: Phase | 'any';
  actualPhase: Phase;
  feature: string;
  namespace: string;
  type: string;
}>;

function parseDetail(md: Metadata | undefined): Detail {
  const text = trailer(md, ERROR_DETAIL_TRAILER);
  if (text === undefined || text.length > 16_384) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Detail) : {};
  } catch {
    return {};
  }
}

function fromTrailers(kind: string, message: string, d: Detail, ptr: Pointer | undefined): Error | undefined {
  const p = d.ptr ?? ptr ?? { namespace: '', type: '', id: '' };
  switch (kind) {
    case UNAUTHORIZED:
      return new UnauthorizedError(message);
    case 'NotFound':
      return new NotFoundError(p);
    case 'Conflict': {
      const details = {
        ...(d.expectedVersion !== undefined ? { expectedVersion: d.expectedVersion } : {}),
        ...(d.actualVersion !== undefined ? { actualVersion: d.actualVersion } : {}),
      };
      return new ConflictError(p, d.reason ?? 'version', message, details);
    }
    case 'OwnerConflict':
      return new OwnerConflictError(p, d.expectedOwner ?? '', d.actualOwner ?? '');
    case 'PhaseConflict':
      return new PhaseConflictError(p, d.expectedPhase ?? 'running', d.actualPhase ?? 'tearingDown', message);
    case 'InvalidBookmark':
      return new InvalidBookmarkError(message);
    case 'Unsupported':
      return new UnsupportedError(d.feature ?? message);
    case 'Overrun':
      return new OverrunError(d.namespace ?? p.namespace, d.type ?? p.type);
    case 'TypeError':
      return new TypeError(message);
    default:
      return undefined;
  }
}

/**
 * The typed error a status means: from our trailers when present, else by the COSI mapping of spec §4
 * (a Go COSI server sends no trailers). `ptr` names the resource of the call, for NotFound and conflicts.
 */
export function errorFromStatus(method: StateMethod, e: ServiceError, ptr?: Pointer): Error {
  const message = e.details || e.message;
  const kind = trailer(e.metadata, ERROR_TRAILER);
  if (kind !== undefined) {
    const typed = fromTrailers(kind, message, parseDetail(e.metadata), ptr);
    if (typed !== undefined) return typed;
  }
  const p = ptr ?? { namespace: '', type: '', id: '' };
  switch (e.code) {
    case status.UNAUTHENTICATED:
      return new UnauthenticatedError(message);
    case status.NOT_FOUND:
      return new NotFoundError(p);
    case status.ALREADY_EXISTS:
      return new ConflictError(p, 'exists', message);
    case status.PERMISSION_DENIED:
      if (message.startsWith('not authorized')) return new UnauthorizedError(message);
      return new OwnerConflictError(p, '', '');
    case status.FAILED_PRECONDITION:
      if (method === 'Watch') return new InvalidBookmarkError(message);
      return new ConflictError(p, method === 'Update' ? 'version' : 'finalizers', message);
    case status.INVALID_ARGUMENT:
      if (method === 'Update') return new PhaseConflictError(p, 'running', 'tearingDown', message);
      return new TypeError(message);
    case status.UNIMPLEMENTED:
      return new UnsupportedError(`${method}: ${message}`);
    default:
      return new Error(`${method} failed: ${status[e.code] ?? e.code}: ${message}`, { cause: e });
  }
}
