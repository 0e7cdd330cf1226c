/**
 * Why a snapshot file could not be loaded or saved (spec R4.5); the message names the file and the
 * cause. `not-a-file` and `unreadable` stop the start-up: rotating such a path would lose `.prev`.
 */
export type SnapshotErrorCode = 'bad-magic' | 'go-plaintext' | 'checksum-mismatch' | 'decryption-failed' | 'invalid-content' | 'not-a-file' | 'unreadable';

const causes: Record<SnapshotErrorCode, string> = {
  'bad-magic': 'bad magic/version',
  'go-plaintext': 'bad magic/version (a plaintext snapshot of the Go discovery service; not loaded)',
  'checksum-mismatch': 'checksum mismatch',
  'decryption-failed': 'decryption failed (wrong key?)',
  'invalid-content': 'invalid content',
  'not-a-file': 'not a regular file',
  'unreadable': 'cannot be read',
};

export class SnapshotError extends Error {
  readonly code: SnapshotErrorCode;
  readonly file: string;

  constructor(code: SnapshotErrorCode, file: string, detail?: string) {
    super(`snapshot ${file}: ${causes[code]}${detail === undefined ? '' : `: ${detail}`}`);
    this.name = 'SnapshotError';
    this.code = code;
    this.file = file;
  }
}

export function isSnapshotError(e: unknown): e is SnapshotError {
  return e instanceof SnapshotError;
}

/**
 * A start-up error about the snapshot key: `snapshot-key-invalid` (unreadable or not 32 bytes),
 * `snapshot-key-missing` (no key file, but a snapshot saved with one exists), `snapshot-key-wrong`
 * (a whole snapshot that the key does not decrypt). `file` is the key file, `snapshot` the snapshot
 * concerned, if any.
 */
export type SnapshotKeyErrorCode = 'snapshot-key-invalid' | 'snapshot-key-missing' | 'snapshot-key-wrong';

export class SnapshotKeyError extends Error {
  readonly code: SnapshotKeyErrorCode;
  readonly file: string;
  readonly snapshot: string | undefined;

  constructor(file: string, rule: string, code: SnapshotKeyErrorCode = 'snapshot-key-invalid', snapshot?: string) {
    super(`snapshot key ${file}: ${rule}`);
    this.name = 'SnapshotKeyError';
    this.code = code;
    this.file = file;
    this.snapshot = snapshot;
  }
}

export function isSnapshotKeyError(e: unknown): e is SnapshotKeyError {
  return e instanceof SnapshotKeyError;
}
