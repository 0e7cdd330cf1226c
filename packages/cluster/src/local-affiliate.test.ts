import { describe, it, expect } from 'vitest';
import { buildLocalAffiliate, filterEndpointIps, type LocalAffiliateInputs } from './local-affiliate.ts';

const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
const KS_ADDR = 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0';
const CURRENT = [
  '172.20.0.2/24',
  '10.5.0.1/32',
  '192.168.192.168/24',
  '2001:123:4567::1/64',
  '2001:123:4567::1/128',
  'fdae:41e4:649b:9303:60be:7e36:c270:3238/128',
];
const ROUTED = CURRENT.slice(0, 5);

const worker: LocalAffiliateInputs = {
  nodeId: 'node-a',
  hostname: { hostname: 'example1', domainname: '' },
  nodename: 'example1.com',
  machineType: 'worker',
  currentAddresses: CURRENT,
  routedAddresses: ROUTED,
};

describe('buildLocalAffiliate (scenarios 8, 9)', () => {
  it('8. worker without KubeSpan: deduplicated routed IPs, kubespan omitted', () => {
    expect(buildLocalAffiliate(worker)).toEqual({
      nodeId: 'node-a',
      addresses: ['172.20.0.2', '10.5.0.1', '192.168.192.168', '2001:123:4567::1'],
      hostname: 'example1',
      nodename: 'example1.com',
      operatingSystem: 'cosi-ts (v0.1.0)',
      machineType: 'worker',
    });
  });

  const withKubeSpan: LocalAffiliateInputs = {
    ...worker,
    routedAddresses: [...ROUTED, `${KS_ADDR}/128`],
    kubeSpanIdentity: { address: `${KS_ADDR}/128`, publicKey: K1 },
    kubeSpanConfig: {
      enabled: true,
      endpointFilters: ['0.0.0.0/0', '!192.168.0.0/16', '2001::/16'],
      advertiseKubernetesNetworks: true,
      extraEndpoints: ['10.5.0.1:51820', '1.2.3.4:5678'],
      excludeAdvertisedNetworks: ['2001:123:4567::/64'],
    },
    podCIDRs: ['10.244.1.0/24'],
    publicAddresses: ['1.1.1.1/32', '2001:123:4567::1/128'],
  };

  it('8. worker with KubeSpan: address advertised, filtered endpoints, extras appended', () => {
    const a = buildLocalAffiliate(withKubeSpan);
    expect(a.addresses).toEqual(['172.20.0.2', '10.5.0.1', '192.168.192.168', '2001:123:4567::1', KS_ADDR]);
    expect(a.kubespan).toEqual({
      publicKey: K1,
      address: KS_ADDR,
      additionalAddresses: ['10.244.1.0/24'],
      excludeAdvertisedNetworks: ['2001:123:4567::/64'],
      endpoints: ['172.20.0.2:51820', '10.5.0.1:51820', '1.1.1.1:51820', '[2001:123:4567::1]:51820', '1.2.3.4:5678'],
    });
  });

  it('8. advertiseKubernetesNetworks false leaves additional addresses empty', () => {
    const a = buildLocalAffiliate({ ...withKubeSpan, kubeSpanConfig: { ...withKubeSpan.kubeSpanConfig!, advertiseKubernetesNetworks: false } });
    expect(a.kubespan?.additionalAddresses).toEqual([]);
  });

  it('8. without filters every candidate is an endpoint, the KubeSpan address excluded', () => {
    const a = buildLocalAffiliate({
      ...withKubeSpan,
      currentAddresses: [...CURRENT, `${KS_ADDR}/128`],
      kubeSpanConfig: { ...withKubeSpan.kubeSpanConfig!, endpointFilters: null, extraEndpoints: [] },
    });
    expect(a.kubespan?.endpoints).toEqual([
      '172.20.0.2:51820',
      '10.5.0.1:51820',
      '192.168.192.168:51820',
      '[2001:123:4567::1]:51820',
      '[fdae:41e4:649b:9303:60be:7e36:c270:3238]:51820',
      '1.1.1.1:51820',
    ]);
  });

  it('8. KubeSpan needs both identity and config', () => {
    const { kubeSpanConfig: _c, ...noConfig } = withKubeSpan;
    expect(buildLocalAffiliate(noConfig).kubespan).toBeUndefined();
  });

  it('9. controlplane with APIServerConfig 6445 advertises controlPlane.port', () => {
    const a = buildLocalAffiliate({ ...worker, machineType: 'controlplane', apiServerPort: 6445 });
    expect(a.controlPlane).toEqual({ port: 6445 });
    expect(a.kubespan).toBeUndefined();
    expect(buildLocalAffiliate({ ...worker, apiServerPort: 6445 }).controlPlane).toBeUndefined();
    expect(buildLocalAffiliate({ ...worker, machineType: 'init', apiServerPort: 6443 }).controlPlane).toEqual({ port: 6443 });
    expect(buildLocalAffiliate({ ...worker, machineType: 'controlplane' })).not.toHaveProperty('controlPlane');
  });

  it('joins hostname and domainname', () => {
    expect(buildLocalAffiliate({ ...worker, hostname: { hostname: 'n1', domainname: 'example.org' } }).hostname).toBe('n1.example.org');
  });
});

describe('filterEndpointIps', () => {
  it('follows filter order, bare IPs are host prefixes, bad filters are skipped', () => {
    const c = ['10.0.0.1', '192.168.1.1', '2001::1', '10.0.0.2'];
    expect(filterEndpointIps(c, null)).toEqual(c);
    expect(filterEndpointIps(c, [])).toEqual([]);
    expect(filterEndpointIps(c, ['2001::/16', '10.0.0.0/8'])).toEqual(['2001::1', '10.0.0.1', '10.0.0.2']);
    expect(filterEndpointIps(c, ['0.0.0.0/0', '!10.0.0.2'])).toEqual(['10.0.0.1', '192.168.1.1']);
    expect(filterEndpointIps(c, ['bogus', '192.168.1.1'])).toEqual(['192.168.1.1']);
  });
});
