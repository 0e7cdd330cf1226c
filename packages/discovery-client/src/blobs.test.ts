import { createCipheriv } from 'node:crypto';
import { ClientAffiliate, Endpoint } from '@cosi-ts/discovery-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptAffiliate, encryptAffiliate, MAX_AFFILIATE_PLAINTEXT_BYTES } from './affiliate-blob.ts';
import { parseClusterKey } from './cluster-key.ts';
import { DiscoveryBlobError, DiscoveryClientError } from './discovery-client-error.ts';
import { decryptEndpoint, encryptEndpoint } from './endpoint-blob.ts';

// The spec's key (cluster-discovery §4: secret kCQs… = this hex).
const KEY = Buffer.from('90242c2abe01dbc55497bab0d6c5644c3345f5f147fbe56222e2acb2cf82ea47', 'hex');
const OTHER_KEY = Buffer.alloc(32, 7);

const affiliate = (over: Partial<ClientAffiliate> = {}): ClientAffiliate => ({
  nodeId: 'node-1',
  addresses: [Buffer.from([10, 0, 0, 2])],
  hostname: 'node-1.example.org',
  nodename: 'node-1',
  machineType: 'worker',
  operatingSystem: 'cosi-ts (v0.1.0)',
  ...over,
});

function ecb(key: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-256-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(plain), c.final()]);
}

describe('cluster key', () => {
  it('is the standard base64 of exactly 32 bytes', () => {
    expect(parseClusterKey('kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=')).toEqual(KEY);
    expect(() => parseClusterKey('c2hvcnQ=')).toThrow(/must be 32 bytes \(got 5\)/);
    expect(() => parseClusterKey('kCQsKr4B28VUl7qw1sVkTDNF9fFH-_ViIuKsss-C6kc=')).toThrow(DiscoveryClientError);
  });
});

describe('endpoint blobs (spec §6.3)', () => {
  it('encode the worked example byte for byte', () => {
    const ep = { ip: Buffer.from([10, 0, 0, 2]), port: 51820 };
    expect(Buffer.from(Endpoint.encode(ep).finish()).toString('hex')).toBe('0a040a00000210ec9403');
    expect(encryptEndpoint(KEY, ep).toString('hex')).toBe('b0923fefb589d66d1fb3fb962e3fdb95');
    expect(decryptEndpoint(KEY, Buffer.from('b0923fefb589d66d1fb3fb962e3fdb95', 'hex'))).toEqual(ep);
  });

  it('are deterministic, and an IPv6 endpoint fills exactly the 32-byte server cap', () => {
    const v6 = { ip: Buffer.from('20010db8000000000000000000000001', 'hex'), port: 51820 };
    expect(encryptEndpoint(KEY, v6)).toHaveLength(32);
    expect(encryptEndpoint(KEY, v6)).toEqual(encryptEndpoint(KEY, v6));
    expect(decryptEndpoint(KEY, encryptEndpoint(KEY, v6))).toEqual(v6);
  });

  it('round-trip any 4- or 16-byte IP and port', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })), fc.integer({ min: 0, max: 65535 }), (ip, port) => {
        const ep = { ip: Buffer.from(ip), port };
        const blob = encryptEndpoint(KEY, ep);
        expect(blob.length === 16 || blob.length === 32).toBe(true);
        expect(decryptEndpoint(KEY, blob)).toEqual(ep);
      }),
    );
  });

  it('reject every malformed blob with a reason, never a crash', () => {
    const reason = (blob: Buffer): string => {
      try {
        decryptEndpoint(KEY, blob);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(DiscoveryBlobError);
        return (e as DiscoveryBlobError).reason;
      }
    };
    expect(reason(Buffer.alloc(0))).toBe('endpoint-bad-length');
    expect(reason(Buffer.alloc(15))).toBe('endpoint-bad-length');
    // The spec's check: a decrypted length byte of 200 in a 16-byte block.
    expect(reason(ecb(KEY, Buffer.concat([Buffer.from([200]), Buffer.alloc(15)])))).toBe('endpoint-bad-length-byte');
    expect(reason(ecb(KEY, Buffer.concat([Buffer.from([16]), Buffer.alloc(15)])))).toBe('endpoint-bad-length-byte');
    // Length byte fine, content not protobuf (field 0, wire type 7).
    expect(reason(ecb(KEY, Buffer.concat([Buffer.from([2, 0x07, 0xff]), Buffer.alloc(13)])))).toBe('endpoint-parse-failed');
    // Valid protobuf with a 3-byte IP.
    expect(reason(ecb(KEY, Buffer.concat([Buffer.from([5, 0x0a, 0x03, 1, 2, 3]), Buffer.alloc(10)])))).toBe('endpoint-bad-ip');
    // Another key's blob decrypts to noise: rejected for some reason, or (rarely) a different endpoint.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        reason(Buffer.from(bytes));
      }),
    );
  });
});

describe('affiliate data blobs (spec §6.2)', () => {
  it('are nonce ‖ AES-256-GCM ciphertext ‖ tag and round-trip', () => {
    const a = affiliate({ kubespan: { publicKey: 'K2', address: Buffer.from([1, 2, 3, 4]), additionalAddresses: [{ ip: Buffer.from([10, 244, 0, 0]), bits: 16 }] } });
    const blob = encryptAffiliate(KEY, a);
    expect(blob.length).toBe(12 + ClientAffiliate.encode(a).finish().length + 16);
    expect(decryptAffiliate(KEY, blob)).toMatchObject({ nodeId: 'node-1', hostname: 'node-1.example.org', kubespan: { publicKey: 'K2' } });
    // A fresh nonce every time.
    expect(encryptAffiliate(KEY, a).subarray(0, 12)).not.toEqual(blob.subarray(0, 12));
  });

  it('refuse plaintext over 2020 bytes locally', () => {
    expect(() => encryptAffiliate(KEY, affiliate({ hostname: 'h'.repeat(MAX_AFFILIATE_PLAINTEXT_BYTES) }))).toThrow(/at most 2020/);
  });

  it('name why a blob is unusable: short, wrong key or tampered, not protobuf', () => {
    const reason = (f: () => unknown): string => {
      try {
        f();
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(DiscoveryBlobError);
        return (e as DiscoveryBlobError).reason;
      }
    };
    const blob = encryptAffiliate(KEY, affiliate());
    expect(reason(() => decryptAffiliate(KEY, blob.subarray(0, 27)))).toBe('data-too-short');
    expect(reason(() => decryptAffiliate(OTHER_KEY, blob))).toBe('data-decrypt-failed');
    const flipped = Buffer.from(blob);
    flipped[20]! ^= 1;
    expect(reason(() => decryptAffiliate(KEY, flipped))).toBe('data-decrypt-failed');
    // Correctly encrypted garbage: authentic but not an Affiliate message.
    const nonce = Buffer.alloc(12, 1);
    const c = createCipheriv('aes-256-gcm', KEY, nonce);
    const ct = Buffer.concat([c.update(Buffer.from([0x0f, 0xff, 0xff])), c.final()]);
    expect(reason(() => decryptAffiliate(KEY, Buffer.concat([nonce, ct, c.getAuthTag()])))).toBe('data-parse-failed');
  });
});
