import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeAcrossRestart } from '../docs/examples/persistent-bookmark.ts';

const dir = mkdtempSync(join(tmpdir(), 'cosi-docs-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/state.md backend examples', () => {
  it('a bookmark taken before a SqliteState restart resumes exactly after it', async () => {
    expect(await resumeAcrossRestart(join(dir, 'state.db'))).toEqual(['updated a second', 'created b third']);
  });

  it('docs/state.md shows the example exactly as tested', async () => {
    const [doc, example] = await Promise.all([readFile('docs/state.md', 'utf8'), readFile('docs/examples/persistent-bookmark.ts', 'utf8')]);
    expect(doc).toContain(example.trim());
  });
});
