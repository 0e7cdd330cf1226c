import { describe, it, expect } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNodeConfig, parseNodeConfig, resolveStateDir, resolveKubeconfigPath, kubeSpanSectionOf, configuredHostname } from './node-config.ts';
import { NodeConfigError, isNodeConfigError } from './node-config-error.ts';

const DESIGN_EXAMPLE = `
machine:
  type: controlplane            # controlplane | worker
  hostname: node-1              # optional; default: the OS hostname
  stateDir: ./state/node-1      # the STATE partition: node-identity.yaml lives here
  api: { listen: 127.0.0.1:50000 }
cluster:
  id: cluster1
  secret: kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=
  discovery:
    enabled: true
    registries:
      kubernetes: { disabled: true }                   # deprecated, off by default
      service: { endpoint: http://127.0.0.1:3000/ }    # default https://discovery.talos.dev/
`;

function errorOf(f: () => unknown): NodeConfigError {
  try {
    f();
  } catch (e) {
    if (isNodeConfigError(e)) return e;
    throw e;
  }
  throw new Error('expected a NodeConfigError');
}

describe('node.yaml loader', () => {
  it('reads the DESIGN.md example into typed sections', () => {
    const cfg = parseNodeConfig(DESIGN_EXAMPLE);
    expect(cfg).toEqual({
      machine: { type: 'controlplane', hostname: 'node-1', stateDir: './state/node-1', api: { listen: '127.0.0.1:50000' } },
      cluster: {
        id: 'cluster1',
        secret: 'kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc=',
        discovery: { enabled: true, registries: { kubernetes: { disabled: true }, service: { endpoint: 'http://127.0.0.1:3000/' } } },
      },
    });
  });

  it('accepts Talos keys and ignores keys it does not know', () => {
    const cfg = parseNodeConfig(`
version: v1alpha1
debug: false
machine:
  type: worker
  token: abc
  network:
    hostname: talos-1
    interfaces:
      - interface: eth0
        addresses: [10.5.0.2/24]
    kubespan:
      enabled: true
      advertiseKubernetesNetworks: false
      filters: { endpoints: ["0.0.0.0/0", "!10.0.0.0/8"] }
cluster:
  clusterName: foo
  controlPlane: { endpoint: https://1.2.3.4:6443, localAPIServerPort: 6445 }
`);
    expect(cfg.version).toBe('v1alpha1');
    expect(configuredHostname(cfg)).toBe('talos-1');
    expect(cfg.machine?.network?.interfaces).toEqual([{ interface: 'eth0', addresses: ['10.5.0.2/24'] }]);
    expect(kubeSpanSectionOf(cfg)).toEqual({ enabled: true, advertiseKubernetesNetworks: false, filters: { endpoints: ['0.0.0.0/0', '!10.0.0.0/8'] } });
    expect(cfg.cluster).toEqual({ clusterName: 'foo', controlPlane: { endpoint: 'https://1.2.3.4:6443', localAPIServerPort: 6445 } });
    expect(cfg).not.toHaveProperty('debug');
  });

  it('treats an empty file and empty keys as absent', () => {
    expect(parseNodeConfig('')).toEqual({});
    expect(parseNodeConfig('cluster:\n')).toEqual({});
    expect(parseNodeConfig('cluster: {}\n')).toEqual({ cluster: {} });
  });

  it.each([
    ['machine:\n  type: master\n', 'machine.type', /must be one of controlplane, worker, init, join/],
    ['cluster:\n  discovery:\n    enabled: "yes"\n', 'cluster.discovery.enabled', /must be true or false, got string "yes"/],
    ['cluster:\n  id: 5\n', 'cluster.id', /must be a string, got number 5/],
    ['cluster:\n  controlPlane:\n    localAPIServerPort: 70000\n', 'cluster.controlPlane.localAPIServerPort', /port number/],
    ['machine:\n  network:\n    interfaces:\n      - addresses: [1, "x"]\n', 'machine.network.interfaces[0].addresses[0]', /must be a string/],
    ['machine: [1]\n', 'machine', /must be a mapping, got a list/],
    ['machine:\n  network:\n    interfaces:\n      - addresses: [10.0.0.1/24, 10.0.0.300/24]\n', 'machine.network.interfaces[0].addresses[1]', /must be a CIDR or an IP address, got "10.0.0.300\/24"/],
    ['machine:\n  kubespan:\n    filters:\n      endpoints: ["0.0.0.0/0", "!bogus"]\n', 'machine.kubespan.filters.endpoints[1]', /optionally prefixed with !/],
    ['machine:\n  kubespan:\n    extraEndpoints: ["1.2.3.4:5678", "fd00::1:51820"]\n', 'machine.kubespan.extraEndpoints[1]', /must be ip:port/],
    ['machine:\n  network:\n    kubespan:\n      excludeAdvertisedNetworks: [x]\n', 'machine.network.kubespan.excludeAdvertisedNetworks[0]', /must be a CIDR/],
    ['- 1\n', '', /must be a mapping/],
  ])('rejects %j naming the key and the file', (text, key, rule) => {
    const e = errorOf(() => parseNodeConfig(text, '/etc/node.yaml'));
    expect(e.key).toBe(key);
    expect(e.file).toBe('/etc/node.yaml');
    expect(e.message).toMatch(rule);
    expect(e.message.startsWith(key === '' ? '/etc/node.yaml: ' : `/etc/node.yaml: ${key}: `)).toBe(true);
  });

  it('never shows the value of cluster.secret', () => {
    const e = errorOf(() => parseNodeConfig('cluster:\n  secret: 123456789\n', 'node.yaml'));
    expect(e.message).toBe('node.yaml: cluster.secret: must be a string, got a number');
  });

  it('reports bad YAML with the file', () => {
    const e = errorOf(() => parseNodeConfig('machine: [unclosed\n', 'node.yaml'));
    expect(e.message).toMatch(/^node\.yaml: invalid YAML/);
  });

  it('loads files and names unreadable ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cosi-config-'));
    try {
      const path = join(dir, 'node.yaml');
      await writeFile(path, DESIGN_EXAMPLE);
      const cfg = await loadNodeConfig(path);
      expect(cfg.machine?.type).toBe('controlplane');
      expect(resolveStateDir(cfg, path)).toBe(join(dir, 'state', 'node-1'));
      await expect(loadNodeConfig(join(dir, 'missing.yaml'))).rejects.toThrow(`${join(dir, 'missing.yaml')}: cannot be read (ENOENT)`);
      await writeFile(path, 'cluster:\n  secret: [1]\n');
      await expect(loadNodeConfig(path)).rejects.toThrow(`${path}: cluster.secret: must be a string`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('resolves absolute state dirs as given', () => {
    expect(resolveStateDir({ machine: { stateDir: '/var/lib/cosi' } }, '/etc/node.yaml')).toBe('/var/lib/cosi');
    expect(resolveStateDir({}, '/etc/node.yaml')).toBeUndefined();
  });

  it('reads machine.kubernetes.kubeconfig, resolved like the state dir; absent or empty means the library default', () => {
    const cfg = parseNodeConfig('machine:\n  kubernetes:\n    kubeconfig: ./kube/config\n', '/etc/cosi/node.yaml');
    expect(cfg.machine?.kubernetes).toEqual({ kubeconfig: './kube/config' });
    expect(resolveKubeconfigPath(cfg, '/etc/cosi/node.yaml')).toBe('/etc/cosi/kube/config');
    expect(resolveKubeconfigPath({ machine: { kubernetes: { kubeconfig: '/root/.kube/config' } } })).toBe('/root/.kube/config');
    expect(resolveKubeconfigPath({ machine: { kubernetes: { kubeconfig: '' } } })).toBeUndefined();
    expect(resolveKubeconfigPath(parseNodeConfig('machine:\n  kubernetes:\n'))).toBeUndefined();
    expect(errorOf(() => parseNodeConfig('machine:\n  kubernetes:\n    kubeconfig: 7\n', 'node.yaml')).message).toBe(
      'node.yaml: machine.kubernetes.kubeconfig: must be a string, got number 7',
    );
  });
});
