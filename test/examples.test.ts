import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { quickstart } from '../docs/examples/quickstart.ts';
import { serveAndWatch } from '../docs/examples/api.ts';

describe('docs examples', () => {
  it('the README quickstart runs and sees both changes in order', async () => {
    expect(await quickstart()).toEqual(['created hello v1', 'updated hello, world v2']);
  });

  it('the README shows the quickstart exactly as tested', async () => {
    const [readme, example] = await Promise.all([readFile('README.md', 'utf8'), readFile('docs/examples/quickstart.ts', 'utf8')]);
    expect(readme).toContain(example.trim());
  });

  it('docs/api.md: serving a state and watching it through RemoteState', async () => {
    expect(await serveAndWatch()).toEqual(['bootstrapped', 'created hello', 'updated hello, world', 'NotFound']);
    const [doc, example] = await Promise.all([readFile('docs/api.md', 'utf8'), readFile('docs/examples/api.ts', 'utf8')]);
    expect(doc).toContain(example.trim());
  });
});

describe('docs/discovery.md example', () => {
  it('two discovery clients find each other through an embedded service', async () => {
    const { discoveryPair } = await import('../docs/examples/discovery-pair.ts');
    expect(await discoveryPair()).toEqual(['node-2.example.org', 'node-1.example.org']);
  });

  it('docs/discovery.md shows the example exactly as tested', async () => {
    const [page, example] = await Promise.all([readFile('docs/discovery.md', 'utf8'), readFile('docs/examples/discovery-pair.ts', 'utf8')]);
    expect(page).toContain(example.trim());
  });
});
