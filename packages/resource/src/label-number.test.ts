import { describe, expect, it } from 'vitest';
import { parseLabelNumber } from './label-number.ts';

describe('parseLabelNumber (specs/state.md §3.4)', () => {
  it.each([
    ['10', 10n],
    ['  42  ', 42n],
    ['-7', -7n],
    ['0', 0n],
    ['10kg', 10_000n],
    ['12000', 12_000n],
    ['1Ki', 1024n],
    ['1ki', 1024n],
    ['3 Mi', 3n * 2n ** 20n],
    ['1Gi', 2n ** 30n],
    ['1TiB', 2n ** 40n],
    ['1pi', 2n ** 50n],
    ['2k', 2000n],
    ['2K', 2000n],
    ['5m', 5_000_000n], // m is mega, not milli
    ['5M', 5_000_000n],
    ['1g', 10n ** 9n],
    ['1t', 10n ** 12n],
    ['1P', 10n ** 15n],
    ['1kilo', 1024n], // the first two letters decide: "ki" is binary
    ['4 mib', 4n * 2n ** 20n],
    ['123456789012345678901234567890', 123456789012345678901234567890n],
  ])('%j -> %s', (text, expected) => {
    expect(parseLabelNumber(text)).toBe(expected);
  });

  it.each(['', '   ', '-', 'abc', 'k10', '10x', '1.5', '+3', '10 % ', '0x10', '１２'])('%j is unparsable', (text) => {
    expect(parseLabelNumber(text)).toBeUndefined();
  });
});
