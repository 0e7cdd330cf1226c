import { describe, it, expect } from 'vitest';
import { addressOfCidr, formatEndpoint, formatIp, hostPrefix, parseIp, parsePrefix, prefixContains } from './ip.ts';

describe('ip helpers', () => {
  it('formats addresses canonically (RFC 5952 for IPv6)', () => {
    const f = (s: string) => formatIp(parseIp(s)!);
    expect(f('10.5.0.1')).toBe('10.5.0.1');
    expect(f('2001:0123:4567:0000:0000:0000:0000:0001')).toBe('2001:123:4567::1');
    expect(f('FD50:8D60:4238:6302:F857:23FF:FE21:D1E0')).toBe('fd50:8d60:4238:6302:f857:23ff:fe21:d1e0');
    expect(f('::')).toBe('::');
    expect(f('::1')).toBe('::1');
    expect(f('1:0:0:1:0:0:0:1')).toBe('1:0:0:1::1');
    expect(f('1:0:1:1:1:1:1:1')).toBe('1:0:1:1:1:1:1:1');
    expect(f('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4');
    expect(f('64:ff9b::1.2.3.4')).toBe('64:ff9b::102:304');
  });

  it('rejects what is not an IP', () => {
    for (const s of ['', 'example.com', '1.2.3', '1.2.3.4.5', 'fe80::1%eth0', '256.1.1.1']) expect(parseIp(s)).toBeUndefined();
    for (const s of ['1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.4/01', 'x/8']) expect(parsePrefix(s)).toBeUndefined();
  });

  it('matches prefixes per family; a bare IP is a host prefix', () => {
    const contains = (p: string, ip: string) => prefixContains(parsePrefix(p)!, parseIp(ip)!);
    expect(contains('0.0.0.0/0', '172.20.0.2')).toBe(true);
    expect(contains('0.0.0.0/0', '2001::1')).toBe(false);
    expect(contains('192.168.0.0/16', '192.168.192.168')).toBe(true);
    expect(contains('192.168.0.0/16', '192.169.0.1')).toBe(false);
    expect(contains('2001::/16', '2001:123:4567::1')).toBe(true);
    expect(contains('2001::/16', 'fdae:41e4:649b:9303:60be:7e36:c270:3238')).toBe(false);
    expect(contains('10.5.0.1', '10.5.0.1')).toBe(true);
    expect(contains('10.5.0.1', '10.5.0.2')).toBe(false);
  });

  it('extracts CIDR addresses and formats endpoints and host prefixes', () => {
    expect(addressOfCidr('2001:123:4567::1/64')).toBe('2001:123:4567::1');
    expect(addressOfCidr('172.20.0.2/24')).toBe('172.20.0.2');
    expect(addressOfCidr('nonsense')).toBeUndefined();
    expect(formatEndpoint('1.1.1.1', 51820)).toBe('1.1.1.1:51820');
    expect(formatEndpoint('2001:123:4567::1', 51820)).toBe('[2001:123:4567::1]:51820');
    expect(hostPrefix('127.0.0.1')).toBe('127.0.0.1/32');
    expect(hostPrefix('fd00::2')).toBe('fd00::2/128');
  });
});
