import type { Kind, Labels, Phase, Pointer } from '@cosi-ts/resource';
import type { ControllerContext, QContext } from './controller-context.ts';

/** A resource type by name or by its definition (anything carrying the type name). */
export type TypeRef = string | { readonly type: string };

export type InputKind = 'weak' | 'strong' | 'destroyReady';
export type QInputKind = 'primary' | 'mapped' | 'mappedDestroyReady';
export type OutputKind = 'exclusive' | 'shared';

export interface Input {
  readonly namespace: string;
  readonly type: TypeRef;
  /** Scopes the input to one resource: only it wakes the controller and only it is readable. */
  readonly id?: string;
  readonly kind: InputKind;
}

export interface QInput {
  readonly namespace: string;
  readonly type: TypeRef;
  readonly id?: string;
  readonly kind: QInputKind;
}

/** Outputs name a type only: a controller may write it in any namespace. */
export interface Output {
  readonly type: TypeRef;
  readonly kind: OutputKind;
}

/** The imperative form: `run` loops over `ctx.events()` and reconciles everything each time. */
export interface Controller {
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly outputs: readonly Output[];
  run(ctx: ControllerContext): Promise<void>;
}

/** What a mapped input event tells `mapInput`. */
export interface ReducedMetadata {
  readonly namespace: string;
  readonly type: string;
  readonly id: string;
  readonly phase: Phase;
  readonly labels: Labels;
  readonly finalizersEmpty: boolean;
}

/** Result of a QController reconcile asking to run the same key again later (not an error). */
export interface Requeue {
  readonly requeueAfter: number;
}

/** The queue form: one reconcile per changed primary resource, deduplicated per key. */
export interface QController {
  readonly name: string;
  readonly inputs: readonly QInput[];
  readonly outputs: readonly Output[];
  /** Integer ≥ 1; default 1. */
  readonly concurrency?: number;
  reconcile(ctx: QContext, ptr: Pointer): Promise<void | Requeue>;
  mapInput?(ctx: QContext, md: ReducedMetadata): readonly Pointer[] | Promise<readonly Pointer[]>;
  runHook?(ctx: QContext): Promise<void>;
  shutdownHook?(): void | Promise<void>;
}

/** Anything `Runtime.register` accepts (a `transform(...)` is a Controller). */
export type AnyController = Controller | QController;

export const typeName = (t: TypeRef): string => (typeof t === 'string' ? t : t.type);

export const kindKey = (k: Kind): string => `${k.namespace}\u0000${k.type}`;

export const ptrKey = (p: Pointer): string => `${p.namespace}\u0000${p.type}\u0000${p.id}`;

export const describePtr = (p: Pointer): string => `${p.namespace}/${p.type}/${p.id}`;

export const describeKind = (k: Kind): string => `${k.namespace}/${k.type}`;
