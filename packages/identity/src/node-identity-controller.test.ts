import { describe, it, expect, afterEach, beforeEach } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity, LOCAL_IDENTITY_ID, type IdentitySpec } from '@cosi-ts/cluster';
import { startRuntime, untilState, type Harness } from '@cosi-ts/cluster/testing';
import { NodeIdentityController } from './node-identity-controller.ts';
import { NODE_IDENTITY_FILE } from './node-identity-file.ts';
import { machineIdFromNodeId } from './node-id.ts';

const VECTOR = 'gvqfS27LxD58lPlASmpaueeRVzuof16iXoieRgEvBWaE';

let dir: string;
let h: Harness | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosi-identity-ctrl-'));
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
  await rm(dir, { recursive: true, force: true });
});

const identityOf = (hh: Harness) =>
  untilState(hh.state, [Identity.kind()], async () => (await hh.state.get<IdentitySpec>(Identity.pointer(LOCAL_IDENTITY_ID))).spec.nodeId);

describe('NodeIdentityController (scenario 7)', () => {
  it('creates the state dir and identity on an empty state dir, logs it, and keeps it across restarts', async () => {
    const stateDir = join(dir, 'state');
    h = startRuntime([new NodeIdentityController({ stateDir })]);
    const nodeId = await identityOf(h);
    expect(nodeId.length).toBeGreaterThanOrEqual(43);
    expect(nodeId.length).toBeLessThanOrEqual(45);
    const path = join(stateDir, NODE_IDENTITY_FILE);
    expect(await readFile(path, 'utf8')).toBe(`nodeId: ${nodeId}\n`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const log = await h.logged('node identity established');
    expect(log).toMatchObject({ nodeId, controller: 'identity.NodeIdentityController' });
    await h.stop();

    h = startRuntime([new NodeIdentityController({ stateDir })]);
    expect(await identityOf(h)).toBe(nodeId);
  });

  it('loads the Talos vector file as that NodeID (and machine-id)', async () => {
    await writeFile(join(dir, NODE_IDENTITY_FILE), `nodeId: ${VECTOR}\n`);
    h = startRuntime([new NodeIdentityController({ stateDir: dir })]);
    const nodeId = await identityOf(h);
    expect(nodeId).toBe(VECTOR);
    expect(machineIdFromNodeId(nodeId)).toBe('8d2c0de2408fa2a178bad7f45d9aa8fb');
  });

  it.each([['empty', ''], ['nodeId: ""', 'nodeId: ""\n']])('a %s file stops it with an error naming the path; the file stays unchanged', async (_n, content) => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, content);
    h = startRuntime([new NodeIdentityController({ stateDir: dir })]);
    const log = await h.logged(path);
    expect(JSON.stringify(log)).toContain('NodeIdentityError');
    expect(await h.state.list(Identity.kind())).toEqual([]);
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('two concurrent starts agree on one ID', async () => {
    const a = startRuntime([new NodeIdentityController({ stateDir: dir })]);
    const b = startRuntime([new NodeIdentityController({ stateDir: dir })]);
    try {
      const [ia, ib] = await Promise.all([identityOf(a), identityOf(b)]);
      expect(ia).toBe(ib);
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('identity: unknown options (issue 17 §6)', () => {
  it('NodeIdentityController and loadOrCreateNodeIdentity name the misspelled option and the closest known one', async () => {
    const { isUnknownOption } = await import('@cosi-ts/resource');
    const { loadOrCreateNodeIdentity } = await import('./node-identity-file.ts');
    let e: unknown;
    try {
      new NodeIdentityController({ stateDir: dir, generator: () => VECTOR } as never);
    } catch (x) {
      e = x;
    }
    expect(isUnknownOption(e)).toBe(true);
    expect(e).toMatchObject({ option: 'generator', suggestion: 'generate' });
    expect((e as Error).message).toMatch(/^NodeIdentityController: unknown option "generator"/);
    const e2: unknown = await loadOrCreateNodeIdentity(dir, { beforelink: () => {} } as never).catch((x: unknown) => x);
    expect(e2).toMatchObject({ option: 'beforelink', suggestion: 'beforeLink' });
    // Refused before anything was created.
    await expect(stat(join(dir, NODE_IDENTITY_FILE))).rejects.toThrow(/ENOENT/);
  });
});
