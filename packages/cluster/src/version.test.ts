import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { COSI_TS_VERSION, OPERATING_SYSTEM } from './version.ts';

describe('version', () => {
  it('advertises the package version as cosi-ts (v<version>)', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(COSI_TS_VERSION).toBe(pkg.version);
    expect(OPERATING_SYSTEM).toBe(`cosi-ts (v${pkg.version})`);
  });
});
