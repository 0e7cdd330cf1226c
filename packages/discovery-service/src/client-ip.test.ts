import { describe, expect, it } from 'vitest';
import { ipBytesToString, ipToBytes, peerToBytes, resolveClientIp } from './client-ip.ts';

const hex = (b: Buffer | undefined): string | undefined => b?.toString('hex');

describe('client IP', () => {
  it('parses IPv4, IPv6, v4-mapped (unmapped), zones and brackets', () => {
    expect(hex(ipToBytes('1.2.3.4'))).toBe('01020304');
    expect(hex(ipToBytes('::ffff:127.0.0.1'))).toBe('7f000001');
    expect(hex(ipToBytes('::ffff:7f00:1'))).toBe('7f000001');
    expect(hex(ipToBytes('[2001:db8::1]'))).toBe('20010db8000000000000000000000001');
    expect(hex(ipToBytes('fe80::1%eth0'))).toBe('fe800000000000000000000000000001');
    expect(hex(ipToBytes('::'))).toBe('0'.repeat(32));
    expect(ipToBytes('1.2.3')).toBeUndefined();
    expect(ipToBytes('example.com')).toBeUndefined();
    expect(ipToBytes('')).toBeUndefined();
  });

  it('reads grpc-js peer strings', () => {
    expect(hex(peerToBytes('127.0.0.1:5000'))).toBe('7f000001');
    expect(hex(peerToBytes('::ffff:10.0.0.1:5000'))).toBe('0a000001');
    expect(hex(peerToBytes('::1:5000'))).toBe('00000000000000000000000000000001');
    expect(hex(peerToBytes('[::1]:5000'))).toBe('00000000000000000000000000000001');
    expect(peerToBytes('/run/sock')).toBeUndefined();
  });

  it('trusts headers only when told, in order, falling through unparsable values', () => {
    const headers: Record<string, string> = { 'x-real-ip': 'nonsense', 'x-forwarded-for': ' 5.6.7.8 , 9.9.9.9' };
    const h = (n: string): string | undefined => headers[n];
    expect(hex(resolveClientIp({ trustXRealIp: false, trustFirstXForwardedFor: false }, h, '1.1.1.1:1'))).toBe('01010101');
    expect(hex(resolveClientIp({ trustXRealIp: true, trustFirstXForwardedFor: false }, h, '1.1.1.1:1'))).toBe('01010101');
    expect(hex(resolveClientIp({ trustXRealIp: true, trustFirstXForwardedFor: true }, h, '1.1.1.1:1'))).toBe('05060708');
  });

  it('formats keys canonically', () => {
    expect(ipBytesToString(Buffer.from([10, 0, 0, 1]))).toBe('10.0.0.1');
    expect(ipBytesToString(ipToBytes('2001:db8::1')!)).toBe('2001:db8:0:0:0:0:0:1');
  });
});
