// `cosi-node reset` (cluster-discovery spec §3.8): leave the cluster, then forget this node's identity.
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MACHINE_CONFIG_ID,
  MACHINE_CONFIG_PATH_ANNOTATION,
  MACHINE_RESET_SIGNAL_ID,
  MachineConfig,
  MachineResetSignal,
  deriveDiscoveryConfig,
} from '@cosi-ts/cluster';
import { NODE_IDENTITY_FILE } from '@cosi-ts/identity';
import { Runtime } from '@cosi-ts/runtime';
import { InMemoryState } from '@cosi-ts/state';
import { pino, type Logger } from 'pino';
import { loadAgentConfig } from './node-agent.ts';
import { nodeControllers, type NodeControllerOptions } from './node-controllers.ts';

export interface ResetOptions {
  readonly configPath: string;
  readonly logger?: Logger;
  /** How long to wait for the discovery service to confirm the delete; default 60 s (spec §3.8). */
  readonly timeoutMs?: number;
  readonly controllers?: Omit<NodeControllerOptions, 'stateDir'>;
}

export type ResetOutcome =
  | { readonly result: 'reset'; readonly deleted: boolean; readonly identityFile: string; readonly message: string }
  | { readonly result: 'nothing'; readonly identityFile: string; readonly message: string }
  | { readonly result: 'unconfirmed'; readonly identityFile: string; readonly message: string };

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

/** Deletes the affiliate from the discovery service (when the service registry is on), then the identity file. */
export async function resetNode(o: ResetOptions): Promise<ResetOutcome> {
  const cfg = await loadAgentConfig(o.configPath);
  const identityFile = join(cfg.stateDir, NODE_IDENTITY_FILE);
  if (!(await exists(identityFile))) {
    return { result: 'nothing', identityFile, message: `no identity at ${identityFile}: this node has not joined a cluster; nothing to reset` };
  }
  const discovery = deriveDiscoveryConfig(cfg.config, cfg.path);
  if (discovery === null || !discovery.discoveryEnabled || !discovery.registryServiceEnabled) {
    await rm(identityFile, { force: true });
    return { result: 'reset', deleted: false, identityFile, message: `discovery service registry disabled in ${cfg.path}: skipped the affiliate delete; removed ${identityFile}` };
  }
  const state = new InMemoryState();
  const logger = o.logger ?? pino({ level: 'silent' });
  const runtime = new Runtime(state, { logger, shutdownTimeoutMs: 3000 });
  const { controllers, serviceRegistry } = nodeControllers({ ...o.controllers, stateDir: cfg.stateDir, kubernetes: false });
  for (const c of controllers) runtime.register(c);
  await state.create(MachineConfig.create(MACHINE_CONFIG_ID, cfg.config, { annotations: { [MACHINE_CONFIG_PATH_ANNOTATION]: cfg.path } }));
  await state.create(MachineResetSignal.create(MACHINE_RESET_SIGNAL_ID, {}));
  const stop = new AbortController();
  const done = runtime.run(stop.signal);
  const timeoutMs = o.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let confirmed = false;
  try {
    while (!(confirmed = serviceRegistry.localAffiliateDeleted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    stop.abort();
    await done;
  }
  const endpoint = discovery.serviceEndpoint;
  if (!confirmed) {
    return {
      result: 'unconfirmed',
      identityFile,
      message: `the discovery service at ${endpoint} did not confirm the affiliate delete within ${timeoutMs / 1000} s; kept ${identityFile}. Rerunning \`cosi-node reset\` is safe.`,
    };
  }
  await rm(identityFile, { force: true });
  return { result: 'reset', deleted: true, identityFile, message: `deleted this node's affiliate from the discovery service at ${endpoint}; removed ${identityFile}` };
}
