import type { Kind } from '@cosi-ts/resource';
import type { Bookmark } from './state.ts';

/**
 * Byte layout shared by the backends (version 1):
 *
 *   [0]            layout version (1)
 *   [1..17)        store id (16 random bytes made with the store)
 *   u16 + bytes    kind key (big-endian length): whatever names the kind exactly in that store
 *   u64            position (big-endian; a safe integer)
 *
 * The kind key is the backend's choice: the in-memory state uses a 4-byte per-instance kind number
 * (short bookmarks stay small on-heap allocations); a persistent store can use {@link kindKeyOf}.
 */
const LAYOUT_VERSION = 1;
export const STORE_ID_BYTES = 16;
const MIN_LENGTH = 1 + STORE_ID_BYTES + 2 + 8;

export interface DecodedBookmark {
  readonly storeId: Uint8Array;
  readonly kindKey: Uint8Array;
  readonly position: number;
}

const encoder = new TextEncoder();

/** A kind key naming the kind by its names: UTF-8 of `namespace`, a NUL byte, `type`. */
export function kindKeyOf(kind: Kind): Uint8Array {
  return encoder.encode(`${kind.namespace}\u0000${kind.type}`);
}

/** The constant prefix of every bookmark of one store and kind; append the position with {@link bookmarkAt}. */
export function bookmarkHeader(storeId: Uint8Array, kindKey: Uint8Array): Uint8Array {
  if (storeId.length !== STORE_ID_BYTES) throw new TypeError(`bookmark store id must be ${STORE_ID_BYTES} bytes, got ${storeId.length}`);
  if (kindKey.length > 0xffff) throw new TypeError('bookmark kind key must be shorter than 64 KiB');
  const out = new Uint8Array(1 + STORE_ID_BYTES + 2 + kindKey.length);
  out[0] = LAYOUT_VERSION;
  out.set(storeId, 1);
  out[1 + STORE_ID_BYTES] = kindKey.length >>> 8;
  out[2 + STORE_ID_BYTES] = kindKey.length & 0xff;
  out.set(kindKey, 3 + STORE_ID_BYTES);
  return out;
}

/** Header + position: one small allocation and copy, cheap enough to do per delivered event. */
export function bookmarkAt(header: Uint8Array, position: number): Bookmark {
  const out = new Uint8Array(header.length + 8);
  out.set(header, 0);
  const hi = Math.floor(position / 0x1_0000_0000);
  const lo = position >>> 0;
  let o = header.length;
  out[o++] = hi >>> 24;
  out[o++] = (hi >>> 16) & 0xff;
  out[o++] = (hi >>> 8) & 0xff;
  out[o++] = hi & 0xff;
  out[o++] = lo >>> 24;
  out[o++] = (lo >>> 16) & 0xff;
  out[o++] = (lo >>> 8) & 0xff;
  out[o] = lo & 0xff;
  return out;
}

export function encodeBookmark(b: DecodedBookmark): Bookmark {
  if (!Number.isSafeInteger(b.position) || b.position < 0) {
    throw new TypeError(`bookmark position must be a non-negative safe integer, got ${b.position}`);
  }
  return bookmarkAt(bookmarkHeader(b.storeId, b.kindKey), b.position);
}

function readPosition(bytes: Uint8Array, o: number): number {
  const hi = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
  const lo = ((bytes[o + 4]! << 24) | (bytes[o + 5]! << 16) | (bytes[o + 6]! << 8) | bytes[o + 7]!) >>> 0;
  return hi * 0x1_0000_0000 + lo;
}

/** The parts of a bookmark, or undefined when the bytes are not a bookmark of this layout. Never throws. */
export function decodeBookmark(bytes: unknown): DecodedBookmark | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_LENGTH || bytes[0] !== LAYOUT_VERSION) return undefined;
  const keyLength = (bytes[1 + STORE_ID_BYTES]! << 8) | bytes[2 + STORE_ID_BYTES]!;
  if (bytes.length !== MIN_LENGTH + keyLength) return undefined;
  const position = readPosition(bytes, MIN_LENGTH - 8 + keyLength);
  if (!Number.isSafeInteger(position)) return undefined;
  return {
    storeId: bytes.slice(1, 1 + STORE_ID_BYTES),
    kindKey: bytes.slice(3 + STORE_ID_BYTES, 3 + STORE_ID_BYTES + keyLength),
    position,
  };
}

/**
 * The position of `bytes` when it is a bookmark with exactly this header (same layout, store and
 * kind), else -1. The fast path of a backend checking its own bookmarks.
 */
export function positionIn(bytes: Uint8Array, header: Uint8Array): number {
  if (bytes.length !== header.length + 8) return -1;
  for (let i = 0; i < header.length; i++) if (bytes[i] !== header[i]) return -1;
  const position = readPosition(bytes, header.length);
  return Number.isSafeInteger(position) ? position : -1;
}
