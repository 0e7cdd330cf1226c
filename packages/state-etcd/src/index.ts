export { EtcdState } from './etcd-state.ts';
export type { EtcdStateOptions } from './etcd-state.ts';
export { EtcdStateError, isEtcdStateError } from './errors.ts';
export type { EtcdStateErrorCode } from './errors.ts';
