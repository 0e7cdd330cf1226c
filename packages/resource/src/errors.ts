const brand = Symbol.for('cosi-ts.ResourceError');

export type ResourceErrorCode = 'TypeNotFound' | 'AmbiguousType' | 'InvalidResource' | 'InvalidIdQuery' | 'SpecTooDeep' | 'UnknownOption';

/** Base of this package's typed errors; branded so guards work across duplicate package copies. */
export abstract class ResourceError extends Error {
  readonly [brand] = true;
  abstract readonly code: ResourceErrorCode;
}

/** No resource definition answers to a name (id or alias). */
export class ResourceTypeNotFoundError extends ResourceError {
  override readonly name = 'ResourceTypeNotFoundError';
  readonly code = 'TypeNotFound' as const;
  constructor(readonly typeName: string) {
    super(`resource type ${JSON.stringify(typeName)} is not defined (no definition id or alias matches)`);
  }
}

/** Several resource definitions answer to a name. */
export class AmbiguousResourceTypeError extends ResourceError {
  override readonly name = 'AmbiguousResourceTypeError';
  readonly code = 'AmbiguousType' as const;
  constructor(
    readonly typeName: string,
    readonly candidates: readonly string[],
  ) {
    super(`resource type ${JSON.stringify(typeName)} is ambiguous: it matches ${candidates.join(', ')}`);
  }
}

/**
 * Encoded resource text that does not decode to a valid resource; `field` names the offending field.
 * A TypeError (bad input), branded like the other errors of this package.
 */
export class ResourceDecodeError extends TypeError {
  readonly [brand] = true;
  override readonly name = 'ResourceDecodeError';
  readonly code = 'InvalidResource' as const;
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Which rule an ID query broke: not a string/RegExp, bad RE2 syntax, too long, or compiled too large. */
export type IdQueryRule = 'type' | 'syntax' | 'length' | 'size';

/** An ID query that cannot be used; `rule` says why and `limit` is the bound it went over. A TypeError (bad input). */
export class InvalidIdQueryError extends TypeError {
  readonly [brand] = true;
  override readonly name = 'InvalidIdQueryError';
  readonly code = 'InvalidIdQuery' as const;
  constructor(
    readonly rule: IdQueryRule,
    message: string,
    readonly limit?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Plain data nested deeper than {@link MAX_SPEC_DEPTH} arrays and objects: refused before any walk
 * over it (freeze, copy, compare, encode) can exhaust the stack. A TypeError (bad input).
 */
export class SpecTooDeepError extends TypeError {
  readonly [brand] = true;
  override readonly name = 'SpecTooDeepError';
  readonly code = 'SpecTooDeep' as const;
  constructor(
    /** Where the limit was passed, e.g. `resource ns/type/id spec.a[0]…`. */
    readonly where: string,
    readonly limit: number,
  ) {
    super(`${where} nests deeper than MAX_SPEC_DEPTH = ${limit} levels of arrays and objects`);
  }
}

/** An options object carries a key the call does not know (a misspelling, or an option of another call). */
export class UnknownOptionError extends TypeError {
  readonly [brand] = true;
  override readonly name = 'UnknownOptionError';
  readonly code = 'UnknownOption' as const;
  constructor(
    /** The call, e.g. `watchKind of ns/type`. */
    readonly where: string,
    readonly option: string,
    readonly known: readonly string[],
    /** The closest known option, when there is any. */
    readonly suggestion: string | undefined,
  ) {
    super(
      `${where}: unknown option ${JSON.stringify(option)}` +
        (suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`) +
        `; known options: ${known.length === 0 ? 'none' : known.join(', ')}`,
    );
  }
}

function hasCode(e: unknown, code: ResourceErrorCode): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true && (e as { code?: unknown }).code === code;
}

export const isResourceTypeNotFound = (e: unknown): e is ResourceTypeNotFoundError => hasCode(e, 'TypeNotFound');
export const isAmbiguousResourceType = (e: unknown): e is AmbiguousResourceTypeError => hasCode(e, 'AmbiguousType');
export const isResourceDecodeError = (e: unknown): e is ResourceDecodeError => hasCode(e, 'InvalidResource');
export const isInvalidIdQuery = (e: unknown): e is InvalidIdQueryError => hasCode(e, 'InvalidIdQuery');
export const isSpecTooDeep = (e: unknown): e is SpecTooDeepError => hasCode(e, 'SpecTooDeep');
export const isUnknownOption = (e: unknown): e is UnknownOptionError => hasCode(e, 'UnknownOption');
