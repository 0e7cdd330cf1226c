import { Identity, LOCAL_IDENTITY_ID, writeSpec } from '@cosi-ts/cluster';
import { checkOptions, knownOptions } from '@cosi-ts/resource';
import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { loadOrCreateNodeIdentity, type LoadNodeIdentityOptions, type NodeIdentityResult } from './node-identity-file.ts';

const OPTIONS = knownOptions('stateDir', 'generate', 'beforeLink');

export interface NodeIdentityControllerOptions extends LoadNodeIdentityOptions {
  /** The STATE directory (`machine.stateDir`); `node-identity.yaml` lives here. */
  readonly stateDir: string;
}

/**
 * `cluster/Identities/local` from `<stateDir>/node-identity.yaml` (spec §2), created on first start.
 * The file is read once per process: the ID never changes while the process runs. An unusable
 * file crashes the controller with an error naming the path (retried with backoff), never a new ID.
 */
export class NodeIdentityController implements Controller {
  readonly name = 'identity.NodeIdentityController';
  readonly inputs: readonly Input[] = [];
  readonly outputs: readonly Output[] = [{ type: Identity, kind: 'exclusive' }];
  private readonly opts: NodeIdentityControllerOptions;
  private identity: NodeIdentityResult | undefined;
  /** Logged once, after the first successful write of the Identity resource. */
  private established = false;

  constructor(opts: NodeIdentityControllerOptions) {
    checkOptions('NodeIdentityController', opts, OPTIONS);
    this.opts = opts;
  }

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const { stateDir, ...loadOpts } = this.opts;
      // Read once per process; a failed write below keeps the ID for the restarted run.
      this.identity ??= await loadOrCreateNodeIdentity(stateDir, loadOpts);
      // Written on every run, a restarted one included; the ID itself never changes.
      await writeSpec(ctx, Identity, LOCAL_IDENTITY_ID, { nodeId: this.identity.nodeId });
      if (!this.established) {
        this.established = true;
        ctx.logger.info({ nodeId: this.identity.nodeId, path: this.identity.path, created: this.identity.created }, 'node identity established');
      }
    }
  }
}
