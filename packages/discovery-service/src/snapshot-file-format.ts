import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SnapshotError } from './snapshot-error.ts';

/**
 * The encrypted snapshot file of spec R4.2:
 * `"COSIDSS\x01"(8) ‖ nonce(12) ‖ L u32 BE(4) ‖ AES-256-GCM ciphertext(L) ‖ tag(16) ‖ SHA-256(32)`,
 * the checksum over all preceding bytes, the GCM AAD the first 24 bytes.
 */
export const SNAPSHOT_MAGIC = Buffer.from('COSIDSS\x01', 'latin1');
const HEADER = 24;
const TAG = 16;
const SUM = 32;

export function sealSnapshot(plaintext: Uint8Array, key: Buffer): Buffer {
  const header = Buffer.alloc(HEADER);
  SNAPSHOT_MAGIC.copy(header, 0);
  randomBytes(12).copy(header, 8);
  header.writeUInt32BE(plaintext.length, 20);
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(8, 20));
  cipher.setAAD(header);
  const body = Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

export function openSnapshot(file: Buffer, key: Buffer, name: string): Buffer {
  if (file.length < SNAPSHOT_MAGIC.length || !file.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    // The Go server's plaintext snapshot is a protobuf whose first field is `repeated Cluster clusters = 1`.
    throw new SnapshotError(file[0] === 0x0a ? 'go-plaintext' : 'bad-magic', name);
  }
  if (file.length < HEADER + TAG + SUM) throw new SnapshotError('checksum-mismatch', name, 'file truncated');
  const body = file.subarray(0, file.length - SUM);
  if (!createHash('sha256').update(body).digest().equals(file.subarray(file.length - SUM))) {
    throw new SnapshotError('checksum-mismatch', name);
  }
  const length = file.readUInt32BE(20);
  if (HEADER + length + TAG !== body.length) throw new SnapshotError('invalid-content', name, 'length field disagrees with file size');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, file.subarray(8, 20));
    decipher.setAAD(file.subarray(0, HEADER));
    decipher.setAuthTag(body.subarray(body.length - TAG));
    return Buffer.concat([decipher.update(body.subarray(HEADER, body.length - TAG)), decipher.final()]);
  } catch {
    throw new SnapshotError('decryption-failed', name);
  }
}

/**
 * Whether `file` begins like a snapshot of ours, so can only be read with the key it was sealed
 * with. False for a missing file, a shorter one, or a foreign one (a Go plaintext snapshot).
 */
export async function isSealedSnapshot(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(SNAPSHOT_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(SNAPSHOT_MAGIC);
  } finally {
    await handle.close();
  }
}
