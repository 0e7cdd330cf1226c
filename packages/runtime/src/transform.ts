import { Observable, type Observer, type Subscriber, type Subscription } from 'rxjs';
import type { IdQuery, Kind, LabelQuery, Labels, Pointer, Resource } from '@cosi-ts/resource';
import { checkOptions, compileIdQuery, frozenCopy, isFrozenPlainData, matchesLabels, newResource, noFinalizers, noLabels, specEquals } from '@cosi-ts/resource';
import { isConflict, isNotFound } from '@cosi-ts/state';
import { Backoff } from './backoff.ts';
import type { Clock } from './clock.ts';
import type { ControllerContext, TransformContext } from './controller-context.ts';
import { hostOf, type ControllerHost } from './controller-host.ts';
import { describeKind, typeName, type Controller, type Input, type OutputKind, type TypeRef } from './controller.ts';
import { MisuseError, OutputClaimError, toError } from './errors.ts';
import { TRANSFORM_INPUT_OPTIONS, TRANSFORM_OPTIONS, TRANSFORM_OUTPUT_OPTIONS } from './option-names.ts';
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
  const where = `transform ${JSON.stringify((opts as { name?: unknown } | undefined)?.name ?? '')}`;
  checkOptions(where, opts, TRANSFORM_OPTIONS);
  checkOptions(`${where} input`, opts.input, TRANSFORM_INPUT_OPTIONS);
  checkOptions(`${where} output`, opts.output, TRANSFORM_OUTPUT_OPTIONS);
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

/**
 * The versions of one input, as `input$`: replays the latest to each subscriber, then every new one;
 * completes when the input goes away. A BehaviorSubject does the same, but its per-input Subject,
 * observer list copies and subscription objects dominated the bulk path (one per running input).
 * An Observable itself, subscribed through one shared function rather than a closure per input.
 */
class InputFeed extends Observable<Resource> {
  private subs: Subscriber<Resource>[] = [];
  private done = false;

  constructor(public value: Resource) {
    super(subscribeToFeed);
  }

  /**
   * No teardown is registered (it would cost a closure and a finalizer list per input): an
   * unsubscribed subscriber is `closed`, skipped by emissions and pruned by the next add or emission.
   */
  add(s: Subscriber<Resource>): void {
    if (this.done) {
      s.complete();
      return;
    }
    // Copy on write: an emission in progress keeps iterating the array it started with.
    this.subs = this.subs.length === 0 ? [s] : [...this.subs.filter((x) => !x.closed), s];
    s.next(this.value);
  }

  emit(r: Resource): void {
    this.value = r;
    const subs = this.subs;
    let stale = false;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (s.closed) stale = true;
      else s.next(r);
    }
    if (stale) this.subs = this.subs.filter((x) => !x.closed);
  }

  end(): void {
    this.done = true;
    const subs = this.subs;
    this.subs = [];
    for (const s of subs) s.complete();
  }
}

/** rxjs calls an Observable's subscribe function with the Observable as `this`: here, the feed. */
function subscribeToFeed(this: Observable<Resource>, s: Subscriber<Resource>): void {
  (this as InputFeed).add(s);
}

/** One input id: its feed, pipeline subscription and write state. Observes its pipeline's emissions. */
class Slot implements Observer<DesiredOutput<unknown> | null> {
  readonly input$: InputFeed;
  sub: Subscription | null = null;
  /** Latest emission; undefined before the first. */
  desired: DesiredOutput<unknown> | null | undefined = undefined;
  closed = false;
  finalized: boolean;
  /** Output ids this input has written; replaced, never mutated (almost always one id). */
  outputs: readonly string[] = noOutputs;
  dirty = false;
  busy = false;
  backoff: Backoff | null = null;
  timer: unknown = null;

  constructor(
    private readonly engine: TransformEngine,
    readonly id: string,
    r: Resource,
    finalized: boolean,
  ) {
    this.input$ = new InputFeed(r);
    this.finalized = finalized;
  }

  // Methods rather than per-input closures: one pipeline subscription per input is the bulk path.
  next(d: DesiredOutput<unknown> | null): void {
    this.desired = d;
    this.engine.kick(this);
  }

  error(e: unknown): void {
    this.sub = null;
    this.engine.failed(this, e, 'pipeline');
  }

  complete(): void {}
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
  private inW: KindWatch | undefined;
  private outW: KindWatch | undefined;
  /** Pumps and orphan removals in flight; `run` awaits them at shutdown. */
  private inFlight = 0;
  private onIdle: (() => void) | null = null;
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
    this.inW = inW;
    this.outW = outW;
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
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
  }

  private begin(): void {
    this.inFlight++;
  }

  private end(): void {
    if (--this.inFlight === 0 && this.onIdle) {
      const idle = this.onIdle;
      this.onIdle = null;
      idle();
    }
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
    // The engine listens to exactly these two watches (the same one when input and output share a kind).
    const isIn = watch === this.inW;
    const isOut = watch === this.outW;
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
        const cur = slot.input$.value;
        if (cur.metadata.version !== r.metadata.version || cur.metadata.created.getTime() !== r.metadata.created.getTime()) {
          slot.input$.emit(r);
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
      if (bootstrap || (out && out.metadata.owner === this.host.name)) addOutput(slot, id);
      this.slots.set(id, slot);
    }
    if (!slot.closed) {
      slot.closed = true;
      slot.sub?.unsubscribe();
      slot.sub = null;
      slot.input$.end();
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
    return new Slot(this, id, r, r.metadata.finalizers.includes(this.host.name));
  }

  private subscribe(slot: Slot): void {
    let out$: Observable<DesiredOutput<unknown> | null>;
    try {
      out$ = this.opts.pipeline(slot.input$ as Observable<Resource>, this.tctx);
    } catch (e) {
      this.failed(slot, e, 'pipeline');
      return;
    }
    slot.sub = out$.subscribe(slot);
  }

  /** Logs and counts an error of one id, then retries it after that id's backoff. */
  failed(slot: Slot, e: unknown, what: 'pipeline' | 'write'): void {
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

  kick(slot: Slot): void {
    slot.dirty = true;
    if (slot.busy) return;
    if (this.settled(slot)) {
      // Nothing to write (e.g. the emission caused by our own finalizer add): no async round trip.
      slot.dirty = false;
      return;
    }
    slot.busy = true;
    this.begin();
    void this.pump(slot);
  }

  /** Never rejects: a failed sync goes to the id's backoff. */
  private async pump(slot: Slot): Promise<void> {
    try {
      while (slot.dirty && !this.ctx.signal.aborted) {
        slot.dirty = false;
        if (this.settled(slot)) continue;
        try {
          const p = this.sync(slot);
          if (p) await p;
        } catch (e) {
          if (this.ctx.signal.aborted) return;
          this.failed(slot, e, 'write');
          return;
        }
      }
    } finally {
      slot.busy = false;
      this.end();
    }
  }

  /**
   * True when `sync` would write nothing: no emission yet, or the emission already applied (finalizer
   * held, output claimed and shown up to date by this controller's read-your-writes cache, no stale
   * output). Then `sync` only clears the backoff, which this does too.
   */
  private settled(slot: Slot): boolean {
    if (slot.closed) return false;
    const d = slot.desired;
    if (d === undefined) return true;
    if (d === null || !slot.finalized) return false;
    const outId = d.id ?? slot.id;
    if (slot.outputs.length !== 1 || slot.outputs[0] !== outId || this.claims.get(outId) !== slot.id || this.orphans.has(outId)) {
      return false;
    }
    const cur = this.outW ? this.host.peekAt(this.outW, outId) : undefined;
    if (!cur || cur.metadata.phase !== 'running' || !this.upToDate(cur, d)) return false;
    slot.backoff = null;
    return true;
  }

  private outPtr(id: string): Pointer {
    return { namespace: this.outKind.namespace, type: this.outKind.type, id };
  }

  private inPtr(id: string): Pointer {
    return { namespace: this.inKind.namespace, type: this.inKind.type, id };
  }

  /** Brings the outputs of one input to its latest emission (undefined: nothing to do). */
  private sync(slot: Slot): Promise<void> | undefined {
    const d = slot.closed ? null : slot.desired;
    if (d === undefined) return undefined;
    return d === null ? this.releaseAll(slot) : this.apply(slot, d);
  }

  /** Writes one emission: the input's finalizer first (§7.3), then the output, then releases outputs it no longer claims. */
  private async apply(slot: Slot, d: DesiredOutput<unknown>): Promise<void> {
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
    addOutput(slot, outId);
    this.orphans.delete(outId);
    // Inlined write of the desired output (one async frame less per input on the bulk path):
    // nothing when the (read-your-writes) cache already shows it.
    const ptr = this.outPtr(outId);
    const cur = this.outW ? this.host.peekAt(this.outW, outId) : undefined;
    if (cur === null) {
      // Absent: a plain create spares modify's read (and its NotFound); lost a race: modify.
      try {
        await this.ctx.create(outputTemplate(ptr, d));
      } catch (e) {
        if (!isConflict(e)) throw e;
        await this.modifyOutput(ptr, d);
      }
    } else if (!(cur && cur.metadata.phase === 'running' && this.upToDate(cur, d))) {
      await this.modifyOutput(ptr, d);
    }
    slot.backoff = null;
    // outputs holds outId: more than one means outputs of earlier emissions to release.
    if (slot.outputs.length > 1) await this.release(slot, slot.outputs.filter((o) => o !== outId));
  }

  /**
   * The input is gone, tearing down or wants no output: release its outputs, then its finalizer.
   * Apart from `apply`, so that the bulk path's async frame stays small.
   */
  private async releaseAll(slot: Slot): Promise<void> {
    const done = await this.release(slot, slot.outputs);
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

  private async modifyOutput(ptr: Pointer, d: DesiredOutput<unknown>): Promise<void> {
    await this.ctx.modify(newResource(ptr, d.spec), (draft) => {
      draft.spec = d.spec as typeof draft.spec;
      if (d.labels) draft.metadata.labels = { ...d.labels };
      if (d.annotations) draft.metadata.annotations = { ...d.annotations };
    });
  }

  private upToDate(cur: Resource, d: DesiredOutput<unknown>): boolean {
    return (
      sameSpec(cur.spec, d.spec) &&
      (!d.labels || mapsEqual(cur.metadata.labels, d.labels)) &&
      (!d.annotations || mapsEqual(cur.metadata.annotations, d.annotations))
    );
  }

  /** Tears down and destroys outputs; true when all are gone (finalized ones wait for a later event). */
  private async release(slot: Slot, ids: readonly string[]): Promise<boolean> {
    let all = true;
    for (const id of ids) {
      if (await this.destroyOutput(id)) {
        slot.outputs = slot.outputs.filter((o) => o !== id);
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
    this.begin();
    void this.destroyOutput(id)
      .then((gone) => {
        if (gone) this.orphans.delete(id);
      })
      .catch((err: unknown) => {
        if (!this.ctx.signal.aborted) this.host.logger.error({ err, id }, 'removing an orphaned output failed');
      })
      .finally(() => this.end());
  }
}

const noOutputs: readonly string[] = Object.freeze([]);

/** `specEquals`, without its key-array allocations for the common flat object of primitives. */
function sameSpec(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isPlainRecord(a) && isPlainRecord(b)) {
    const flat = flatEquals(a, b);
    if (flat !== undefined) return flat;
  }
  return specEquals(a, b);
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Equality of flat records as `specEquals` decides it (undefined-valued keys ignored, NaN = NaN); undefined when not flat. */
function flatEquals(a: Record<string, unknown>, b: Record<string, unknown>): boolean | undefined {
  const na = flatCount(a);
  const nb = flatCount(b);
  if (na === undefined || nb === undefined) return undefined;
  if (na !== nb) return false;
  for (const k in a) {
    const x = a[k];
    if (x === undefined) continue;
    if (!Object.hasOwn(b, k)) return false;
    const y = b[k];
    if (x !== y && !(typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y))) return false;
  }
  return true;
}

/** Defined own keys of a record whose values are all primitives; undefined otherwise (or with inherited keys). */
function flatCount(o: Record<string, unknown>): number | undefined {
  let n = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) return undefined;
    const v = o[k];
    if (v === undefined) continue;
    if (typeof v === 'object' && v !== null) return undefined;
    n++;
  }
  return n;
}

function addOutput(slot: Slot, id: string): void {
  if (slot.outputs.length === 0) slot.outputs = [id];
  else if (!slot.outputs.includes(id)) slot.outputs = [...slot.outputs, id];
}

function mapsEqual(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** Timestamps of never-stored templates (a State sets its own): one shared Date, never handed out. */
const epoch = new Date(0);

/**
 * A never-stored output resource. Built directly rather than with `newResource`, whose eager
 * validation messages cost more than the write on the bulk path; the State validates and copies
 * the metadata on create anyway. The spec is frozen-copied in one walk (shared when it already is
 * frozen plain data), so the State can keep it without another copy.
 */
function outputTemplate(ptr: Pointer, d: DesiredOutput<unknown>): Resource {
  const metadata = Object.freeze({
    namespace: ptr.namespace,
    type: ptr.type,
    id: ptr.id,
    version: 0,
    owner: '',
    phase: 'running' as const,
    finalizers: noFinalizers,
    labels: d.labels ? Object.freeze({ ...d.labels }) : noLabels,
    annotations: d.annotations ? Object.freeze({ ...d.annotations }) : noLabels,
    created: epoch,
    updated: epoch,
  });
  return Object.freeze({ metadata, spec: isFrozenPlainData(d.spec) ? d.spec : (flatFrozenCopy(d.spec) ?? frozenCopy(d.spec)) });
}

/**
 * The common spec shape, a plain object of primitives, frozen-copied without the general walker's
 * bookkeeping (cycle set, path, node records). Same result as `frozenCopy`; undefined for anything
 * else (nested values, symbol keys, `__proto__`, other prototypes), which then takes `frozenCopy`.
 */
function flatFrozenCopy(spec: unknown): unknown {
  if (typeof spec !== 'object' || spec === null) return undefined;
  const proto: unknown = Object.getPrototypeOf(spec);
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(spec)) return undefined;
  const src = spec as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const v = src[k];
    const t = typeof v;
    if (k === '__proto__' || (v !== null && t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'undefined')) return undefined;
    out[k] = v;
  }
  if (Object.getOwnPropertySymbols(src).length > 0) return undefined;
  return Object.freeze(out);
}
