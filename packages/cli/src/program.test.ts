import { afterEach, describe, expect, it } from 'vitest';
import { StateServer } from '@cosi-ts/api';
import { defineResourceType, definitionResource, ResourceDefinitionType } from '@cosi-ts/resource';
import { InMemoryState } from '@cosi-ts/state';
import { runCli } from './program.ts';

// A type of this test's own, so the CLI is shown to rely on the server's definitions only.
const Widget = defineResourceType<{ colour: string; sizes: number[] }>({
  type: 'Widgets.test.cosi.dev',
  defaultNamespace: 'shop',
  aliases: ['wd'],
  printColumns: [{ name: 'Colour', jsonPath: '{.colour}' }, { name: 'Sizes', jsonPath: '{.sizes}' }],
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function server(): Promise<{ state: InMemoryState; endpoint: string }> {
  const state = new InMemoryState();
  for (const t of [ResourceDefinitionType, Widget]) await state.create(definitionResource(t.definition), { owner: 'meta' });
  await state.create(Widget.create('b', { colour: 'blue', sizes: [1, 2] }));
  await state.create(Widget.create('a', { colour: 'red', sizes: [] }));
  const s = new StateServer(state);
  const { address } = await s.listen('127.0.0.1:0');
  cleanup.push(() => s.close());
  return { state, endpoint: address };
}

async function cli(argv: string[], signal = new AbortController().signal): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s), signal });
  return { code, out, err };
}

describe('cosictl get', () => {
  it('prints a table with the print columns, resolving an alias from the server', async () => {
    const { endpoint } = await server();
    const r = await cli(['--endpoint', endpoint, 'get', 'wd']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').map((l) => l.split(/\s{2,}/))).toEqual([
      ['NAMESPACE', 'TYPE', 'ID', 'VERSION', 'COLOUR', 'SIZES'],
      ['shop', 'Widget', 'a', '1', 'red'],
      ['shop', 'Widget', 'b', '1', 'blue', '1,2'],
      [''],
    ]);
  });

  it('prints one JSON document a line, and one resource by id', async () => {
    const { endpoint } = await server();
    const all = await cli(['-e', endpoint, 'get', 'widgets', '-o', 'json']);
    expect(all.out.trim().split('\n').map((l) => (JSON.parse(l) as { metadata: { id: string } }).metadata.id)).toEqual(['a', 'b']);
    const one = await cli(['-e', endpoint, 'get', 'widget', 'b', '-o', 'yaml']);
    expect(one.out).toMatch(/^---\nmetadata:\n {2}namespace: shop\n/);
    expect(one.out).toContain('colour: blue');
  });

  it('-w prints each event with its kind until the signal', async () => {
    const { state, endpoint } = await server();
    const stop = new AbortController();
    let out = '';
    const until = async (text: string): Promise<void> => {
      const deadline = Date.now() + 20_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no ${text} in ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const run = runCli(['-e', endpoint, 'get', 'wd', '-w', '-o', 'json'], { out: (s) => (out += s), err: (s) => (out += s), signal: stop.signal });
    await until('"id":"b"');
    await state.create(Widget.create('c', { colour: 'green', sizes: [] }));
    await state.destroy(Widget.pointer('a'));
    await until('"destroyed"');
    stop.abort();
    expect(await run).toBe(0);
    const events = out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; metadata: { id: string } });
    expect(events.map((e) => `${e.event} ${e.metadata.id}`)).toEqual(['created a', 'created b', 'created c', 'destroyed a']);
  });

  it('names the endpoint and how to start a node when nothing listens', async () => {
    const { endpoint } = await server();
    await cleanup.pop()?.();
    const r = await cli(['-e', endpoint, '--timeout', '3000', 'get', 'members']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot reach a cosi-ts node at ${endpoint}: start one with \`cosi-node --config node.yaml\``);
  });

  it('suggests the closest name for an unknown type', async () => {
    const { endpoint } = await server();
    const r = await cli(['-e', endpoint, 'get', 'widgts']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('cosictl: unknown resource type "widgts". Did you mean "widgets"? `cosictl get rd` lists every type and its aliases.\n');
  });

  it('suggests nothing when no type is close to the name', async () => {
    const { endpoint } = await server();
    const r = await cli(['-e', endpoint, 'get', 'nosuch']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('cosictl: unknown resource type "nosuch". `cosictl get rd` lists every type and its aliases.\n');
  });
});
