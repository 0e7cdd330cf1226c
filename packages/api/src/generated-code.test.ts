import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}

describe('generated code', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'api-gen-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('is up to date with proto/ (run `npm run generate -w @cosi-ts/api`)', () => {
    execFileSync(process.execPath, [join(pkgDir, 'scripts', 'generate.mjs'), '--out', tmp], { stdio: 'pipe' });
    const checkedIn = join(pkgDir, 'src', 'gen');
    const fresh = listFiles(tmp).map((f) => relative(tmp, f)).sort();
    const current = listFiles(checkedIn).map((f) => relative(checkedIn, f)).sort();
    expect(current).toEqual(fresh);
    for (const file of fresh) {
      const stale = readFileSync(join(checkedIn, file), 'utf8') !== readFileSync(join(tmp, file), 'utf8');
      expect(stale ? `${file} is stale` : `${file} ok`).toBe(`${file} ok`);
    }
  });
});
