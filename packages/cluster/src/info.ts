import { defineResourceType } from '@cosi-ts/resource';
import { CLUSTER_NAMESPACE } from './namespaces.ts';

export interface InfoSpec {
  readonly clusterId: string;
  readonly clusterName: string;
}

export const CURRENT_INFO_ID = 'current';

/** `cluster/Infos/current`: the cluster this node belongs to. */
export const Info = defineResourceType<InfoSpec>({
  type: 'Infos.cluster.talos.dev',
  defaultNamespace: CLUSTER_NAMESPACE,
  printColumns: [
    { name: 'CLUSTER ID', jsonPath: '{.clusterId}' },
    { name: 'CLUSTER NAME', jsonPath: '{.clusterName}' },
  ],
});
