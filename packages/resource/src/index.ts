export type { Phase, Kind, Pointer, Labels, Metadata, Resource, Tombstone } from './metadata.ts';
export type { LabelOp, LabelTerm, LabelQuery, IdQuery } from './label-query.ts';
export { validateLabelTerm, validateLabelQueries, matchesLabelTerm, matchesLabels } from './label-query.ts';
export { label } from './label.ts';
export { parseLabelNumber } from './label-number.ts';
export { compileIdQuery, matchesId, MAX_ID_QUERY_LENGTH, MAX_ID_QUERY_INSTRUCTIONS } from './id-query.ts';
export type { Recipe } from './recipe.ts';
export { applyRecipe } from './recipe.ts';
export type {
  PrintColumn,
  ResourceTypeOptions,
  ResourceDefinitionSpec,
  NewResourceOptions,
  ResourceType,
} from './resource-type.ts';
export { defineResourceType, deriveDefinition } from './resource-type.ts';
export {
  newResource,
  withMetadata,
  isTombstone,
  tombstone,
  pointerOf,
  kindOf,
  formatPointer,
  noLabels,
  noFinalizers,
} from './resource.ts';
export { deepFreeze, cloneSpec, frozenCopy, isFrozenPlainData, MAX_SPEC_DEPTH } from './plain-data.ts';
export { resourceEquals, specEquals } from './equality.ts';
export type { JsonPathSegment } from './json-path.ts';
export { evaluateJsonPath, formatJsonPath, parseJsonPath } from './json-path.ts';
export type { ResourceFormat, PlainResource } from './codec.ts';
export { encodeResource, decodeResource, resourceToPlain, resourceFromPlain } from './codec.ts';
export type { NamespaceSpec } from './meta-types.ts';
export {
  NamespaceType,
  ResourceDefinitionType,
  definitionId,
  definitionResource,
  namespaceResource,
  resolveResourceType,
  metaNamespace,
} from './meta-types.ts';
export type { ResourceErrorCode, IdQueryRule } from './errors.ts';
export {
  ResourceError,
  ResourceTypeNotFoundError,
  AmbiguousResourceTypeError,
  ResourceDecodeError,
  InvalidIdQueryError,
  SpecTooDeepError,
  UnknownOptionError,
  isResourceTypeNotFound,
  isAmbiguousResourceType,
  isResourceDecodeError,
  isInvalidIdQuery,
  isSpecTooDeep,
  isUnknownOption,
} from './errors.ts';
export type { KnownOptions } from './options.ts';
export { checkOptions, closestName, knownOptions } from './options.ts';
