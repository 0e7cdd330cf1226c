import { defineResourceType } from '@cosi-ts/resource';
import type { ControlPlaneSpec, MachineType } from './affiliate-spec.ts';
import { CLUSTER_NAMESPACE } from './namespaces.ts';

export interface MemberSpec {
  readonly nodeId: string;
  readonly addresses: readonly string[];
  readonly hostname: string;
  readonly machineType: MachineType;
  readonly operatingSystem: string;
  readonly controlPlane?: ControlPlaneSpec;
}

/** `cluster/Members/<nodename>`: a node of the cluster as this node sees it. */
export const Member = defineResourceType<MemberSpec>({
  type: 'Members.cluster.talos.dev',
  defaultNamespace: CLUSTER_NAMESPACE,
  printColumns: [
    { name: 'HOSTNAME', jsonPath: '{.hostname}' },
    { name: 'MACHINE TYPE', jsonPath: '{.machineType}' },
    { name: 'OS', jsonPath: '{.operatingSystem}' },
    { name: 'ADDRESSES', jsonPath: '{.addresses}' },
  ],
});
