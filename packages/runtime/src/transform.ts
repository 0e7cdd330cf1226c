import { BehaviorSubject, Observable, type Subscription } from 'rxjs';
import type { IdQuery, Kind, LabelQuery, Labels, Pointer, Resource } from '@cosi-ts/resource';
import { cloneSpec, compileIdQuery, deepFreeze, matchesLabels, newResource, specEquals } from '@cosi-ts/resource';
import { isConflict, isNotFound } from '@cosi-ts/state';
import { Backoff } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { ControllerContext, TransformContext } from './controller-context.ts';
import { hostOf, type ControllerHost } from './controller-host.ts';
import { describeKind, kindKey, typeName, type Controller, type Input, type OutputKind, type TypeRef } from './controller.ts';
import { MisuseError, OutputClaimError, toError } from './errors.ts';
import { isDestroyReady } from './input-match.ts';
import type { BatchMode, KindListener, KindWatch, ResourceEvent } from './kind-watch.ts';

/** One desired output of one input; `id` defaults to the input's id. */
export interface DesiredOutput<O> {
  readonly id?: string;
  readonly spec: O;
  readonly labels?: Labels;
  readonly annotations?: Labels;
}

export interface TransformOptions<I, O> {
  readonly name: string;
  readonly input: { readonly type: TypeRef; readonly namespace: string; readonly labels?: readonly LabelQuery[]; readonly idQuery?: IdQuery };
  readonly output: { readonly type: TypeRef; readonly namespace: string; readonly kind?: OutputKind };
  /** Weak inputs read with `ctx.input$(kind)`. */
  readonly extraInputs?: readonly Input[];
  /** Maps one input's versions to its desired output (`null`: no output). Resubscribed after an error. */
  readonly pipeline: (input$: Observable<Resource<I>>, ctx: TransformContext) => Observable<DesiredOutput<O> | null>;
}

/**
 * The declarative form (specs/controllers.md §7): one rxjs pipeline per input id, whose emissions
 * are the desired outputs; the runtime diffs and applies them, with input finalizers so outputs are
 * torn down before their inputs vanish.
 */
export function transform<I, O>(opts: TransformOptions<I, O>): Controller {
  const inType = typeName(opts.input.type);
  const outType = typeName(opts.output.type);
  const inputs: Input[] = [{ namespace: opts.input.namespace, type: inType, kind: 'strong' }];
  if (!(opts.output.namespace === opts.input.namespace && outType === inType)) {
    inputs.push({ namespace: opts.output.namespace, type: outType, kind: 'destroyReady' });
  }
  for (const e of opts.extraInputs ?? []) inputs.push({ ...e, kind: 'weak' });
  return {
    name: opts.name,
    inputs,
    outputs: [{ type: outType, kind: opts.output.kind ?? 'exclusive' }],
    async run(ctx: ControllerContext): Promise<void> {
      const host = hostOf(ctx);
      if (!host) throw new MisuseError(`transform "${opts.name}" must be run by a Runtime`);
      const engine = new TransformEngine(opts as TransformOptions<unknown, unknown>, ctx, host);
      await engine.run();
    },
  };
}

interface Slot {
  readonly id: string;
  readonly input$: BehaviorSubject<Resource>;
  sub: Subscription | null;
  /** Latest emission; undefined before the first. */
  desired: DesiredOutput<unknown> | null | undefined;
  closed: boolean;
  finalized: boolean;
  /** Output ids this input has written. */
  readonly outputs: Set<string>;
  dirty: boolean;
  busy: boolean;
  backoff: Backoff | null;
  timer: unknown;
}

class TransformEngine implements KindListener {
  private readonly slots = new Map<string, Slot>();
  /** output id → input id that wrote it. */
  private readonly claims = new Map<string, string>();
  private readonly orphans = new Set<string>();
  private readonly inKind: Kind;
  private readonly outKind: Kind;
  private readonly idTest: ((id: string) => boolean) | undefined;
  private readonly tctx: TransformContext;
  private readonly clock: Clock;
  private readonly attached: KindWatch[] = [];
  private readonly active = new Set<Promise<void>>();
  private inReady = false;
  private outReady = false;
  private swept = false;

  constructor(
    private readonly opts: TransformOptions<unknown, unknown>,
    private readonly ctx: ControllerContext,
    private readonly host: ControllerHost,
  ) {
    this.inKind = { namespace: opts.input.namespace, type: typeName(opts.input.type) };
    this.outKind = { namespace: opts.output.namespace, type: typeName(opts.output.type) };
    this.idTest = compileIdQuery(opts.input.idQuery);
    this.clock = host.deps.clock;
    this.tctx = Object.assign(Object.create(ctx) as ControllerContext, {
      input$: <S>(kind: Kind) => this.extra$<S>(kind),
    }) as unknown as TransformContext;
  }

  async run(): Promise<void> {
    const signal = this.ctx.signal;
    const inW = this.host.cachedWatch(this.inKind);
    const outW = this.host.cachedWatch(this.outKind);
    if (!inW || !outW) throw new Error(`transform "${this.host.name}": its watches are not running`);
    if (!signal.aborted) {
      this.attach(inW);
      if (outW !== inW) this.attach(outW);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    for (const w of this.attached) w.detach(this);
    for (const s of this.slots.values()) {
      s.sub?.unsubscribe();
      if (s.timer !== null) this.clock.clearTimeout(s.timer);
    }
    await Promise.allSettled([...this.active]);
  }

  private attach(w: KindWatch): void {
    this.attached.push(w);
    w.attach(this);
  }

  private extra$<S>(kind: Kind): Observable<readonly Resource<S>[]> {
    return new Observable<readonly Resource<S>[]>((sub) => {
      // An id-scoped extra input shows only its id (§1: only it is readable).
      const only = this.host.listableIds(kind);
      if (only === undefined) this.host.checkRead('input$', kind);
      const w = this.host.cachedWatch(kind);
      if (!w) {
        sub.error(new MisuseError(`transform "${this.host.name}": ${describeKind(kind)} is not among its extraInputs; add it to extraInputs`));
        return undefined;
      }
      const l: KindListener = {
        onKindBatch: (watch) => {
          const all = watch.list() as readonly Resource<S>[];
          sub.next(only ? all.filter((r) => only.has(r.metadata.id)) : all);
        },
      };
      w.attach(l);
      return () => w.detach(l);
    });
  }

  onKindBatch(watch: KindWatch, events: readonly ResourceEvent[], mode: BatchMode): void {
    if (this.ctx.signal.aborted) return;
    const key = kindKey(watch.kind);
    const isIn = key === kindKey(this.inKind);
    const isOut = key === kindKey(this.outKind);
    if (mode === 'bootstrap') {
      if (isIn) {
        this.inReady = true;
        for (const r of watch.list()) this.onInput(r.metadata.id, r, true);
      }
      if (isOut) this.outReady = true;
      if (this.inReady && this.outReady && !this.swept) this.sweep();
      return;
    }
    for (const e of events) {
      if (isIn) this.onInput(e.resource.metadata.id, e.type === 'destroyed' ? null : e.resource, false);
      if (isOut) this.onOutput(e);
    }
  }

  private matches(r: Resource): boolean {
    return (!this.idTest || this.idTest(r.metadata.id)) && matchesLabels(r.metadata.labels, this.opts.input.labels);
  }

  private onInput(id: string, r: Resource | null, bootstrap: boolean): void {
    const live = r !== null && r.metadata.phase === 'running' && this.matches(r);
    let slot = this.slots.get(id);
    if (live) {
      if (!slot) {
        slot = this.newSlot(id, r);
        this.slots.set(id, slot);
        this.subscribe(slot);
      } else if (!slot.closed) {
        const cur = slot.input$.getValue();
        if (cur.metadata.version !== r.metadata.version || cur.metadata.created.getTime() !== r.metadata.created.getTime()) {
          slot.input$.next(r);
        }
      }
      return;
    }
    if (!slot) {
      // Tearing down (e.g. found at bootstrap) with our finalizer: release what it produced.
      if (r === null || !r.metadata.finalizers.includes(this.host.name)) return;
      slot = this.newSlot(id, r);
      slot.finalized = true;
      const outW = this.host.cachedWatch(this.outKind);
      const out = outW?.items.get(id);
      if (bootstrap || (out && out.metadata.owner === this.host.name)) slot.outputs.add(id);
      this.slots.set(id, slot);
    }
    if (!slot.closed) {
      slot.closed = true;
      slot.sub?.unsubscribe();
      slot.sub = null;
      slot.input$.complete();
    }
    this.kick(slot);
  }

  private onOutput(e: ResourceEvent): void {
    const id = e.resource.metadata.id;
    if (this.orphans.has(id)) {
      if (isDestroyReady(e)) this.releaseOrphan(id);
      return;
    }
    const owner = this.claims.get(id);
    const slot = owner === undefined ? undefined : this.slots.get(owner);
    if (!slot) return;
    // A released output became destroy-ready, or a live one was changed or removed behind our back.
    if (slot.closed || slot.desired === null || isDestroyReady(e) || e.type === 'destroyed') this.kick(slot);
  }

  private newSlot(id: string, r: Resource): Slot {
    return {
      id,
      input$: new BehaviorSubject<Resource>(r),
      sub: null,
      desired: undefined,
      closed: false,
      finalized: r.metadata.finalizers.includes(this.host.name),
      outputs: new Set(),
      dirty: false,
      busy: false,
      backoff: null,
      timer: null,
    };
  }

  private subscribe(slot: Slot): void {
    let out$: Observable<DesiredOutput<unknown> | null>;
    try {
      out$ = this.opts.pipeline(slot.input$.asObservable(), this.tctx);
    } catch (e) {
      this.failed(slot, e, 'pipeline');
      return;
    }
    slot.sub = out$.subscribe({
      next: (d) => {
        slot.desired = d;
        this.kick(slot);
      },
      error: (e: unknown) => {
        slot.sub = null;
        this.failed(slot, e, 'pipeline');
      },
    });
  }

  /** Logs and counts an error of one id, then retries it after that id's backoff. */
  private failed(slot: Slot, e: unknown, what: 'pipeline' | 'write'): void {
    if (this.ctx.signal.aborted) return;
    this.host.deps.metrics.reconcileErrors.inc({ controller: this.host.name });
    slot.backoff ??= new Backoff(this.host.deps.backoff);
    const wait = slot.backoff.next();
    this.host.logger.error({ err: toError(e), id: slot.id, retryInMs: Math.round(wait) }, `transform ${what} failed`);
    if (slot.timer !== null) this.clock.clearTimeout(slot.timer);
    slot.timer = this.clock.setTimeout(() => {
      slot.timer = null;
      if (this.ctx.signal.aborted || this.slots.get(slot.id) !== slot) return;
      if (what === 'pipeline' && !slot.closed) {
        slot.sub?.unsubscribe();
        this.subscribe(slot);
      } else this.kick(slot);
    }, wait);
  }

  private kick(slot: Slot): void {
    slot.dirty = true;
    if (slot.busy) return;
    slot.busy = true;
    const p = this.pump(slot).finally(() => {
      slot.busy = false;
      this.active.delete(p);
    });
    this.active.add(p);
  }

  private async pump(slot: Slot): Promise<void> {
    while (slot.dirty && !this.ctx.signal.aborted) {
      slot.dirty = false;
      try {
        await this.sync(slot);
      } catch (e) {
        if (this.ctx.signal.aborted) return;
        this.failed(slot, e, 'write');
        return;
      }
    }
  }

  private outPtr(id: string): Pointer {
    return { namespace: this.outKind.namespace, type: this.outKind.type, id };
  }

  private inPtr(id: string): Pointer {
    return { namespace: this.inKind.namespace, type: this.inKind.type, id };
  }

  private async sync(slot: Slot): Promise<void> {
    const d = slot.closed ? null : slot.desired;
    if (d === undefined) return;
    if (d !== null) {
      const outId = d.id ?? slot.id;
      const claimer = this.claims.get(outId);
      if (claimer !== undefined && claimer !== slot.id && this.slots.has(claimer)) {
        throw new OutputClaimError(this.host.name, outId, claimer, slot.id);
      }
      if (!slot.finalized) {
        await this.ctx.addFinalizer(this.inPtr(slot.id), this.host.name);
        slot.finalized = true;
      }
      this.claims.set(outId, slot.id);
      slot.outputs.add(outId);
      this.orphans.delete(outId);
      await this.apply(this.outPtr(outId), d);
      slot.backoff = null;
      const stale = [...slot.outputs].filter((o) => o !== outId);
      if (stale.length > 0) await this.release(slot, stale);
      return;
    }
    const done = await this.release(slot, [...slot.outputs]);
    if (!done) return; // waits for the outputs' destroy-ready events
    if (slot.finalized) {
      await this.ctx.removeFinalizer(this.inPtr(slot.id), this.host.name);
      slot.finalized = false;
    }
    slot.backoff = null;
    if (slot.closed && this.slots.get(slot.id) === slot) {
      this.slots.delete(slot.id);
      // A new incarnation (destroy + re-create) may have arrived while this one was released.
      const again = this.host.cachedWatch(this.inKind)?.items.get(slot.id);
      if (again && again.metadata.phase === 'running' && this.matches(again)) this.onInput(slot.id, again, false);
    }
  }

  /** Writes one desired output: nothing when the (read-your-writes) cache already shows it. */
  private async apply(ptr: Pointer, d: DesiredOutput<unknown>): Promise<void> {
    const cur = this.host.peek(ptr);
    if (cur === null) {
      // Absent: a plain create spares modify's read (and its NotFound) on the bulk path.
      try {
        await this.ctx.create(outputTemplate(ptr, d));
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    } else if (cur && cur.metadata.phase === 'running' && this.upToDate(cur, d)) {
      return;
    }
    await this.ctx.modify(newResource(ptr, d.spec), (draft) => {
      draft.spec = d.spec as typeof draft.spec;
      if (d.labels) draft.metadata.labels = { ...d.labels };
      if (d.annotations) draft.metadata.annotations = { ...d.annotations };
    });
  }

  private upToDate(cur: Resource, d: DesiredOutput<unknown>): boolean {
    return (
      specEquals(cur.spec, d.spec) &&
      (!d.labels || mapsEqual(cur.metadata.labels, d.labels)) &&
      (!d.annotations || mapsEqual(cur.metadata.annotations, d.annotations))
    );
  }

  /** Tears down and destroys outputs; true when all are gone (finalized ones wait for a later event). */
  private async release(slot: Slot, ids: readonly string[]): Promise<boolean> {
    let all = true;
    for (const id of ids) {
      if (await this.destroyOutput(id)) {
        slot.outputs.delete(id);
        if (this.claims.get(id) === slot.id) this.claims.delete(id);
      } else all = false;
    }
    return all;
  }

  private async destroyOutput(id: string): Promise<boolean> {
    const ptr = this.outPtr(id);
    try {
      if (!(await this.ctx.teardown(ptr))) return false;
      await this.ctx.destroy(ptr);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return true;
  }

  /** After bootstrap: owned outputs no live input claims are removed (§7.5). */
  private sweep(): void {
    this.swept = true;
    const claimed = new Set<string>();
    for (const s of this.slots.values()) {
      if (s.closed) continue;
      claimed.add(s.desired ? (s.desired.id ?? s.id) : s.id);
      for (const o of s.outputs) claimed.add(o);
    }
    const outW = this.host.cachedWatch(this.outKind);
    for (const r of outW?.list() ?? []) {
      if (r.metadata.owner !== this.host.name || claimed.has(r.metadata.id) || this.claims.has(r.metadata.id)) continue;
      this.orphans.add(r.metadata.id);
      this.releaseOrphan(r.metadata.id);
    }
  }

  private releaseOrphan(id: string): void {
    const p = this.destroyOutput(id)
      .then((gone) => {
        if (gone) this.orphans.delete(id);
      })
      .catch((err: unknown) => {
        if (!this.ctx.signal.aborted) this.host.logger.error({ err, id }, 'removing an orphaned output failed');
      })
      .finally(() => this.active.delete(p));
    this.active.add(p);
  }
}

function mapsEqual(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

const noLabels: Labels = Object.freeze({});

/**
 * A never-stored output resource. Built directly rather than with `newResource`, whose eager
 * validation messages cost more than the write on the bulk path; the State validates and copies
 * the metadata on create anyway.
 */
function outputTemplate(ptr: Pointer, d: DesiredOutput<unknown>): Resource {
  const metadata = Object.freeze({
    namespace: ptr.namespace,
    type: ptr.type,
    id: ptr.id,
    version: 0,
    owner: '',
    phase: 'running' as const,
    finalizers: Object.freeze([]) as readonly string[],
    labels: d.labels ? Object.freeze({ ...d.labels }) : noLabels,
    annotations: d.annotations ? Object.freeze({ ...d.annotations }) : noLabels,
    created: new Date(0),
    updated: new Date(0),
  });
  return Object.freeze({ metadata, spec: deepFreeze(cloneSpec(d.spec)) });
}
