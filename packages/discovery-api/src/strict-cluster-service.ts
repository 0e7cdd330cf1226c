import { BinaryReader } from '@bufbuild/protobuf/wire';
import {
  AffiliateDeleteRequest,
  AffiliateUpdateRequest,
  ClusterService,
  HelloRequest,
  ListRequest,
  WatchRequest,
} from './gen/sidero/discovery/server/cluster.ts';

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function strictReader(bytes: Uint8Array): BinaryReader {
  // proto3 strings must be valid UTF-8; the default decoder would replace bad bytes with U+FFFD, so
  // two different invalid IDs could name the same affiliate.
  return new BinaryReader(bytes, (b) => fatalUtf8.decode(b));
}

/**
 * ClusterService for servers: identical on the wire, but request decoding throws on invalid UTF-8
 * in string fields, which grpc-js answers with Internal (as Go's server does).
 */
export const StrictClusterService = {
  hello: { ...ClusterService.hello, requestDeserialize: (value: Buffer): HelloRequest => HelloRequest.decode(strictReader(value)) },
  affiliateUpdate: {
    ...ClusterService.affiliateUpdate,
    requestDeserialize: (value: Buffer): AffiliateUpdateRequest => AffiliateUpdateRequest.decode(strictReader(value)),
  },
  affiliateDelete: {
    ...ClusterService.affiliateDelete,
    requestDeserialize: (value: Buffer): AffiliateDeleteRequest => AffiliateDeleteRequest.decode(strictReader(value)),
  },
  list: { ...ClusterService.list, requestDeserialize: (value: Buffer): ListRequest => ListRequest.decode(strictReader(value)) },
  watch: { ...ClusterService.watch, requestDeserialize: (value: Buffer): WatchRequest => WatchRequest.decode(strictReader(value)) },
} as const satisfies typeof ClusterService;
