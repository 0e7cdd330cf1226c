import { describe, it, expect } from 'vitest';
import { decodeBase62, isBase62 } from './base62.ts';
import { MachineIdError, machineIdFromNodeId, newNodeId } from './node-id.ts';

describe('newNodeId', () => {
  it('gives base62 of 32 random bytes, unique per call', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const id = newNodeId();
      expect(isBase62(id)).toBe(true);
      expect(decodeBase62(id)).toHaveLength(32);
      expect(id.length).toBeGreaterThanOrEqual(43);
      expect(id.length).toBeLessThanOrEqual(52);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
  });
});

describe('machineIdFromNodeId', () => {
  it('is the hex of the first 16 decoded bytes (Talos vector)', () => {
    expect(machineIdFromNodeId('gvqfS27LxD58lPlASmpaueeRVzuof16iXoieRgEvBWaE')).toBe('8d2c0de2408fa2a178bad7f45d9aa8fb');
  });

  it('rejects IDs that decode to fewer than 16 bytes', () => {
    expect(() => machineIdFromNodeId('abc')).toThrow(MachineIdError);
  });
});
