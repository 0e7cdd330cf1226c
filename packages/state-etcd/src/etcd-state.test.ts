import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineResourceType } from '@cosi-ts/resource';
import type { StateEvent } from '@cosi-ts/state';
import { EventRecorder } from '@cosi-ts/state/conformance';
import { EtcdState } from './etcd-state.ts';
import { isEtcdStateError } from './errors.ts';
import { EtcdCluster, etcdForTests } from './testing/index.ts';

const binary = etcdForTests();
const Counter = defineResourceType<{ value: number }>({ type: 'Counters.shared.cosi.dev', defaultNamespace: 'shared' });
const writerScript = fileURLToPath(new URL('./testing/etcd-writer-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(binary === undefined)('EtcdState: several processes on one etcd', () => {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ binary: binary! });
  });
  afterAll(() => cluster?.stop());

  it('a second process sees and races on the same state: increments add up, watchers see every version once', async () => {
    const prefix = `/shared-${randomUUID()}/`;
    const endpoints = cluster!.endpoints;
    const state = new EtcdState({ endpoints, prefix });
    const n = 40;
    const child = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', writerScript, endpoints.join(','), prefix, String(n), String(2 * n)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const watch = new EventRecorder(state.watch(Counter.pointer('counter')));
      expect((await watch.next({ timeoutMs: 10_000 })).type).toBe('destroyed'); // absent so far
      await state.create(Counter.create('counter', { value: 0 }));
      // our increments race with the child's
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < n / 4; i++) await state.updateWithConflicts<{ value: number }>(Counter.pointer('counter'), (d) => void (d.spec.value += 1));
        }),
      );
      expect(await exited, err).toBe(0);
      const final = await state.get<{ value: number }>(Counter.pointer('counter'));
      expect(final.spec.value).toBe(2 * n);
      expect(final.metadata.version).toBe(2 * n + 1);
      expect(out).toContain(`seen ${2 * n + 1}`);
      const events: StateEvent[] = await watch.take(2 * n + 1, { timeoutMs: 10_000 });
      expect(events.map((e) => (e.type === 'errored' ? -1 : e.resource.metadata.version))).toEqual(Array.from({ length: 2 * n + 1 }, (_, i) => i + 1));
      watch.unsubscribe();
    } finally {
      child.kill('SIGKILL');
      await state.close();
    }
  }, 120_000);

  it('close() completes watches and later calls fail with EtcdStateClosed', async () => {
    const state = new EtcdState({ endpoints: cluster!.endpoints, prefix: `/close-${randomUUID()}/` });
    const watch = new EventRecorder(state.watchKind(Counter.kind(), { bootstrapContents: true }));
    expect((await watch.next({ timeoutMs: 10_000 })).type).toBe('bootstrapped');
    await state.close();
    await watch.expectComplete();
    await expect(state.get(Counter.pointer('x'))).rejects.toSatisfy((e: unknown) => isEtcdStateError(e, 'EtcdStateClosed'));
  });
});
