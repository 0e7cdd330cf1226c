export { BASE62_ALPHABET, Base62Error, encodeBase62, decodeBase62, isBase62 } from './base62.ts';
export { NODE_ID_BYTES, MachineIdError, newNodeId, machineIdFromNodeId } from './node-id.ts';
export { NodeIdentityError, isNodeIdentityError } from './node-identity-error.ts';
export type { NodeIdentityErrorReason } from './node-identity-error.ts';
export {
  NODE_IDENTITY_FILE,
  loadOrCreateNodeIdentity,
  parseNodeIdentity,
  formatNodeIdentity,
} from './node-identity-file.ts';
export type { NodeIdentityResult, LoadNodeIdentityOptions } from './node-identity-file.ts';
export { NodeIdentityController } from './node-identity-controller.ts';
export type { NodeIdentityControllerOptions } from './node-identity-controller.ts';
