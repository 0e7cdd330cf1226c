import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { stateConformance } from '@cosi-ts/state/conformance';
import type { State } from '@cosi-ts/state';
import { EtcdState } from './etcd-state.ts';
import { EtcdCluster, compactEtcd, etcdForTests } from './testing/index.ts';

const binary = etcdForTests();

const etcd = (s: State): EtcdState => {
  if (!(s instanceof EtcdState)) throw new TypeError('not an EtcdState');
  return s;
};

describe.skipIf(binary === undefined)('EtcdState on a throwaway etcd', () => {
  let cluster: EtcdCluster | undefined;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ binary: binary! });
  });
  afterAll(() => cluster?.stop());
  const endpoints = () => cluster!.endpoints;

  stateConformance('EtcdState', {
    // Each open is its own store: another prefix on the same etcd.
    open: () => new EtcdState({ endpoints: endpoints(), prefix: `/conformance-${randomUUID()}/` }),
    reopen: async (previous) => {
      await etcd(previous).close();
      return new EtcdState({ endpoints: endpoints(), prefix: etcd(previous).prefix });
    },
    close: (s) => etcd(s).close(),
    compact: async () => void (await compactEtcd(endpoints())),
    capabilities: { tail: false, persistent: true },
  });
});
