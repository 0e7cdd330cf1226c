export { EtcdCluster } from './etcd-cluster.ts';
export type { EtcdClusterOptions, EtcdMember } from './etcd-cluster.ts';
export { findEtcdBinary, etcdForTests, ETCD_INSTALL_HINT } from './etcd-binary.ts';
export { freePort } from './free-port.ts';
export { compactEtcd } from './compact-etcd.ts';
export { retryTransient } from './retry.ts';
