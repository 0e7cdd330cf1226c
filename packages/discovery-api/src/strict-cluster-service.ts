import { BinaryReader } from '@bufbuild/protobuf/wire';
import {
  AffiliateDeleteRequest,
  AffiliateUpdateRequest,
  ClusterService,
  HelloRequest,
  ListRequest,
  WatchRequest,
} from './gen/sidero/discovery/server/cluster.ts';
import { MalformedRequestError, checkWireFormat, type WireSchema } from './wire-format-check.ts';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function strictReader(bytes: Uint8Array): BinaryReader {
  // proto3 strings must be valid UTF-8; the default decoder would replace bad bytes with U+FFFD, so
  // two different invalid IDs could name the same affiliate.
  return new BinaryReader(bytes, (b) => fatalUtf8.decode(b));
}

// Requests that failed to decode, and why. A WeakMap rather than a property: the message stays a
// plain generated message, and the mark goes with it.
const malformed = new WeakMap<object, MalformedRequestError>();

/**
 * Why a request from StrictClusterService could not be decoded, or undefined for a valid one.
 * Servers check it first and answer InvalidArgument with the error's message.
 */
export function malformedRequest(request: object): MalformedRequestError | undefined {
  return malformed.get(request);
}

// The message-typed fields of each request: only AffiliateUpdateRequest.ttl (a Duration).
const FLAT: WireSchema = {};
const UPDATE: WireSchema = { messages: { 5: FLAT } };

function strictDeserialize<T extends object>(decode: (reader: BinaryReader) => T, schema: WireSchema): (value: Buffer) => T {
  return (value) => {
    try {
      // The generated decoder stops at a 0 byte or an end-group tag and ignores the rest, takes
      // field number 0 and over-long varints as unknown fields, and lets a nested message read past
      // its length. Go's protobuf refuses all of these, so we check the encoding first.
      checkWireFormat(value, schema);
      return decode(strictReader(value));
    } catch (e) {
      // grpc-js answers a throwing deserializer with Internal; the request is the client's fault.
      // An empty message is returned instead, marked: a server that forgot to check would still
      // refuse it, since every RPC requires a cluster ID.
      const empty = decode(new BinaryReader(new Uint8Array(0)));
      const reason = e instanceof MalformedRequestError ? e : new MalformedRequestError(e instanceof TypeError ? 'invalid UTF-8 in a string field' : e instanceof Error ? e.message : String(e));
      malformed.set(empty, reason);
      return empty;
    }
  };
}

/**
 * ClusterService for servers: identical on the wire, but request decoding is as strict as Go's
 * protobuf runtime (see checkWireFormat; strings must be valid UTF-8). A request that fails never
 * throws (grpc-js would answer Internal): it decodes to an empty message for which
 * `malformedRequest(request)` returns the reason, so the server can answer InvalidArgument.
 */
export const StrictClusterService = {
  hello: { ...ClusterService.hello, requestDeserialize: strictDeserialize((r) => HelloRequest.decode(r), FLAT) },
  affiliateUpdate: { ...ClusterService.affiliateUpdate, requestDeserialize: strictDeserialize((r) => AffiliateUpdateRequest.decode(r), UPDATE) },
  affiliateDelete: { ...ClusterService.affiliateDelete, requestDeserialize: strictDeserialize((r) => AffiliateDeleteRequest.decode(r), FLAT) },
  list: { ...ClusterService.list, requestDeserialize: strictDeserialize((r) => ListRequest.decode(r), FLAT) },
  watch: { ...ClusterService.watch, requestDeserialize: strictDeserialize((r) => WatchRequest.decode(r), FLAT) },
} as const satisfies typeof ClusterService;
