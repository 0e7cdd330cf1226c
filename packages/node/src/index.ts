// Public API of @cosi-ts/node: the node agent behind `cosi-node`, and its controller composition.
export { NodeAgent, loadAgentConfig, DEFAULT_API_LISTEN } from './node-agent.ts';
export type { NodeAgentOptions, LoadedNodeConfig } from './node-agent.ts';
export { nodeControllers } from './node-controllers.ts';
export type { NodeControllerOptions, NodeControllers } from './node-controllers.ts';
export { NodeAgentConfigError, isNodeAgentConfigError } from './node-errors.ts';
export { NODE_RESOURCE_TYPES, publishResourceDefinitions } from './resource-definitions.ts';
export { resetNode } from './reset-node.ts';
export type { ResetOptions, ResetOutcome } from './reset-node.ts';
