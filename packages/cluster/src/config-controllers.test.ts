import { describe, it, expect, afterEach } from 'vitest';
import { isNotFound } from '@cosi-ts/state';
import { ConfigController } from './config-controller.ts';
import { replaceSpec } from './controller-helpers.ts';
import { DiscoveryConfig, DISCOVERY_CONFIG_ID, type DiscoveryConfigSpec } from './discovery-config.ts';
import { Info, CURRENT_INFO_ID, type InfoSpec } from './info.ts';
import { InfoController } from './info-controller.ts';
import { MachineConfig, MACHINE_CONFIG_ID, MACHINE_CONFIG_PATH_ANNOTATION } from './machine-config.ts';
import { parseNodeConfig } from './node-config.ts';
import { startRuntime, type Harness } from './testing/harness.ts';
import { untilState } from './testing/until-state.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const VALID = `cluster:\n  id: cluster1\n  clusterName: foo\n  secret: ${SECRET}\n  discovery:\n    enabled: true\n`;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const config = (text: string) =>
  MachineConfig.create(MACHINE_CONFIG_ID, parseNodeConfig(text), { annotations: { [MACHINE_CONFIG_PATH_ANNOTATION]: '/etc/node.yaml' } });

async function setConfig(hh: Harness, text: string): Promise<void> {
  await hh.state.modify(config(text), replaceSpec(parseNodeConfig(text)));
}

describe('ConfigController', () => {
  it('derives DiscoveryConfig from node.yaml, keeps it on an invalid reload, destroys it without a cluster section', async () => {
    h = startRuntime([new ConfigController()]);
    const { state } = h;
    await setConfig(h, VALID);
    const dc = await untilState(state, [DiscoveryConfig.kind()], async () => (await state.get<DiscoveryConfigSpec>(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID))).spec);
    expect(dc).toMatchObject({ discoveryEnabled: true, serviceEndpoint: 'discovery.talos.dev:443', serviceClusterID: 'cluster1', serviceEncryptionKey: SECRET });
    const before = await state.get(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID));

    await setConfig(h, VALID.replace(SECRET, 'c2hvcnQ='));
    const log = await h.logged('cluster.secret: must be base64 of 32 bytes (got 5)');
    expect(JSON.stringify(log)).toContain('/etc/node.yaml');
    expect((await state.get(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID))).metadata.version).toBe(before.metadata.version);

    await setConfig(h, VALID.replace('enabled: true', 'enabled: false'));
    await untilState(state, [DiscoveryConfig.kind()], async () =>
      expect((await state.get<DiscoveryConfigSpec>(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID))).spec).toEqual({
        discoveryEnabled: false,
        registryKubernetesEnabled: false,
        registryServiceEnabled: false,
        serviceEndpoint: '',
        serviceEndpointInsecure: false,
        serviceEncryptionKey: '',
        serviceClusterID: '',
      }),
    );

    await setConfig(h, 'machine:\n  type: worker\n');
    await untilState(state, [DiscoveryConfig.kind()], async () =>
      expect(await state.get(DiscoveryConfig.pointer(DISCOVERY_CONFIG_ID)).catch((e: unknown) => e)).toSatisfy(isNotFound),
    );
  });
});

describe('ConfigController (scenario 5)', () => {
  it.each([
    [VALID.replace(SECRET, 'c2hvcnQ='), 'cluster.secret: must be base64 of 32 bytes (got 5)'],
    [`${VALID}    registries:\n      service:\n        endpoint: https://example.com/v1\n`, 'cluster.discovery.registries.service.endpoint'],
    [`${VALID}    registries:\n      service:\n        endpoint: ftp://example.com\n`, 'cluster.discovery.registries.service.endpoint'],
  ])('an invalid file from the start: controller error naming the key and file, no output (%#)', async (text, key) => {
    h = startRuntime([new ConfigController()]);
    await setConfig(h, text);
    const log = await h.logged(key);
    expect(JSON.stringify(log)).toContain('/etc/node.yaml');
    expect(await h.state.list(DiscoveryConfig.kind())).toEqual([]);
  });
});

describe('InfoController (scenario 6)', () => {
  it('publishes cluster ID and name, and removes them with the cluster section', async () => {
    h = startRuntime([new InfoController()]);
    const { state } = h;
    await setConfig(h, VALID);
    await untilState(state, [Info.kind()], async () =>
      expect((await state.get<InfoSpec>(Info.pointer(CURRENT_INFO_ID))).spec).toEqual({ clusterId: 'cluster1', clusterName: 'foo' }),
    );
    await setConfig(h, 'machine:\n  type: worker\n');
    await untilState(state, [Info.kind()], async () =>
      expect(await state.get(Info.pointer(CURRENT_INFO_ID)).catch((e: unknown) => e)).toSatisfy(isNotFound),
    );
  });
});
