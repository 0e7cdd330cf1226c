import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { SnapshotKeyError } from './snapshot-error.ts';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface LoadSnapshotKeyOptions {
  /** Create a missing key file (the default key path, and no snapshot that needs the old key). */
  readonly createIfMissing: boolean;
  /**
   * A snapshot that exists, for a default key path: a missing key is then refused (unless
   * createIfMissing) with the message that explains the ways out.
   */
  readonly snapshot?: string | undefined;
  readonly logger: Logger;
}

/**
 * Reads the 32-byte snapshot key (spec R4.1): raw bytes, or standard base64 with an optional
 * trailing newline. With `createIfMissing` a missing file is created with 32 random bytes,
 * exclusively, mode 0600. A group/other-readable key is used with a warning.
 */
export async function loadSnapshotKey(path: string, options: LoadSnapshotKeyOptions): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && options.snapshot !== undefined && !options.createIfMissing) {
      throw new SnapshotKeyError(
        path,
        `is missing, but snapshot ${options.snapshot} exists and can only be read with the key it was saved with (a new key would not decrypt it). ` +
          'Nothing was changed. Put that key file back (is its volume mounted?) or name it with --snapshot-key-file, and start again; ' +
          'or, to give up that state, start once with --snapshot-discard-undecryptable: a new key is made, the snapshots are renamed <file>.undecryptable-<unix seconds> and the service starts empty',
        'snapshot-key-missing',
        options.snapshot,
      );
    }
    if (!missing || !options.createIfMissing) {
      throw new SnapshotKeyError(path, `cannot be read: ${(e as Error).message}`, missing ? 'snapshot-key-missing' : 'snapshot-key-invalid');
    }
    const key = randomBytes(32);
    try {
      await writeFile(path, key, { flag: 'wx', mode: 0o600 });
      options.logger.info({ keyFile: path }, 'created a new snapshot key');
      return key;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new SnapshotKeyError(path, `cannot be created: ${(err as Error).message}`);
      raw = await readFile(path); // another process created it first
    }
  }
  const mode = (await stat(path)).mode;
  if ((mode & 0o077) !== 0) options.logger.warn({ keyFile: path, mode: (mode & 0o777).toString(8) }, 'snapshot key is readable by group or others');
  if (raw.length === 32) return raw;
  const text = raw.toString('latin1').replace(/\r?\n$/, '');
  if (BASE64.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32) return key;
  }
  throw new SnapshotKeyError(path, 'must hold 32 raw bytes or their standard base64');
}
