import { describe, it, expect, afterEach } from 'vitest';
import { isNotFound } from '@cosi-ts/state';
import type { NetworkInterfaceInfo } from 'node:os';
import { replaceSpec } from './controller-helpers.ts';
import { APIServerConfig, API_SERVER_CONFIG_ID } from './api-server-config.ts';
import { APIServerConfigSourceController } from './api-server-config-source-controller.ts';
import { HostnameStatus, HOSTNAME_STATUS_ID } from './hostname-status.ts';
import { HostnameSourceController } from './hostname-source-controller.ts';
import { MachineConfig, MACHINE_CONFIG_ID } from './machine-config.ts';
import { MachineTypeResource, MACHINE_TYPE_ID } from './machine-type-resource.ts';
import { MachineTypeSourceController } from './machine-type-source-controller.ts';
import { NodeAddress, NODE_ADDRESS_CURRENT_NO_K8S, NODE_ADDRESS_ROUTED_NO_K8S } from './node-address.ts';
import { NodeAddressSourceController, osNodeAddresses } from './node-address-source-controller.ts';
import { parseNodeConfig } from './node-config.ts';
import { Nodename, NODENAME_ID } from './nodename.ts';
import { NodenameSourceController } from './nodename-source-controller.ts';
import { startRuntime, type Harness } from './testing/harness.ts';
import { untilState } from './testing/until-state.ts';
import type { Pointer } from '@cosi-ts/resource';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function setConfig(hh: Harness, text: string): Promise<void> {
  const spec = parseNodeConfig(text);
  await hh.state.modify(MachineConfig.create(MACHINE_CONFIG_ID, spec), replaceSpec(spec));
}

const specOf = (hh: Harness, ptr: Pointer) =>
  untilState(hh.state, [ptr], async () => (await hh.state.get(ptr)).spec);

async function expectSpec(hh: Harness, ptr: Pointer, expected: unknown): Promise<void> {
  await untilState(hh.state, [ptr], async () => expect((await hh.state.get(ptr)).spec).toEqual(expected));
}

async function expectAbsent(hh: Harness, ptr: Pointer): Promise<void> {
  await untilState(hh.state, [ptr], async () => expect(await hh.state.get(ptr).catch((e: unknown) => e)).toSatisfy(isNotFound));
}

const IFACES: Record<string, NetworkInterfaceInfo[]> = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth0: [
    { address: '10.5.0.2', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:12:34:56', internal: false, cidr: '10.5.0.2/24' },
    { address: 'fe80::5054:ff:fe12:3456', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:12:34:56', internal: false, cidr: 'fe80::5054:ff:fe12:3456/64', scopeid: 2 },
    { address: '2001:db8::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:12:34:56', internal: false, cidr: '2001:db8::2/64', scopeid: 0 },
  ],
  eth1: [{ address: '169.254.3.4', netmask: '255.255.0.0', family: 'IPv4', mac: '52:54:00:12:34:57', internal: false, cidr: '169.254.3.4/16' }],
};

describe('source controllers', () => {
  it('hostname: machine.hostname, else the OS hostname, split at the first dot; nodename lower-cases the short name', async () => {
    h = startRuntime([new HostnameSourceController({ osHostname: () => 'Talos-Box.example.org' }), new NodenameSourceController()]);
    await expectSpec(h, HostnameStatus.pointer(HOSTNAME_STATUS_ID), { hostname: 'Talos-Box', domainname: 'example.org' });
    await expectSpec(h, Nodename.pointer(NODENAME_ID), { nodename: 'talos-box' });
    await setConfig(h, 'machine:\n  hostname: node-1\n');
    await expectSpec(h, HostnameStatus.pointer(HOSTNAME_STATUS_ID), { hostname: 'node-1', domainname: '' });
    await expectSpec(h, Nodename.pointer(NODENAME_ID), { nodename: 'node-1' });
    await setConfig(h, 'machine:\n  network:\n    hostname: talos-2.lan\n');
    await expectSpec(h, HostnameStatus.pointer(HOSTNAME_STATUS_ID), { hostname: 'talos-2', domainname: 'lan' });
  });

  it('machine type: controlplane and init kept; "", join and unset are worker; no config, no resource', async () => {
    h = startRuntime([new MachineTypeSourceController()]);
    const ptr = MachineTypeResource.pointer(MACHINE_TYPE_ID);
    await setConfig(h, 'machine:\n  type: controlplane\n');
    await expectSpec(h, ptr, { machineType: 'controlplane' });
    await setConfig(h, 'machine:\n  type: init\n');
    await expectSpec(h, ptr, { machineType: 'init' });
    await setConfig(h, 'machine:\n  type: join\n');
    await expectSpec(h, ptr, { machineType: 'worker' });
    await setConfig(h, 'machine:\n  type: ""\n');
    await expectSpec(h, ptr, { machineType: 'worker' });
    await h.state.destroy(MachineConfig.pointer(MACHINE_CONFIG_ID));
    await expectAbsent(h, ptr);
  });

  it('API server config: controlplane/init only, localAPIServerPort or 6443', async () => {
    h = startRuntime([new APIServerConfigSourceController()]);
    const ptr = APIServerConfig.pointer(API_SERVER_CONFIG_ID);
    await setConfig(h, 'machine:\n  type: controlplane\n');
    await expectSpec(h, ptr, { localPort: 6443 });
    await setConfig(h, 'machine:\n  type: init\ncluster:\n  controlPlane:\n    localAPIServerPort: 6445\n');
    await expectSpec(h, ptr, { localPort: 6445 });
    await setConfig(h, 'machine:\n  type: worker\n');
    await expectAbsent(h, ptr);
  });

  it('node addresses: OS interfaces minus loopback and link-local, in OS order; static config addresses win', async () => {
    expect(osNodeAddresses(IFACES)).toEqual(['10.5.0.2/24', '2001:db8::2/64']);
    h = startRuntime([new NodeAddressSourceController({ interfaces: () => IFACES })]);
    await expectSpec(h, NodeAddress.pointer(NODE_ADDRESS_CURRENT_NO_K8S), { addresses: ['10.5.0.2/24', '2001:db8::2/64'] });
    await expectSpec(h, NodeAddress.pointer(NODE_ADDRESS_ROUTED_NO_K8S), { addresses: ['10.5.0.2/24', '2001:db8::2/64'] });
    await setConfig(h, 'machine:\n  network:\n    interfaces:\n      - interface: eth0\n        addresses: [192.168.1.5/24, 10.0.0.5/8]\n');
    await expectSpec(h, NodeAddress.pointer(NODE_ADDRESS_ROUTED_NO_K8S), { addresses: ['192.168.1.5/24', '10.0.0.5/8'] });
    expect(await specOf(h, NodeAddress.pointer(NODE_ADDRESS_CURRENT_NO_K8S))).toEqual({ addresses: ['192.168.1.5/24', '10.0.0.5/8'] });
  });

  it('node addresses: re-reads the OS interfaces periodically', async () => {
    let ifaces: Record<string, NetworkInterfaceInfo[]> = { eth0: [IFACES['eth0']![0]!] };
    h = startRuntime([new NodeAddressSourceController({ interfaces: () => ifaces, pollIntervalMs: 20 })]);
    await expectSpec(h, NodeAddress.pointer(NODE_ADDRESS_CURRENT_NO_K8S), { addresses: ['10.5.0.2/24'] });
    ifaces = { eth0: [IFACES['eth0']![2]!] };
    await expectSpec(h, NodeAddress.pointer(NODE_ADDRESS_CURRENT_NO_K8S), { addresses: ['2001:db8::2/64'] });
  });
});
