import { describe, expect, it } from 'vitest';
import { AffiliateUpdateRequest, ClusterService, StrictClusterService, WatchRequest, malformedRequest } from './index.ts';

const watch = (bytes: number[] | Uint8Array): WatchRequest => StrictClusterService.watch.requestDeserialize(Buffer.from(bytes));
const update = (bytes: number[] | Uint8Array): AffiliateUpdateRequest => StrictClusterService.affiliateUpdate.requestDeserialize(Buffer.from(bytes));
const valid = [...WatchRequest.encode({ clusterId: 'c' }).finish()]; // 0a 01 63
const validUpdate = [
  ...AffiliateUpdateRequest.encode({ clusterId: 'c', affiliateId: 'a', affiliateEndpoints: [Buffer.from('e')], ttl: { seconds: 60n, nanos: 0 } }).finish(),
];

describe('StrictClusterService: what Go protobuf refuses is refused', () => {
  // Each of these was accepted (the rest of the message silently ignored, or stored as an unknown field).
  it.each([
    ['a 0x00 byte (tag 0), then garbage', [...valid, 0x00, 0x0a, 0x01, 0x78]],
    ['a stray end-group tag, then garbage', [...valid, 0x0c, 0xff, 0xff, 0xff]],
    ['an end-group tag of field 2', [...valid, 0x14]],
    ['field number 0 with a length-delimited value', [0x02, 0x01, 0x61, ...valid]],
    ['field number 0 with a varint', [0x00, 0x01, ...valid]],
    ['an 11-byte varint in an unknown field', [...valid, 0x78, ...Array<number>(10).fill(0xff), 0x01]],
    ['a 10-byte varint overflowing 64 bits', [...valid, 0x78, ...Array<number>(9).fill(0xff), 0x02]],
    ['an 11-byte tag', [...Array<number>(10).fill(0x80), 0x01, ...valid]],
    ['a field number above 2^29 - 1', [0x80, 0x80, 0x80, 0x80, 0x10, 0x00, ...valid]],
    ['wire type 6', [...valid, 0x7e, 0x00]],
    ['wire type 7', [...valid, 0x7f, 0x00]],
    ['a group ended by another field', [...valid, 0x7b, 0x08, 0x01, 0x84, 0x01]],
    ['a group never ended', [...valid, 0x7b, 0x08, 0x01]],
    ['a length past the end', [...valid, 0x7a, 0x05, 0x01]],
    ['a truncated varint', [...valid, 0x78, 0xff]],
    ['a truncated fixed64', [...valid, 0x79, 1, 2, 3]],
    ['invalid UTF-8 in a string field', [0x0a, 0x02, 0xff, 0xfe]],
  ])('%s', (_name, bytes) => {
    const req = watch(bytes);
    expect(malformedRequest(req)?.code).toBe('malformed-request');
    expect(malformedRequest(req)?.message).toMatch(/^request is not valid protobuf: /);
    // Should a server forget to check, the request is empty: every RPC refuses an empty cluster ID.
    expect(req.clusterId).toBe('');
  });

  it('checks inside known message fields: the ttl Duration', () => {
    const withTtl = (ttl: number[]): number[] => [...validUpdate.slice(0, validUpdate.indexOf(0x2a)), 0x2a, ttl.length, ...ttl];
    expect(malformedRequest(update(validUpdate))).toBeUndefined();
    expect(update(withTtl([0x08, 0x3c])).ttl).toMatchObject({ seconds: 60n, nanos: 0 });
    expect(malformedRequest(update(withTtl([0x08, 0x3c, 0x00])))?.message).toMatch(/field number 0/);
    // A string inside the Duration whose length runs past the Duration into the outer message.
    expect(malformedRequest(update([...withTtl([0x1a, 0x03]), 0x0a, 0x01, 0x63]))?.message).toMatch(/past the end/);
    expect(malformedRequest(update(withTtl([0x08, ...Array<number>(10).fill(0xff), 0x01])))).toBeDefined();
  });

  it('accepts what Go accepts: unknown fields of every wire type, groups, non-minimal varints', () => {
    const extra = [
      0x78, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, // field 15 varint, 10 bytes, top bit set
      0x79, 1, 2, 3, 4, 5, 6, 7, 8, // field 15 fixed64
      0x7d, 1, 2, 3, 4, // field 15 fixed32
      0x7a, 0x02, 0xff, 0xfe, // field 15 bytes (not UTF-8-checked: unknown)
      0x7b, 0x08, 0x01, 0x13, 0x14, 0x7c, // field 15 group holding a varint and an empty group of field 2
      0xf8, 0xff, 0xff, 0xff, 0x0f, 0x00, // field 2^29 - 1
    ];
    const req = watch([...valid, ...extra]);
    expect(malformedRequest(req)).toBeUndefined();
    expect(req.clusterId).toBe('c');
    // A known field sent with another wire type is an unknown field, as in Go.
    expect(watch([0x08, 0x01, ...valid]).clusterId).toBe('c');
    // A later occurrence of a scalar field wins.
    expect(watch([0x0a, 0x01, 0x61, ...valid]).clusterId).toBe('c');
    expect(watch([0x0a, 0x02, 0xc3, 0xa9]).clusterId).toBe('é');
    expect(malformedRequest(watch([]))).toBeUndefined();
  });

  it('decodes valid requests exactly as the generated decoder does', () => {
    const bytes = Buffer.from(validUpdate);
    expect(StrictClusterService.affiliateUpdate.requestDeserialize(bytes)).toEqual(ClusterService.affiliateUpdate.requestDeserialize(bytes));
    for (const method of ['hello', 'affiliateDelete', 'list', 'watch'] as const) {
      const deserialize = StrictClusterService[method].requestDeserialize as (b: Buffer) => object;
      expect(malformedRequest(deserialize(Buffer.from([...valid, 0x00, 0x01])))).toBeDefined();
      expect(malformedRequest(deserialize(Buffer.from(valid)))).toBeUndefined();
    }
  });
});
