import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteState } from '@cosi-ts/api';
import { Identity, LOCAL_IDENTITY_ID, isNodeConfigError } from '@cosi-ts/cluster';
import { ResourceDefinitionType } from '@cosi-ts/resource';
import { NodeAgent, loadAgentConfig } from './node-agent.ts';
import { isNodeAgentConfigError } from './node-errors.ts';

let dir: string;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function configFile(text: string): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'cosi-node-test-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'node.yaml');
  await writeFile(path, text);
  return path;
}

describe('NodeAgent', () => {
  it('serves its identity and the resource definitions on machine.api.listen', async () => {
    const path = await configFile('machine:\n  hostname: node-1\n  stateDir: ./state\n  api: { listen: 127.0.0.1:0 }\n');
    const agent = await NodeAgent.start({ configPath: path });
    cleanup.push(() => agent.stop());
    const remote = new RemoteState(agent.apiAddress);
    cleanup.push(() => remote.close());
    const defs = await remote.list(ResourceDefinitionType.kind());
    expect(defs.map((d) => d.metadata.id)).toContain('members.cluster.talos.dev');
    const ev = await remote.watchFor<{ nodeId: string }>(Identity.pointer(LOCAL_IDENTITY_ID), { eventTypes: ['created', 'updated'], signal: AbortSignal.timeout(20_000) });
    if (ev.type === 'errored') throw ev.error;
    const nodeId = ev.resource.spec?.nodeId ?? '';
    expect(nodeId).toMatch(/^[0-9A-Za-z]{43,44}$/);
    const file = await readFile(join(dir, 'state', 'node-identity.yaml'), 'utf8');
    expect(file).toContain(nodeId);
  });

  it('refuses a node.yaml without machine.stateDir, naming the file and key', async () => {
    const path = await configFile('machine:\n  hostname: node-1\n');
    const e: unknown = await loadAgentConfig(path).catch((x: unknown) => x);
    expect(isNodeAgentConfigError(e)).toBe(true);
    expect((e as Error).message).toBe(`${path}: machine.stateDir: is required: set it to the directory that keeps this node's identity (e.g. ./state/node-1)`);
  });

  it('refuses a node.yaml with a wrong value, naming the file and key', async () => {
    const path = await configFile('machine:\n  type: bogus\n  stateDir: ./s\n');
    const e: unknown = await loadAgentConfig(path).catch((x: unknown) => x);
    expect(isNodeConfigError(e)).toBe(true);
    expect((e as Error).message).toContain(`${path}: machine.type: must be one of controlplane, worker`);
  });
});
