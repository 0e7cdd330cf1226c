import { describe, expect, it } from 'vitest';
import { parseGoDuration } from './duration.ts';
import { formatHostPort, parseListenAddress } from './listen-address.ts';
import { normalizeClientVersion } from './version-label.ts';

describe('normalizeClientVersion', () => {
  it.each([
    ['v1.8.3', 'v1.8'],
    ['v1.8.0-beta.1', 'v1.8-pre'],
    ['v1.8.3-7-gf7d9f211', 'v1.8-pre'],
    ['v10.20.30', 'v10.20'],
    ['', 'unknown'],
    ['1.8.3', 'unknown'],
    ['v1.8', 'unknown'],
  ])('%s → %s', (input, label) => expect(normalizeClientVersion(input)).toBe(label));
});

describe('parseGoDuration', () => {
  it('reads Go durations', () => {
    expect(parseGoDuration('90s')).toBe(90_000);
    expect(parseGoDuration('1m')).toBe(60_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    expect(() => parseGoDuration('10')).toThrow(/invalid duration/);
    expect(() => parseGoDuration('1 m')).toThrow(/invalid duration/);
  });
});

describe('listen addresses', () => {
  it('reads Go listen addresses; an empty host is every interface', () => {
    expect(parseListenAddress(':3000')).toEqual({ host: '::', port: 3000 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('[::1]:3000')).toEqual({ host: '::1', port: 3000 });
    expect(() => parseListenAddress('3000')).toThrow(/no port/);
    expect(() => parseListenAddress('host:x')).toThrow(/invalid port/);
    expect(formatHostPort('::1', 5)).toBe('[::1]:5');
  });
});
