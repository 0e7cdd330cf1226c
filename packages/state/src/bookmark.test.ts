import { describe, expect, it } from 'vitest';
import { decodeBookmark, encodeBookmark, kindKeyOf } from './bookmark.ts';

describe('bookmark layout', () => {
  const storeId = Uint8Array.from({ length: 16 }, (_, i) => i);
  const kindKey = kindKeyOf({ namespace: 'cluster', type: 'Affiliates.cluster.talos.dev' });

  it('round-trips store id, kind key and positions up to 2^53 - 1', () => {
    for (const position of [0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      expect(decodeBookmark(encodeBookmark({ storeId, kindKey, position }))).toEqual({ storeId, kindKey, position });
    }
  });

  it('decodes garbage, truncated and unsafe positions to undefined', () => {
    const good = encodeBookmark({ storeId, kindKey, position: 5 });
    expect(decodeBookmark(new Uint8Array([1, 2, 3]))).toBeUndefined();
    expect(decodeBookmark(good.subarray(0, good.length - 1))).toBeUndefined();
    expect(decodeBookmark('not bytes')).toBeUndefined();
    const huge = good.slice();
    huge.fill(0xff, huge.length - 8);
    expect(decodeBookmark(huge)).toBeUndefined();
    expect(() => encodeBookmark({ storeId, kindKey, position: -1 })).toThrow(TypeError);
  });
});
