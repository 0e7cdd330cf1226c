import type { ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import {
  CreateRequest,
  DestroyRequest,
  GetRequest,
  ListRequest,
  StateService,
  TeardownAndDestroyRequest,
  TeardownRequest,
  UpdateRequest,
  WatchRequest,
} from './gen/cosi/resource/state.ts';
import type { MessageFns } from './gen/cosi/resource/state.ts';
import type { StateMethod } from './status-mapping.ts';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a request, refusing invalid UTF-8 in strings (the default decoder would replace bad bytes,
 * so two different IDs could name one resource). Throws on any malformed input.
 */
export function strictDecode<T>(fns: MessageFns<T>, bytes: Uint8Array): T {
  return fns.decode(new BinaryReader(bytes, (b) => fatalUtf8.decode(b)));
}

export const requestMessages = {
  Get: GetRequest,
  List: ListRequest,
  Create: CreateRequest,
  Update: UpdateRequest,
  Destroy: DestroyRequest,
  Watch: WatchRequest,
  Teardown: TeardownRequest,
  TeardownAndDestroy: TeardownAndDestroyRequest,
} as const;

const identity = (b: Buffer): Buffer => b;

/**
 * StateService as the server registers it: requests arrive as raw bytes and are decoded inside the
 * handler, so a request that does not decode is answered with INVALID_ARGUMENT (grpc-js would answer
 * a throwing deserializer with INTERNAL). Watch responses are encoded by the handler, which needs
 * their size to bound what a stream may hold unsent.
 */
export const RawStateService: ServiceDefinition = Object.fromEntries(
  (Object.entries(StateService) as [string, (typeof StateService)[keyof typeof StateService]][]).map(([key, def]) => [
    key,
    {
      ...def,
      requestDeserialize: identity,
      ...(def.path === '/cosi.resource.State/Watch' ? { responseSerialize: identity } : {}),
    },
  ]),
);

export const STATE_SERVICE_NAME = 'cosi.resource.State';

export function stateMethodPath(method: StateMethod): string {
  return `/${STATE_SERVICE_NAME}/${method}`;
}
