import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod, mkdir, symlink, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBase62 } from './base62.ts';
import { loadOrCreateNodeIdentity, NODE_IDENTITY_FILE } from './node-identity-file.ts';
import { NodeIdentityError, isNodeIdentityError } from './node-identity-error.ts';
import { machineIdFromNodeId } from './node-id.ts';

const VECTOR = 'gvqfS27LxD58lPlASmpaueeRVzuof16iXoieRgEvBWaE';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./test-fixtures/identity-child.ts', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cosi-identity-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startChild(stateDir: string, mode: 'exit' | 'hang' | 'hang-on-link'): { child: ChildProcess; line: (prefix: string) => Promise<string> } {
  const child = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', CHILD, stateDir, mode], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const line = (prefix: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child gave no "${prefix}" line in 20 s; stderr: ${err}`)), 20_000);
      const check = (): void => {
        const found = out.split('\n').find((l) => l.startsWith(prefix));
        if (found !== undefined) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          child.off('exit', onExit);
          resolve(found);
        }
      };
      const onData = (d: Buffer): void => {
        out += d.toString();
        check();
      };
      const onExit = (): void => {
        check();
        clearTimeout(timer);
        reject(new Error(`child exited before "${prefix}"; stderr: ${err}`));
      };
      child.stdout?.on('data', onData);
      child.on('exit', onExit);
      check();
    });
  return { child, line };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

describe('loadOrCreateNodeIdentity', () => {
  it('creates the state dir and a 0600 file `nodeId: <id>\\n`, then keeps the ID across restarts', async () => {
    const stateDir = join(dir, 'state', 'node-1');
    const first = await loadOrCreateNodeIdentity(stateDir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(stateDir, NODE_IDENTITY_FILE));
    expect(first.nodeId.length).toBeGreaterThanOrEqual(43);
    expect(first.nodeId.length).toBeLessThanOrEqual(52);
    expect(isBase62(first.nodeId)).toBe(true);
    expect(await readFile(first.path, 'utf8')).toBe(`nodeId: ${first.nodeId}\n`);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o077).toBe(0);
    // No temp files left behind.
    expect(await readdir(stateDir)).toEqual([NODE_IDENTITY_FILE]);

    const second = await loadOrCreateNodeIdentity(stateDir);
    expect(second).toEqual({ ...first, created: false });
  });

  it('loads the Talos vector file as that NodeID and machine-id', async () => {
    await writeFile(join(dir, NODE_IDENTITY_FILE), `nodeId: ${VECTOR}\n`);
    const { nodeId, created } = await loadOrCreateNodeIdentity(dir);
    expect(created).toBe(false);
    expect(nodeId).toBe(VECTOR);
    expect(machineIdFromNodeId(nodeId)).toBe('8d2c0de2408fa2a178bad7f45d9aa8fb');
  });

  it.each([
    ['an empty file', '', 'empty'],
    ['whitespace only', '  \n', 'empty'],
    ['nodeId: ""', 'nodeId: ""\n', 'missing-node-id'],
    ['no nodeId key', 'other: 1\n', 'missing-node-id'],
    ['bad YAML', 'nodeId: [unclosed\n', 'invalid-yaml'],
    ['a list', '- a\n', 'invalid-yaml'],
    ['characters outside the alphabet', 'nodeId: abc-def_\n', 'invalid-node-id'],
    ['a numeric nodeId', 'nodeId: 12\n', 'invalid-node-id'],
    ['a nested nodeId', 'nodeId: { a: 1 }\n', 'invalid-node-id'],
  ])('rejects %s with an error naming the path and leaves the file unchanged', async (_name, content, reason) => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, content);
    const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeIdentityError);
    expect(isNodeIdentityError(err)).toBe(true);
    expect((err as NodeIdentityError).reason).toBe(reason);
    expect((err as NodeIdentityError).message).toContain(path);
    expect(await readFile(path, 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual([NODE_IDENTITY_FILE]);
  });

  it.each([
    ['1 character', 'A'],
    ['46 characters', 'A'.repeat(46)],
    ['1,000 characters', 'b'.repeat(1000)],
    ['a 44-character string that decodes to 33 bytes', 'b'.repeat(44)],
  ])('refuses a base62 nodeId of %s: a NodeID is Talos base62 of exactly 32 bytes', async (_name, id) => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, `nodeId: ${id}\n`);
    const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
    expect(isNodeIdentityError(err)).toBe(true);
    expect((err as NodeIdentityError).reason).toBe('invalid-node-id');
    expect((err as Error).message).toContain(`${id.length} characters`);
    expect((err as Error).message).toContain('32 bytes');
    expect(await readFile(path, 'utf8')).toBe(`nodeId: ${id}\n`);
  });

  it('reads nodeId as a string: `nodeId: 12345` is refused for its length, not as "not base62"', async () => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, 'nodeId: 12345\n');
    const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
    expect((err as NodeIdentityError).reason).toBe('invalid-node-id');
    expect((err as Error).message).toContain('"12345"');
    expect((err as Error).message).not.toContain('must be a base62 string');
    // Quoted or not, and with leading zeros kept, a string it is.
    await writeFile(path, `nodeId: "${VECTOR}"\n`);
    expect((await loadOrCreateNodeIdentity(dir)).nodeId).toBe(VECTOR);
  });

  it('turns YAML warnings into an invalid-yaml error instead of printing a process warning', async () => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, '%%%%:::\n');
    const warnings: unknown[] = [];
    const onWarning = (w: unknown) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 3; i++) {
        const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
        expect((err as NodeIdentityError).reason).toBe('invalid-yaml');
        expect((err as Error).message).toContain(path);
      }
      // process warnings are emitted on a later tick: give them one
      await new Promise<void>((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reports a dangling symlink at the identity file as such, naming its target', async () => {
    const path = join(dir, NODE_IDENTITY_FILE);
    const target = join(dir, 'gone', 'node-identity.yaml');
    await symlink(target, path);
    const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
    expect(isNodeIdentityError(err)).toBe(true);
    expect((err as NodeIdentityError).reason).toBe('dangling-symlink');
    expect((err as Error).message).toContain(target);
    expect((err as Error).message).not.toContain('disappeared');
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
    expect(await readdir(dir)).toEqual([NODE_IDENTITY_FILE]);
  });

  it('treats an unreadable file as an error, not as absent', async () => {
    // A directory in the file's place gives EISDIR on read, like an I/O error would.
    await mkdir(join(dir, NODE_IDENTITY_FILE));
    const err = await loadOrCreateNodeIdentity(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeIdentityError);
    expect((err as NodeIdentityError).reason).toBe('unreadable');
    expect((err as Error).message).toContain(join(dir, NODE_IDENTITY_FILE));
    expect((await stat(join(dir, NODE_IDENTITY_FILE))).isDirectory()).toBe(true);
  });

  it.skipIf(process.getuid?.() === 0)('treats a permission error as an error, not as absent', async () => {
    const path = join(dir, NODE_IDENTITY_FILE);
    await writeFile(path, `nodeId: ${VECTOR}\n`);
    await chmod(path, 0o000);
    await expect(loadOrCreateNodeIdentity(dir)).rejects.toThrow(path);
  });

  it('lets concurrent starters in one process agree on one ID', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => loadOrCreateNodeIdentity(dir)));
    expect(new Set(results.map((r) => r.nodeId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await readdir(dir)).toEqual([NODE_IDENTITY_FILE]);
  });

  it('lets concurrent processes agree on one ID', async () => {
    const children = Array.from({ length: 4 }, () => startChild(dir, 'exit'));
    const lines = await Promise.all(children.map((c) => c.line('ID ')));
    await Promise.all(children.map((c) => kill(c.child)));
    const ids = lines.map((l) => l.split(' ')[1]);
    expect(new Set(ids).size).toBe(1);
    expect(lines.filter((l) => l.endsWith(' true'))).toHaveLength(1);
    expect(await readFile(join(dir, NODE_IDENTITY_FILE), 'utf8')).toBe(`nodeId: ${ids[0]}\n`);
  });

  it('crash between generation and first use: the next start loads the same ID', async () => {
    const { child, line } = startChild(dir, 'hang');
    const reported = (await line('ID ')).split(' ');
    expect(reported[2]).toBe('true');
    await kill(child);
    const next = await loadOrCreateNodeIdentity(dir);
    expect(next.created).toBe(false);
    expect(next.nodeId).toBe(reported[1]);
  });

  it('crash before the file is linked: no partial identity file, the next start creates a complete one', async () => {
    const { child, line } = startChild(dir, 'hang-on-link');
    await line('TMP');
    await kill(child);
    const left = await readdir(dir);
    expect(left).not.toContain(NODE_IDENTITY_FILE);
    const next = await loadOrCreateNodeIdentity(dir);
    expect(next.created).toBe(true);
    expect(await readFile(next.path, 'utf8')).toBe(`nodeId: ${next.nodeId}\n`);
  });
});
