import type { Controller, ControllerContext, Input, Output } from '@cosi-ts/runtime';
import { destroyIfPresent, getOptional, writeSpec } from './controller-helpers.ts';
import { HostnameStatus, HOSTNAME_STATUS_ID, type HostnameStatusSpec } from './hostname-status.ts';
import { Nodename, NODENAME_ID } from './nodename.ts';

/** `k8s/Nodenames/nodename`: the lower-cased short hostname. */
export class NodenameSourceController implements Controller {
  readonly name = 'cluster.NodenameSourceController';
  readonly inputs: readonly Input[] = [
    { namespace: HostnameStatus.defaultNamespace, type: HostnameStatus, id: HOSTNAME_STATUS_ID, kind: 'weak' },
  ];
  readonly outputs: readonly Output[] = [{ type: Nodename, kind: 'exclusive' }];

  async run(ctx: ControllerContext): Promise<void> {
    for await (const _ of ctx.events()) {
      const h = await getOptional<HostnameStatusSpec>(ctx, HostnameStatus.pointer(HOSTNAME_STATUS_ID));
      if (h === undefined || h.spec.hostname === '') await destroyIfPresent(ctx, Nodename.pointer(NODENAME_ID));
      else await writeSpec(ctx, Nodename, NODENAME_ID, { nodename: h.spec.hostname.toLowerCase() });
    }
  }
}
