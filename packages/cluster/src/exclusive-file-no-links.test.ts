import { describe, it, expect, vi } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileExclusive } from './exclusive-file.ts';

// A filesystem without hard links: link() fails with EPERM, as on FAT or some FUSE mounts.
const link = vi.hoisted(() => vi.fn(() => Promise.reject(Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }))));
vi.mock('node:fs/promises', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:fs/promises')>()), link }));

describe('createFileExclusive without hard links', () => {
  it('falls back to O_CREAT|O_EXCL with mode 0600: one writer wins, nothing is overwritten, no temp file is left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-excl-nolink-'));
    try {
      const path = join(dir, 'f');
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => createFileExclusive(path, `writer ${i}\n`)));
      expect(link).toHaveBeenCalled();
      expect(results.filter((r) => r === 'placed')).toHaveLength(1);
      expect(await readFile(path, 'utf8')).toBe(`writer ${results.indexOf('placed')}\n`);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await createFileExclusive(path, 'later\n')).toBe('exists');
      expect(await readdir(dir)).toEqual(['f']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
