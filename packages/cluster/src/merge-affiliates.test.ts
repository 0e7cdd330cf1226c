import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { AffiliateSpec } from './affiliate-spec.ts';
import { mergeAffiliates } from './merge-affiliates.ts';

const K1 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';

const k8sCp1: AffiliateSpec = {
  nodeId: 'cp1',
  hostname: 'foo.com',
  nodename: 'bar',
  machineType: 'controlplane',
  operatingSystem: 'Talos (v1.8.0)',
  addresses: ['192.168.3.4'],
  kubespan: {
    publicKey: K1,
    address: 'fd50:8d60:4238:6302:f857:23ff:fe21:d1e0',
    additionalAddresses: ['10.244.3.1/24'],
    endpoints: ['10.0.0.2:51820', '192.168.3.4:51820'],
    excludeAdvertisedNetworks: [],
  },
  controlPlane: { port: 6443 },
};
const serviceCp1: AffiliateSpec = {
  nodeId: 'cp1',
  hostname: 'foo.com',
  nodename: 'bar',
  machineType: 'controlplane',
  operatingSystem: 'cosi-ts (v0.1.0)',
  addresses: ['192.168.3.4', '10.5.0.2'],
};

describe('mergeAffiliates', () => {
  it('merges scenario 11 (k8s then service): addresses appended, kubespan and controlPlane kept', () => {
    const merged = mergeAffiliates(k8sCp1, serviceCp1);
    expect(merged).toEqual({ ...k8sCp1, addresses: ['192.168.3.4', '10.5.0.2'] });
  });

  it('leaves both arguments untouched', () => {
    const base = structuredClone(k8sCp1);
    const other = structuredClone(serviceCp1);
    mergeAffiliates(base, other);
    expect(base).toEqual(k8sCp1);
    expect(other).toEqual(serviceCp1);
  });

  it('takes other\'s scalars when set, base\'s otherwise; nodeId and operatingSystem stay base\'s', () => {
    const base: AffiliateSpec = { nodeId: 'a', hostname: 'h1', nodename: 'n1', machineType: 'worker', operatingSystem: 'os1', addresses: ['1.1.1.1'] };
    expect(mergeAffiliates(base, { nodeId: 'b', hostname: '', machineType: 'unknown', operatingSystem: 'os2', addresses: [] })).toEqual(base);
    expect(
      mergeAffiliates(base, { nodeId: 'b', hostname: 'h2', nodename: 'n2', machineType: 'controlplane', operatingSystem: 'os2', addresses: ['2.2.2.2', '1.1.1.1'], controlPlane: { port: 1 } }),
    ).toEqual({ nodeId: 'a', hostname: 'h2', nodename: 'n2', machineType: 'controlplane', operatingSystem: 'os1', addresses: ['1.1.1.1', '2.2.2.2'], controlPlane: { port: 1 } });
  });

  it('merges kubespan field by field, never sorting lists', () => {
    const merged = mergeAffiliates(
      { ...serviceCp1, kubespan: { publicKey: 'P1', address: 'fd00::1', additionalAddresses: ['10.0.2.0/24'], endpoints: ['9.9.9.9:1'], excludeAdvertisedNetworks: ['10.9.0.0/16'] } },
      { ...serviceCp1, kubespan: { publicKey: '', address: '', additionalAddresses: ['10.0.1.0/24', '10.0.2.0/24'], endpoints: ['1.1.1.1:1'], excludeAdvertisedNetworks: ['10.1.0.0/16'] } },
    );
    expect(merged.kubespan).toEqual({
      publicKey: 'P1',
      address: 'fd00::1',
      additionalAddresses: ['10.0.2.0/24', '10.0.1.0/24'],
      endpoints: ['9.9.9.9:1', '1.1.1.1:1'],
      excludeAdvertisedNetworks: ['10.9.0.0/16', '10.1.0.0/16'],
    });
  });

  const ips = fc.array(fc.ipV4(), { maxLength: 5 });
  const affiliate: fc.Arbitrary<AffiliateSpec> = fc.record({
    nodeId: fc.constantFrom('n1', 'n2'),
    addresses: ips,
    hostname: fc.constantFrom('', 'a.com', 'b.com'),
    operatingSystem: fc.constantFrom('os1', 'os2'),
    machineType: fc.constantFrom('unknown', 'init', 'controlplane', 'worker'),
  });

  it('keeps base\'s addresses as a prefix and adds exactly the missing ones of other (property)', () => {
    fc.assert(
      fc.property(affiliate, affiliate, (a, b) => {
        const m = mergeAffiliates(a, b);
        expect(m.addresses.slice(0, a.addresses.length)).toEqual(a.addresses);
        expect(new Set(m.addresses)).toEqual(new Set([...a.addresses, ...b.addresses]));
        expect(m.nodeId).toBe(a.nodeId);
        expect(m.operatingSystem).toBe(a.operatingSystem);
      }),
    );
  });

  it('is idempotent: merging the same view twice changes nothing (property)', () => {
    fc.assert(
      fc.property(affiliate, affiliate, (a, b) => {
        const once = mergeAffiliates(a, b);
        expect(mergeAffiliates(once, b)).toEqual(once);
      }),
    );
  });
});
