/** Why a snapshot file could not be loaded (spec R4.5); the message names the file and the cause. */
export type SnapshotErrorCode = 'bad-magic' | 'go-plaintext' | 'checksum-mismatch' | 'decryption-failed' | 'invalid-content';

const causes: Record<SnapshotErrorCode, string> = {
  'bad-magic': 'bad magic/version',
  'go-plaintext': 'bad magic/version (a plaintext snapshot of the Go discovery service; not loaded)',
  'checksum-mismatch': 'checksum mismatch',
  'decryption-failed': 'decryption failed (wrong key?)',
  'invalid-content': 'invalid content',
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

/** A snapshot key that is missing, unreadable or not 32 bytes: a start-up error. */
export class SnapshotKeyError extends Error {
  readonly code = 'snapshot-key-invalid';
  readonly file: string;

  constructor(file: string, rule: string) {
    super(`snapshot key ${file}: ${rule}`);
    this.name = 'SnapshotKeyError';
    this.file = file;
  }
}
