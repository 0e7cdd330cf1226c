import { describe, it, expect } from 'vitest';
import type { AffiliateSpec } from '@cosi-ts/cluster';
import { affiliateOfNode, annotationPatch, annotationsOf, ANNOTATIONS } from './annotations.ts';

const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';

const CP1: AffiliateSpec = {
  nodeId: 'cp1',
  addresses: ['10.5.0.2', 'fd00::2'],
  hostname: 'cp-1',
  nodename: 'cp-1',
  operatingSystem: 'cosi-ts (v0.1.0)',
  machineType: 'controlplane',
  controlPlane: { port: 6443 },
};

describe('annotations from an affiliate (push)', () => {
  it('zero: no addresses, no kubespan, no control plane → only the node-id is set', () => {
    const a = annotationsOf('w0', { nodeId: 'w0', addresses: [], hostname: 'w0', operatingSystem: 'x', machineType: 'worker' });
    expect(a).toEqual({
      'cluster.talos.dev/node-id': 'w0',
      'networking.talos.dev/self-ips': '',
      'networking.talos.dev/api-server-port': '',
      'networking.talos.dev/kubespan-ip': '',
      'networking.talos.dev/kubespan-public-key': '',
      'networking.talos.dev/assigned-prefixes': '',
      'networking.talos.dev/kubespan-endpoints': '',
      'networking.talos.dev/kubespan-exclude-advertised-networks': '',
    });
    expect(annotationPatch(undefined, a)).toEqual({ 'cluster.talos.dev/node-id': 'w0' });
  });

  it('mixed: a worker with KubeSpan joins lists with commas and brackets IPv6 endpoints', () => {
    const a = annotationsOf('w1', {
      nodeId: 'w1',
      addresses: ['192.168.3.5', '2001:123:4567::1'],
      hostname: 'w1',
      operatingSystem: 'x',
      machineType: 'worker',
      kubespan: {
        publicKey: K1,
        address: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0',
        additionalAddresses: ['10.244.1.0/24', 'fd00:10:244::/64'],
        endpoints: ['192.168.3.5:51820', '[2001:123:4567::1]:51820'],
        excludeAdvertisedNetworks: ['2001:123:4567::/64'],
      },
    });
    expect(a).toMatchObject({
      [ANNOTATIONS.selfIps]: '192.168.3.5,2001:123:4567::1',
      [ANNOTATIONS.apiServerPort]: '',
      [ANNOTATIONS.kubeSpanIp]: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0',
      [ANNOTATIONS.kubeSpanPublicKey]: K1,
      [ANNOTATIONS.assignedPrefixes]: '10.244.1.0/24,fd00:10:244::/64',
      [ANNOTATIONS.kubeSpanEndpoints]: '192.168.3.5:51820,[2001:123:4567::1]:51820',
      [ANNOTATIONS.kubeSpanExcludeAdvertisedNetworks]: '2001:123:4567::/64',
    });
  });

  it('scenario 13: control plane cp1 sets node-id, self-ips, api-server-port and nulls other present keys', () => {
    const current = { unrelated: 'kept', [ANNOTATIONS.kubeSpanPublicKey]: K1, [ANNOTATIONS.assignedPrefixes]: '10.244.3.1/24', [ANNOTATIONS.selfIps]: '10.5.0.2' };
    expect(annotationPatch(current, annotationsOf('cp1', CP1))).toEqual({
      [ANNOTATIONS.nodeId]: 'cp1',
      [ANNOTATIONS.selfIps]: '10.5.0.2,fd00::2',
      [ANNOTATIONS.apiServerPort]: '6443',
      [ANNOTATIONS.kubeSpanPublicKey]: null,
      [ANNOTATIONS.assignedPrefixes]: null,
    });
  });

  it('an up-to-date Node needs no patch', () => {
    const desired = annotationsOf('cp1', CP1);
    const onNode = Object.fromEntries(Object.entries(desired).filter(([, v]) => v !== ''));
    expect(annotationPatch({ ...onNode, other: 'x' }, desired)).toBeUndefined();
  });
});

describe('affiliate from a Node (pull)', () => {
  it('no annotations (or an empty node-id) → not an affiliate', () => {
    expect(affiliateOfNode({ metadata: { name: 'plain' } })).toBeUndefined();
    expect(affiliateOfNode({ metadata: { name: 'plain', annotations: { [ANNOTATIONS.nodeId]: '' } } })).toBeUndefined();
  });

  it('scenario 13: the pushed control plane Node comes back as k8s/cp1', () => {
    const pushed = annotationPatch(undefined, annotationsOf('cp1', CP1)) as Record<string, string>;
    const spec = affiliateOfNode({
      metadata: { name: 'cp-1', labels: { 'node-role.kubernetes.io/control-plane': '' }, annotations: pushed },
      status: { addresses: [{ type: 'InternalIP', address: '10.5.0.2' }, { type: 'Hostname', address: 'cp-1' }], nodeInfo: { osImage: 'Talos (v1.8.0)' } },
    });
    expect(spec).toEqual({
      nodeId: 'cp1',
      addresses: ['10.5.0.2', 'fd00::2'],
      hostname: 'cp-1',
      nodename: 'cp-1',
      operatingSystem: 'Talos (v1.8.0)',
      machineType: 'controlplane',
      controlPlane: { port: 6443 },
    });
  });

  it('discovered worker: KubeSpan from annotations, unparsable items dropped, legacy master label, no port → no controlPlane', () => {
    const worker = affiliateOfNode({
      metadata: {
        name: 'w1',
        annotations: {
          [ANNOTATIONS.nodeId]: 'w1',
          [ANNOTATIONS.selfIps]: '192.168.3.5,not-an-ip,2001:0123:4567::0001',
          [ANNOTATIONS.apiServerPort]: 'x6443',
          [ANNOTATIONS.kubeSpanIp]: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e1',
          [ANNOTATIONS.kubeSpanPublicKey]: K1,
          [ANNOTATIONS.assignedPrefixes]: '10.244.4.1/24,10.244.5.0,bad/99',
          [ANNOTATIONS.kubeSpanEndpoints]: '192.168.3.5:51820,[2001:123:4567::1]:51820,2001::1:5,1.2.3.4:0',
          [ANNOTATIONS.kubeSpanExcludeAdvertisedNetworks]: '2001:123:4567::/64',
        },
      },
    });
    expect(worker).toEqual({
      nodeId: 'w1',
      addresses: ['192.168.3.5', '2001:123:4567::1'],
      hostname: '',
      nodename: 'w1',
      operatingSystem: '',
      machineType: 'worker',
      kubespan: {
        publicKey: K1,
        address: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e1',
        additionalAddresses: ['10.244.4.1/24'],
        endpoints: ['192.168.3.5:51820', '[2001:123:4567::1]:51820'],
        excludeAdvertisedNetworks: ['2001:123:4567::/64'],
      },
    });
    expect(affiliateOfNode({ metadata: { name: 'm', labels: { 'node-role.kubernetes.io/master': 'true' }, annotations: { [ANNOTATIONS.nodeId]: 'm' } } })?.machineType).toBe('controlplane');
  });
});
