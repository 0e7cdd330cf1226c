import { describe, it, expect } from 'vitest';
import { deriveDiscoveryConfig } from './derive-discovery-config.ts';
import { parseNodeConfig } from './node-config.ts';
import { isNodeConfigError } from './node-config-error.ts';

const SECRET = 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=';
const KEY_HEX = '90242c2abe01dbc55497bab0d6c5644c3345f5f147fbe56222e2acb2cf82ea47';

const cfg = (registries = '', extra = '') =>
  parseNodeConfig(`
cluster:
  id: cluster1
  secret: ${SECRET}
${extra}
  discovery:
    enabled: true
${registries}
`);

const service = (endpoint: string) => `    registries:\n      service:\n        endpoint: ${endpoint}\n`;

describe('deriveDiscoveryConfig (spec §3.1, scenarios 1-5)', () => {
  it('1. defaults: enabled, Kubernetes off, service on at discovery.talos.dev:443, secure', () => {
    const dc = deriveDiscoveryConfig(cfg());
    expect(dc).toEqual({
      discoveryEnabled: true,
      registryKubernetesEnabled: false,
      registryServiceEnabled: true,
      serviceEndpoint: 'discovery.talos.dev:443',
      serviceEndpointInsecure: false,
      serviceEncryptionKey: SECRET,
      serviceClusterID: 'cluster1',
    });
    expect(Buffer.from(dc!.serviceEncryptionKey, 'base64').toString('hex')).toBe(KEY_HEX);
  });

  it('1. kubernetes.disabled: false turns the Kubernetes registry on', () => {
    const dc = deriveDiscoveryConfig(cfg('    registries:\n      kubernetes:\n        disabled: false\n'));
    expect(dc?.registryKubernetesEnabled).toBe(true);
    expect(dc?.registryServiceEnabled).toBe(true);
  });

  it('the Kubernetes registry alone needs neither cluster.id nor cluster.secret', () => {
    const dc = deriveDiscoveryConfig(
      parseNodeConfig('cluster:\n  discovery:\n    enabled: true\n    registries:\n      kubernetes: { disabled: false }\n      service: { disabled: true }\n'),
    );
    expect(dc).toEqual({
      discoveryEnabled: true,
      registryKubernetesEnabled: true,
      registryServiceEnabled: false,
      serviceEndpoint: '',
      serviceEndpointInsecure: false,
      serviceEncryptionKey: '',
      serviceClusterID: '',
    });
  });

  it('1. no cluster section gives no output', () => {
    expect(deriveDiscoveryConfig(parseNodeConfig('machine:\n  type: worker\n'))).toBeNull();
  });

  it('2. IPv6 endpoint keeps its brackets and port', () => {
    const dc = deriveDiscoveryConfig(cfg(service('https://[2001:470:6d:30e:565d:e162:e2a0:cf5a]:3456/')));
    expect(dc?.serviceEndpoint).toBe('[2001:470:6d:30e:565d:e162:e2a0:cf5a]:3456');
    expect(dc?.serviceEndpointInsecure).toBe(false);
  });

  it('3. http endpoints are insecure, port 80 by default', () => {
    expect(deriveDiscoveryConfig(cfg(service('http://localhost:3000')))).toMatchObject({
      serviceEndpoint: 'localhost:3000',
      serviceEndpointInsecure: true,
    });
    expect(deriveDiscoveryConfig(cfg(service('http://example.com/')))).toMatchObject({
      serviceEndpoint: 'example.com:80',
      serviceEndpointInsecure: true,
    });
  });

  it('4. disabled discovery (or an empty cluster section) clears everything', () => {
    const off = {
      discoveryEnabled: false,
      registryKubernetesEnabled: false,
      registryServiceEnabled: false,
      serviceEndpoint: '',
      serviceEndpointInsecure: false,
      serviceEncryptionKey: '',
      serviceClusterID: '',
    };
    expect(deriveDiscoveryConfig(parseNodeConfig(`cluster:\n  id: c\n  secret: ${SECRET}\n  discovery:\n    enabled: false\n`))).toEqual(off);
    expect(deriveDiscoveryConfig(parseNodeConfig('cluster: {}\n'))).toEqual(off);
  });

  it('4. a disabled service registry empties the four service fields', () => {
    const dc = deriveDiscoveryConfig(cfg('    registries:\n      service:\n        disabled: true\n'));
    expect(dc).toEqual({
      discoveryEnabled: true,
      registryKubernetesEnabled: false,
      registryServiceEnabled: false,
      serviceEndpoint: '',
      serviceEndpointInsecure: false,
      serviceEncryptionKey: '',
      serviceClusterID: '',
    });
  });

  it.each([
    [`cluster:\n  id: cluster1\n  secret: c2hvcnQ=\n  discovery:\n    enabled: true\n`, 'cluster.secret', 'cluster.secret: must be base64 of 32 bytes (got 5)'],
    [`cluster:\n  id: cluster1\n  secret: '%%%'\n  discovery:\n    enabled: true\n`, 'cluster.secret', 'not valid base64'],
    [`cluster:\n  id: cluster1\n  discovery:\n    enabled: true\n`, 'cluster.secret', 'required'],
    [`cluster:\n  secret: ${SECRET}\n  discovery:\n    enabled: true\n`, 'cluster.id', 'cluster.id: required when the service registry is enabled'],
    [`cluster:\n  id: ${'x'.repeat(257)}\n  secret: ${SECRET}\n  discovery:\n    enabled: true\n`, 'cluster.id', 'must be 1-256 bytes (got 257)'],
  ])('5. rejects invalid cluster values (%#)', (text, key, message) => {
    let err: unknown;
    try {
      deriveDiscoveryConfig(parseNodeConfig(text), 'node.yaml');
    } catch (e) {
      err = e;
    }
    expect(isNodeConfigError(err)).toBe(true);
    expect((err as { key: string }).key).toBe(key);
    expect((err as Error).message).toContain(message);
    expect((err as Error).message.startsWith('node.yaml: ')).toBe(true);
  });

  it.each(['https://example.com/v1', 'ftp://example.com', 'https://user:pw@example.com/', 'https://example.com/?a=1', 'https://example.com/#x', 'https://example.com?', 'not a url'])(
    '5. rejects the endpoint %s naming the key',
    (endpoint) => {
      let err: unknown;
      try {
        deriveDiscoveryConfig(cfg(service(JSON.stringify(endpoint))));
      } catch (e) {
        err = e;
      }
      expect(isNodeConfigError(err)).toBe(true);
      expect((err as { key: string }).key).toBe('cluster.discovery.registries.service.endpoint');
    },
  );
});
