import { defineResourceType } from '@cosi-ts/resource';
import { K8S_NAMESPACE } from './namespaces.ts';

export interface NodenameSpec {
  readonly nodename: string;
}

export const NODENAME_ID = 'nodename';

/** `k8s/Nodenames/nodename`: the node's Kubernetes name. */
export const Nodename = defineResourceType<NodenameSpec>({
  type: 'Nodenames.kubernetes.talos.dev',
  defaultNamespace: K8S_NAMESPACE,
  printColumns: [{ name: 'NODENAME', jsonPath: '{.nodename}' }],
});
