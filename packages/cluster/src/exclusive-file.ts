import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkOptions, knownOptions } from '@cosi-ts/resource';

const OPTIONS = knownOptions('mode', 'beforeLink');

export interface CreateFileExclusiveOptions {
  /** File mode; default 0600. */
  readonly mode?: number;
  /** Called once the temp file is durable, before it is linked in place (crash tests). */
  readonly beforeLink?: () => void | Promise<void>;
}

/** `placed`: this call created the file; `exists`: it was already there (another writer won). */
export type CreateFileResult = 'placed' | 'exists';

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

async function writeDurable(path: string, content: string, mode: number): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Filesystems without hard links answer these; exclusive creation is the fallback there. */
const NO_LINK_CODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Creates `path` with `content` unless it exists, so that a crash never leaves a partial file:
 * the content is made durable in a temp file beside it, hard-linked to `path` (which fails if
 * `path` exists), the temp removed and the directory fsynced. Without hard links it falls back
 * to `O_CREAT|O_EXCL` + write + fsync.
 */
export async function createFileExclusive(path: string, content: string, opts: CreateFileExclusiveOptions = {}): Promise<CreateFileResult> {
  checkOptions(`createFileExclusive ${path}`, opts, OPTIONS);
  const dir = dirname(path);
  const mode = opts.mode ?? 0o600;
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await writeDurable(tmp, content, mode);
  try {
    await opts.beforeLink?.();
    try {
      await link(tmp, path);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST') return 'exists';
      if (code === undefined || !NO_LINK_CODES.has(code)) throw e;
      try {
        await writeDurable(path, content, mode);
      } catch (e2) {
        if (errnoCode(e2) === 'EEXIST') return 'exists';
        throw e2;
      }
    }
    return 'placed';
  } finally {
    await unlink(tmp).catch(() => undefined);
    await fsyncDir(dir).catch(() => undefined);
  }
}
