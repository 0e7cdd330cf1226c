import { expect } from 'vitest';
import { label } from '@cosi-ts/resource';
import type { LabelQuery, LabelTerm } from '@cosi-ts/resource';
import { conformanceCase } from '../conformance-case.ts';
import { describeEvents } from '../describe-event.ts';
import { expectTypeError } from '../expect-rejection.ts';
import { Path } from '../fixture.ts';
import type { StateConformanceOptions } from '../options.ts';

/** Label values and what §3.4 says they parse to (undefined: unparsable). */
const numbers: readonly (readonly [string, bigint | undefined])[] = [
  ['10kg', 10_000n],
  ['1Ki', 1024n],
  ['1KI', 1024n],
  ['2 Mi', 2n * 2n ** 20n],
  ['1m', 1_000_000n],
  ['5Mb', 5_000_000n],
  [' 5 ', 5n],
  ['-3', -3n],
  ['7', 7n],
  ['3g', 3_000_000_000n],
  ['1Gi', 2n ** 30n],
  ['1ti', 2n ** 40n],
  ['2P', 2n * 10n ** 15n],
  ['1Pi', 2n ** 50n],
  ['9007199254740993', 9_007_199_254_740_993n],
  ['abc', undefined],
  ['12x', undefined],
  ['1.5', undefined],
];

/** Cases 10–11: label and id queries. */
export function queryCases(options: StateConformanceOptions): void {
  conformanceCase(options, '10. labels: every row of the truth table, numbers, OR of queries, validation', async ({ state, namespace, kind }) => {
    const fixtures: Record<string, Record<string, string>> = {
      r4: { env: 'staging', weight: 'heavy', name: 'c' },
      r2: { env: 'dev', weight: '20000', size: '1024', name: 'a' },
      r3: {},
      r1: { env: 'prod', weight: '10kg', size: '1Ki', name: 'b' },
    };
    for (const [id, labels] of Object.entries(fixtures)) await state.create(Path.create(id, { value: id }, { namespace, labels }));
    const ids = async (labels?: readonly LabelQuery[]) =>
      (await state.list(kind, labels === undefined ? {} : { labels })).map((r) => r.metadata.id);
    const one = (t: LabelTerm) => ids([[t]]);

    expect(await ids()).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(await ids([])).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(await ids([[]])).toEqual(['r1', 'r2', 'r3', 'r4']);

    const table: readonly (readonly [string, LabelTerm, string[], string[]])[] = [
      // [what, term, plain result, inverted result]
      ['exists: present/absent', label.exists('env'), ['r1', 'r2', 'r4'], ['r3']],
      ['equal: absent key inverts to true', label.equal('env', 'prod'), ['r1'], ['r2', 'r3', 'r4']],
      ['in: absent key inverts to true', label.in('env', ['prod', 'dev']), ['r1', 'r2'], ['r3', 'r4']],
      ['lt: string order, absent false both ways', label.lt('name', 'b'), ['r2'], ['r1', 'r4']],
      ['lte: string order', label.lte('name', 'b'), ['r1', 'r2'], ['r4']],
      ['lt compares strings, not numbers', label.lt('weight', '3'), ['r1', 'r2'], ['r4']],
      ['ltNumeric: 10kg = 10000 < 12000; unparsable false both ways', label.ltNumeric('weight', '12000'), ['r1'], ['r2']],
      ['lteNumeric: 10kg and 20000 <= 20000', label.lteNumeric('weight', '20000'), ['r1', 'r2'], []],
      ['ltNumeric: 1Ki is not < 1024', label.ltNumeric('size', '1024'), [], ['r1', 'r2']],
      ['lteNumeric: 1Ki = 1024', label.lteNumeric('size', '1024'), ['r1', 'r2'], []],
      ['lteNumeric: query values parse too', label.lteNumeric('size', '1ki'), ['r1', 'r2'], []],
    ];
    for (const [what, term, plain, inverted] of table) {
      expect(await one(term), what).toEqual(plain);
      expect(await one(label.not(term)), `${what} (inverted)`).toEqual(inverted);
    }

    // AND within a query, OR between queries
    expect(await ids([[label.exists('env'), label.lt('name', 'c')]])).toEqual(['r1', 'r2']);
    expect(await ids([[label.equal('env', 'prod')], [label.equal('env', 'dev')]])).toEqual(['r1', 'r2']);
    expect(await ids([[label.equal('env', 'prod')], [label.exists('weight')]])).toEqual(['r1', 'r2', 'r4']);
    expect(await ids([[label.equal('env', 'prod')], []])).toEqual(['r1', 'r2', 'r3', 'r4']);

    // §3.4 number parsing, compared exactly (BigInt), in a namespace of its own
    const numNamespace = `${namespace}-numbers`;
    const numKind = Path.kind(numNamespace);
    for (const [i, [value]] of numbers.entries()) {
      await state.create(Path.create(`n${String(i).padStart(2, '0')}`, { value }, { namespace: numNamespace, labels: { num: value } }));
    }
    const parsed = numbers.map(([, v], i) => ({ id: `n${String(i).padStart(2, '0')}`, v }));
    const numIds = async (t: LabelTerm) => (await state.list(numKind, { labels: [[t]] })).map((r) => r.metadata.id);
    for (const { v: bound } of parsed) {
      if (bound === undefined) continue;
      const at = String(bound);
      const lte = parsed.filter(({ v }) => v !== undefined && v <= bound).map(({ id }) => id);
      const lt = parsed.filter(({ v }) => v !== undefined && v < bound).map(({ id }) => id);
      expect(await numIds(label.lteNumeric('num', at)), `lteNumeric ${at}`).toEqual(lte);
      expect(await numIds(label.ltNumeric('num', at)), `ltNumeric ${at}`).toEqual(lt);
    }
    const nonNegative = parsed.filter(({ v }) => v !== undefined && v >= 0n).map(({ id }) => id);
    expect(await numIds(label.not(label.ltNumeric('num', '0'))), 'not ltNumeric 0').toEqual(nonNegative);

    // malformed terms
    const malformed: LabelTerm[] = [
      { key: 'env', op: 'exists', values: ['x'] },
      { key: 'env', op: 'in', values: [] },
      { key: 'env', op: 'equal' },
      { key: 'env', op: 'equal', values: ['a', 'b'] },
      { key: 'name', op: 'lt', values: [] },
      { key: 'weight', op: 'ltNumeric', values: ['abc'] },
      { key: 'weight', op: 'lteNumeric', values: ['12x'] },
    ];
    for (const term of malformed) await expectTypeError(() => state.list(kind, { labels: [[term]] }));
    await expectTypeError(() => label.in('env', []));
    await expectTypeError(() => label.ltNumeric('weight', 'heavy'));
  });

  conformanceCase(options, '11. id query: unanchored regexp on list and a bootstrapped watchKind', async (ctx) => {
    const { state, namespace, kind, ptr } = ctx;
    const regexp = '^idquery/.+[2-4]$';
    // `.+` needs a character before the final digit: idquery/4 does not match, idquery/12 does
    const ids = ['idquery/n1', 'idquery/n2', 'idquery/n3', 'idquery/n4', 'idquery/n5', 'idquery/12', 'idquery/4', 'idquery/3x', 'xidquery/n3', 'other/n3'];
    for (const id of ids) {
      await state.create(Path.create(id, { value: id }, { namespace, labels: /[13]$/.test(id) ? { odd: '1' } : {} }));
    }
    const listed = async (opts: Parameters<typeof state.list>[1]) => (await state.list(kind, opts)).map((r) => r.metadata.id);
    const matching = ['idquery/12', 'idquery/n2', 'idquery/n3', 'idquery/n4'];
    expect(await listed({ idQuery: { regexp } })).toEqual(matching);
    expect(await listed({ idQuery: { regexp: new RegExp(regexp, 'u') } })).toEqual(matching);
    // unanchored: the match may start and end anywhere in the id
    expect(await listed({ idQuery: { regexp: 'query/n?3' } })).toEqual(['idquery/3x', 'idquery/n3', 'xidquery/n3']);
    // ANDed with labels
    expect(await listed({ idQuery: { regexp }, labels: [[{ key: 'odd', op: 'exists' }]] })).toEqual(['idquery/n3']);

    const watch = ctx.record(state.watchKind(kind, { bootstrapContents: true, idQuery: { regexp } }));
    const boot = await watch.take(5);
    expect(describeEvents(boot, { bookmark: false })).toEqual([
      ...(await state.list(kind, { idQuery: { regexp } })).map((r) => describeEvents([{ type: 'created', resource: r }], { bookmark: false })[0]),
      expect.stringMatching(/^bootstrapped \(kind\) v0 /),
    ]);

    await state.destroy(ptr('idquery/n1'));
    await state.destroy(ptr('idquery/n3'));
    await state.create(Path.create('idquery/n7', { value: '7' }, { namespace }));
    await state.create(Path.create('idquery/n24', { value: '24' }, { namespace }));
    await state.modify(Path.create('idquery/n5', { value: '5' }, { namespace }), (d) => void (d.spec.value = 'five'));
    await state.modify(Path.create('idquery/4', { value: '4' }, { namespace }), (d) => void (d.spec.value = 'four'));
    const four = await state.modify(Path.create('idquery/n4', { value: '4' }, { namespace }), (d) => void (d.spec.value = 'four'));
    const live = await watch.take(3);
    expect(live.map((e) => (e.type === 'errored' ? 'errored' : `${e.type} ${e.resource.metadata.id}`))).toEqual([
      'destroyed idquery/n3',
      'created idquery/n24',
      'updated idquery/n4',
    ]);
    expect(live[2]).toMatchObject({ resource: { metadata: { version: four.metadata.version } } });
  });
}
