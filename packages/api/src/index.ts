// Public API of @cosi-ts/api: COSI's cosi.resource.State gRPC protocol, a server over any State,
// and RemoteState, a State over that protocol.
export { StateServer } from './state-server.ts';
export type { StateServerOptions } from './state-server.ts';
export { DEFAULT_API_LIMITS } from './limits.ts';
export type { ApiLimits } from './limits.ts';
export { ApiMetrics } from './api-metrics.ts';
export { loadTokenFile, TokenSet, MIN_TOKEN_LENGTH } from './tokens.ts';
export type { Role } from './tokens.ts';
export {
  ApiError,
  ApiConfigError,
  UnauthorizedError,
  UnauthenticatedError,
  RemoteClosedError,
  isUnauthorized,
  isUnauthenticated,
  isApiConfigError,
  isRemoteClosed,
} from './api-errors.ts';
export type { ApiErrorCode } from './api-errors.ts';
export { TlsConfigError } from './tls-certificate-provider.ts';
export { ERROR_TRAILER, ERROR_DETAIL_TRAILER } from './status-mapping.ts';
export type { StateMethod } from './status-mapping.ts';
export { STATE_SERVICE_NAME, stateMethodPath } from './raw-state-service.ts';
export { WireFormatError, resourceToWire, resourceFromWire, eventToWire, eventFromWire, versionToWire, versionFromWire } from './wire-codec.ts';

// Generated messages (protocol v1alpha1), under their proto names.
export {
  Metadata as WireMetadata,
  Spec as WireSpec,
  Resource as WireResource,
  LabelTerm as WireLabelTerm,
  LabelTerm_Operation as LabelOperation,
  LabelQuery as WireLabelQuery,
  IDQuery as WireIdQuery,
  Event as WireEvent,
  EventType,
} from './gen/cosi/resource/resource.ts';
export {
  StateService,
  StateClient,
  GetRequest,
  GetResponse,
  ListRequest,
  ListResponse,
  ListOptions as WireListOptions,
  CreateRequest,
  CreateResponse,
  UpdateRequest,
  UpdateResponse,
  DestroyRequest,
  DestroyResponse,
  WatchRequest,
  WatchResponse,
  WatchOptions as WireWatchOptions,
  TeardownRequest,
  TeardownResponse,
  TeardownAndDestroyRequest,
  TeardownAndDestroyResponse,
} from './gen/cosi/resource/state.ts';
export type { StateServer as StateServiceImplementation, MessageFns } from './gen/cosi/resource/state.ts';
export {
  NamespaceSpec as WireNamespaceSpec,
  ResourceDefinitionSpec as WireResourceDefinitionSpec,
  ResourceDefinitionSpec_Sensitivity as Sensitivity,
} from './gen/cosi/resource/meta/meta.ts';
export { RemoteState } from './remote-state.ts';
export type { RemoteStateOptions } from './remote-state.ts';
