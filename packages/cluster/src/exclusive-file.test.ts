import { describe, it, expect } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileExclusive } from './exclusive-file.ts';

describe('createFileExclusive', () => {
  it('creates the file whole with mode 0600, leaves no temp file, and never overwrites', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-excl-'));
    try {
      const path = join(dir, 'f.yaml');
      expect(await createFileExclusive(path, 'a: 1\n')).toBe('placed');
      expect(await readFile(path, 'utf8')).toBe('a: 1\n');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await createFileExclusive(path, 'a: 2\n')).toBe('exists');
      expect(await readFile(path, 'utf8')).toBe('a: 1\n');
      await writeFile(join(dir, 'g'), '');
      expect(await createFileExclusive(join(dir, 'g'), 'x')).toBe('exists');
      expect((await readdir(dir)).sort()).toEqual(['f.yaml', 'g']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lets exactly one of many concurrent writers win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-excl-'));
    try {
      const path = join(dir, 'f');
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createFileExclusive(path, `writer ${i}\n`)));
      expect(results.filter((r) => r === 'placed')).toHaveLength(1);
      const winner = results.indexOf('placed');
      expect(await readFile(path, 'utf8')).toBe(`writer ${winner}\n`);
      expect(await readdir(dir)).toEqual(['f']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
