import { randomBytes } from 'node:crypto';
import { decodeBase62, encodeBase62 } from './base62.ts';

/** Bytes of entropy in a NodeID, as in Talos. */
export const NODE_ID_BYTES = 32;

/** A fresh NodeID: 32 CSPRNG bytes in Talos' bitwise base62 (43–45 characters, sometimes more). */
export function newNodeId(): string {
  return encodeBase62(randomBytes(NODE_ID_BYTES));
}

export class MachineIdError extends Error {
  readonly code = 'InvalidNodeId';
  constructor(nodeId: string, decodedLength: number) {
    super(`machine-id: node ID ${JSON.stringify(nodeId)} decodes to ${decodedLength} bytes, need at least 16`);
    this.name = 'MachineIdError';
  }
}

/** Talos' machine-id: lower-case hex of the first 16 bytes the NodeID decodes to. */
export function machineIdFromNodeId(nodeId: string): string {
  const bytes = decodeBase62(nodeId);
  if (bytes.length < 16) throw new MachineIdError(nodeId, bytes.length);
  return Buffer.from(bytes.subarray(0, 16)).toString('hex');
}
