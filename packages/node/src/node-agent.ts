import { StateServer } from '@cosi-ts/api';
import {
  MACHINE_CONFIG_ID,
  MACHINE_CONFIG_PATH_ANNOTATION,
  MachineConfig,
  loadNodeConfig,
  resolveStateDir,
  type NodeConfig,
} from '@cosi-ts/cluster';
import { Runtime } from '@cosi-ts/runtime';
import { InMemoryState } from '@cosi-ts/state';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { nodeControllers, type NodeControllerOptions } from './node-controllers.ts';
import { NodeAgentConfigError } from './node-errors.ts';
import { publishResourceDefinitions } from './resource-definitions.ts';

/** Where the resource API listens when `machine.api.listen` is not set. */
export const DEFAULT_API_LISTEN = '127.0.0.1:50000';

export interface NodeAgentOptions {
  /** Path of node.yaml. */
  readonly configPath: string;
  readonly logger?: Logger;
  /** Overrides for the controllers (tests); stateDir always comes from node.yaml. */
  readonly controllers?: Omit<NodeControllerOptions, 'stateDir'>;
  /** How long shutdown waits for controllers and API calls; default 3000 ms (the process must exit within 5 s). */
  readonly shutdownTimeoutMs?: number;
}

export interface LoadedNodeConfig {
  readonly path: string;
  readonly config: NodeConfig;
  readonly stateDir: string;
  readonly apiListen: string;
}

/** Reads and checks node.yaml: NodeConfigError / NodeAgentConfigError name the file and key. */
export async function loadAgentConfig(configPath: string): Promise<LoadedNodeConfig> {
  const path = resolve(configPath);
  const config = await loadNodeConfig(path);
  const stateDir = resolveStateDir(config, path);
  if (stateDir === undefined) {
    throw new NodeAgentConfigError(path, 'machine.stateDir', 'is required: set it to the directory that keeps this node\'s identity (e.g. ./state/node-1)');
  }
  return { path, config, stateDir, apiListen: config.machine?.api?.listen ?? DEFAULT_API_LISTEN };
}

/** One running node: InMemoryState, a Runtime with every discovery controller, the resource API. */
export class NodeAgent {
  readonly state = new InMemoryState();
  readonly config: LoadedNodeConfig;
  readonly #logger: Logger;
  readonly #runtime: Runtime;
  readonly #server: StateServer;
  readonly #stop = new AbortController();
  readonly #shutdownMs: number;
  #done: Promise<void> | undefined;
  #address: string | undefined;

  private constructor(config: LoadedNodeConfig, o: NodeAgentOptions) {
    this.config = config;
    this.#logger = o.logger ?? pino({ level: 'silent' });
    this.#shutdownMs = o.shutdownTimeoutMs ?? 3000;
    this.#runtime = new Runtime(this.state, { logger: this.#logger, shutdownTimeoutMs: this.#shutdownMs });
    for (const c of nodeControllers({ ...o.controllers, stateDir: config.stateDir }).controllers) this.#runtime.register(c);
    this.#server = new StateServer(this.state, { logger: this.#logger });
  }

  /** Loads node.yaml, starts the runtime and the resource API. Config errors are thrown before anything starts. */
  static async start(o: NodeAgentOptions): Promise<NodeAgent> {
    const agent = new NodeAgent(await loadAgentConfig(o.configPath), o);
    await agent.#start();
    return agent;
  }

  async #start(): Promise<void> {
    await publishResourceDefinitions(this.state);
    await this.state.create(
      MachineConfig.create(MACHINE_CONFIG_ID, this.config.config, { annotations: { [MACHINE_CONFIG_PATH_ANNOTATION]: this.config.path } }),
    );
    this.#done = this.#runtime.run(this.#stop.signal);
    try {
      this.#address = (await this.#server.listen(this.config.apiListen)).address;
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.#logger.info({ api: this.#address, config: this.config.path, stateDir: this.config.stateDir }, 'node started');
  }

  /** `host:port` the resource API is bound to. */
  get apiAddress(): string {
    if (this.#address === undefined) throw new Error('NodeAgent is not listening');
    return this.#address;
  }

  /** Closes the resource API (its watches end) and stops every controller. The affiliate is left to expire. */
  async stop(): Promise<void> {
    await this.#server.close(Math.min(1000, this.#shutdownMs));
    this.#stop.abort();
    await this.#done;
    this.#logger.info('node stopped');
  }
}
