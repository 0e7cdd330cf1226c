import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeBase62, encodeBase62, Base62Error, isBase62 } from './base62.ts';

const VECTOR = 'gvqfS27LxD58lPlASmpaueeRVzuof16iXoieRgEvBWaE';

describe('base62 (bitwise, Talos-compatible)', () => {
  it('decodes the Talos test vector to 32 bytes that re-encode to the same string', () => {
    const bytes = decodeBase62(VECTOR);
    expect(bytes).toHaveLength(32);
    expect(Buffer.from(bytes.subarray(0, 16)).toString('hex')).toBe('8d2c0de2408fa2a178bad7f45d9aa8fb');
    expect(encodeBase62(bytes)).toBe(VECTOR);
  });

  it('is not big-integer base62', () => {
    // Big-integer base62 of 0x01 0x00 would be "EI" (256 = 4*62 + 8); the bitwise form differs.
    expect(encodeBase62(Uint8Array.of(1, 0))).not.toBe('EI');
    expect(decodeBase62(encodeBase62(Uint8Array.of(1, 0)))).toEqual(Uint8Array.of(1, 0));
  });

  it('encodes the empty input as the empty string and back', () => {
    expect(encodeBase62(new Uint8Array())).toBe('');
    expect(decodeBase62('')).toEqual(new Uint8Array());
  });

  it('emits 5-bit characters for the compact values: 32 bytes of 0xff give 52 characters', () => {
    const s = encodeBase62(new Uint8Array(32).fill(0xff));
    expect(s).toHaveLength(52);
    expect(decodeBase62(s)).toEqual(new Uint8Array(32).fill(0xff));
  });

  it('keeps leading zero bytes', () => {
    for (const bytes of [Uint8Array.of(0), Uint8Array.of(0, 0), Uint8Array.of(0, 0xff), new Uint8Array(32)]) {
      expect(decodeBase62(encodeBase62(bytes))).toEqual(bytes);
    }
  });

  it('rejects characters outside the alphabet with their position', () => {
    expect(() => decodeBase62('abc-def')).toThrow(Base62Error);
    expect(() => decodeBase62('abc-def')).toThrow(/position 3/);
    expect(isBase62('abc-def')).toBe(false);
    expect(isBase62(VECTOR)).toBe(true);
  });

  it('round-trips random 32-byte inputs (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const s = encodeBase62(bytes);
        expect(isBase62(s)).toBe(true);
        expect(decodeBase62(s)).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips inputs of any length (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        expect(decodeBase62(encodeBase62(bytes))).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });
});
