/**
 * Talos-compatible base62 (Go's `github.com/jxskiss/base62`). This is a *bitwise* encoding, not the
 * big-integer one: 6-bit groups are read from the end of the input, and groups whose value has the
 * pattern `x1111x` (30, 31, 62, 63) are emitted as 5-bit characters so only 62 symbols are needed.
 */
export const BASE62_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const COMPACT_MASK = 0b011110;
const MASK_5_BITS = 0b011111;

const DECODE_MAP: ReadonlyMap<string, number> = new Map(
  [...BASE62_ALPHABET].map((c, i) => [c, i] as const),
);

export class Base62Error extends Error {
  readonly code = 'InvalidBase62';
  readonly position: number;
  constructor(input: string, position: number) {
    super(`base62: invalid character ${JSON.stringify(input[position])} at position ${position}`);
    this.name = 'Base62Error';
    this.position = position;
  }
}

/** True when every character of `s` belongs to the base62 alphabet. */
export function isBase62(s: string): boolean {
  for (const c of s) {
    if (!DECODE_MAP.has(c)) return false;
  }
  return true;
}

export function encodeBase62(bytes: Uint8Array): string {
  // Bit i of the input (0 = most significant bit of byte 0); positions below 0 read as 0.
  const bit = (i: number): number => (i < 0 ? 0 : ((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1);
  let p = bytes.length * 8;
  let out = '';
  while (p > 0) {
    let v = 0;
    for (let i = p - 6; i < p; i++) v = (v << 1) | bit(i);
    if ((v & COMPACT_MASK) === COMPACT_MASK) {
      out += BASE62_ALPHABET[v & MASK_5_BITS];
      p -= p <= 6 && v < 32 ? 6 : 5;
    } else {
      out += BASE62_ALPHABET[v];
      p -= 6;
    }
  }
  return out;
}

export function decodeBase62(s: string): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const x = DECODE_MAP.get(s[i] ?? '');
    if (x === undefined) throw new Base62Error(s, i);
    let width: number;
    if (i === s.length - 1) width = x === 0 ? 0 : 32 - Math.clz32(x);
    else width = (x & COMPACT_MASK) === COMPACT_MASK ? 5 : 6;
    acc |= x << k;
    k += width;
    if (k >= 8) {
      out.push(acc & 0xff);
      acc >>= 8;
      k -= 8;
    }
  }
  if (k > 0) out.push(acc & 0xff);
  return Uint8Array.from(out.reverse());
}
