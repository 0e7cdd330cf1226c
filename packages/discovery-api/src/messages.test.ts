import { describe, expect, it } from 'vitest';
import {
  AffiliateUpdateRequest,
  ClientAffiliate,
  ClusterService,
  StrictClusterService,
  Endpoint,
  KubeSpan,
  WatchResponse,
  clusterMethodPath,
  malformedRequest,
} from './index.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('wire format', () => {
  it('uses the field numbers of the spec for AffiliateUpdateRequest', () => {
    const bytes = AffiliateUpdateRequest.encode(
      AffiliateUpdateRequest.fromPartial({
        clusterId: 'c',
        affiliateId: 'a',
        affiliateData: Buffer.from([1]),
        affiliateEndpoints: [Buffer.from([2])],
        ttl: { seconds: 60n, nanos: 0 },
      }),
    ).finish();
    // 1:"c" 2:"a" 3:0x01 4:0x02 5:{1:60}
    expect(hex(bytes)).toBe('0a0163120161' + '1a0101' + '220102' + '2a02083c');
  });

  it('tells an absent affiliate_data from an empty one (proto3 optional)', () => {
    const absent = AffiliateUpdateRequest.decode(AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [], ttl: undefined }).finish());
    const empty = AffiliateUpdateRequest.decode(
      AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateData: Buffer.alloc(0), affiliateEndpoints: [], ttl: undefined }).finish(),
    );
    expect(absent.affiliateData).toBeUndefined();
    expect(empty.affiliateData).toEqual(Buffer.alloc(0));
  });

  it('encodes the endpoint of the spec worked example canonically', () => {
    const pb = Endpoint.encode({ ip: Buffer.from([10, 0, 0, 2]), port: 51820 }).finish();
    expect(hex(pb)).toBe('0a040a00000210ec9403');
  });

  it('keeps unknown fields (KubeSpan field 4) across decode and encode', () => {
    const known = KubeSpan.encode({ publicKey: 'k', address: Buffer.from([1, 2, 3, 4]), additionalAddresses: [] }).finish();
    const unknownField = Buffer.from([0x22, 0x02, 0x0a, 0x00]); // field 4, length-delimited
    const input = Buffer.concat([known, unknownField]);
    const decoded = KubeSpan.decode(input);
    expect(hex(KubeSpan.encode(decoded).finish())).toBe(hex(input));

    const affiliate = ClientAffiliate.encode(
      ClientAffiliate.fromPartial({ nodeId: 'n', kubespan: decoded }),
    ).finish();
    expect(hex(ClientAffiliate.encode(ClientAffiliate.decode(affiliate)).finish())).toBe(hex(affiliate));
  });

  it('decodes a delete notification', () => {
    const msg = WatchResponse.decode(WatchResponse.encode({ affiliates: [{ id: 'x', data: Buffer.alloc(0), endpoints: [] }], deleted: true }).finish());
    expect(msg.deleted).toBe(true);
    expect(msg.affiliates.map((a) => a.id)).toEqual(['x']);
  });

  it('names the methods as on the wire', () => {
    expect(clusterMethodPath('Watch')).toBe('/sidero.discovery.server.Cluster/Watch');
  });
});

describe('StrictClusterService', () => {
  it('refuses invalid UTF-8 in request strings; the plain decoder would mangle it', () => {
    const bad = Buffer.from([0x0a, 0x02, 0xff, 0xfe]); // cluster_id = ff fe
    expect(malformedRequest(StrictClusterService.watch.requestDeserialize(bad))?.message).toBe('request is not valid protobuf: invalid UTF-8 in a string field');
    expect(ClusterService.watch.requestDeserialize(bad).clusterId).toBe('\ufffd\ufffd');
    const good = Buffer.from([0x0a, 0x02, 0xc3, 0xa9]); // "é"
    expect(StrictClusterService.watch.requestDeserialize(good).clusterId).toBe('é');
  });
});
