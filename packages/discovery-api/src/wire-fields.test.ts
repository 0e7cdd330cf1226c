import { BinaryReader } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import {
  Affiliate,
  AffiliateDeleteRequest,
  AffiliateUpdateRequest,
  ClientAffiliate,
  ClusterService,
  ControlPlane,
  Endpoint,
  HelloRequest,
  HelloResponse,
  IPPrefix,
  KubeSpan,
  ListRequest,
  ListResponse,
  RedirectMessage,
  WatchRequest,
  WatchResponse,
} from './index.ts';

/** `field:wireType` of each top-level field of an encoded message, in order (0 varint, 2 bytes). */
function tags(bytes: Uint8Array): string[] {
  const r = new BinaryReader(bytes);
  const out: string[] = [];
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    out.push(`${field}:${wireType}`);
    r.skip(wireType);
  }
  return out;
}

const b = Buffer.from([1]);
const ip = Buffer.from([10, 0, 0, 1]);

// Spec §1 tables: every field set to a non-default value must appear under its number and wire type.
describe('field numbers and types of spec §1', () => {
  it.each([
    ['server Affiliate', Affiliate.encode({ id: 'i', data: b, endpoints: [b, b] }).finish(), ['1:2', '2:2', '3:2', '3:2']],
    ['HelloRequest', HelloRequest.encode({ clusterId: 'c', clientVersion: 'v1.8.3' }).finish(), ['1:2', '2:2']],
    ['RedirectMessage', RedirectMessage.encode({ endpoint: 'h:1' }).finish(), ['1:2']],
    ['HelloResponse', HelloResponse.encode({ redirect: { endpoint: 'h:1' }, clientIp: ip }).finish(), ['1:2', '2:2']],
    [
      'AffiliateUpdateRequest',
      AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateData: b, affiliateEndpoints: [b], ttl: { seconds: 1n, nanos: 1 } }).finish(),
      ['1:2', '2:2', '3:2', '4:2', '5:2'],
    ],
    ['AffiliateDeleteRequest', AffiliateDeleteRequest.encode({ clusterId: 'c', affiliateId: 'a' }).finish(), ['1:2', '2:2']],
    ['ListRequest', ListRequest.encode({ clusterId: 'c' }).finish(), ['1:2']],
    ['WatchRequest', WatchRequest.encode({ clusterId: 'c' }).finish(), ['1:2']],
    ['ListResponse', ListResponse.encode({ affiliates: [{ id: 'i', data: b, endpoints: [] }] }).finish(), ['1:2']],
    ['WatchResponse', WatchResponse.encode({ affiliates: [{ id: 'i', data: b, endpoints: [] }], deleted: true }).finish(), ['1:2', '2:0']],
    [
      'client Affiliate',
      ClientAffiliate.encode(
        ClientAffiliate.fromPartial({
          nodeId: 'n',
          addresses: [ip],
          hostname: 'h',
          nodename: 'nn',
          machineType: 'worker',
          operatingSystem: 'os',
          kubespan: { publicKey: 'k' },
          controlPlane: { apiServerPort: 6443 },
        }),
      ).finish(),
      ['1:2', '2:2', '3:2', '4:2', '5:2', '6:2', '7:2', '8:2'],
    ],
    ['KubeSpan', KubeSpan.encode({ publicKey: 'k', address: ip, additionalAddresses: [{ ip, bits: 24 }] }).finish(), ['1:2', '2:2', '3:2']],
    ['IPPrefix', IPPrefix.encode({ ip, bits: 24 }).finish(), ['1:2', '2:0']],
    ['Endpoint', Endpoint.encode({ ip, port: 51820 }).finish(), ['1:2', '2:0']],
    ['ControlPlane', ControlPlane.encode({ apiServerPort: 6443 }).finish(), ['1:0']],
  ])('%s', (_name, bytes, expected) => {
    expect(tags(bytes)).toEqual(expected);
  });

  it('encodes the TTL as google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2}', () => {
    const bytes = AffiliateUpdateRequest.encode({ clusterId: '', affiliateId: '', affiliateEndpoints: [], ttl: { seconds: -1n, nanos: -5 } }).finish();
    const r = new BinaryReader(bytes);
    expect(r.tag()).toEqual([5, 2]);
    const inner = r.bytes();
    const d = new BinaryReader(inner);
    expect(d.tag()).toEqual([1, 0]);
    expect(d.int64()).toBe(-1n);
    expect(d.tag()).toEqual([2, 0]);
    expect(d.int32()).toBe(-5);
  });

  it('has the five RPCs of sidero.discovery.server.Cluster, only Watch server-streaming', () => {
    expect(Object.values(ClusterService).map((m) => [m.path, m.requestStream, m.responseStream])).toEqual([
      ['/sidero.discovery.server.Cluster/Hello', false, false],
      ['/sidero.discovery.server.Cluster/AffiliateUpdate', false, false],
      ['/sidero.discovery.server.Cluster/AffiliateDelete', false, false],
      ['/sidero.discovery.server.Cluster/List', false, false],
      ['/sidero.discovery.server.Cluster/Watch', false, true],
    ]);
  });
});
