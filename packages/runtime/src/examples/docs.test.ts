import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');

describe('docs/controllers.md', () => {
  const doc = read('../../../../docs/controllers.md');

  for (const file of ['types.ts', 'int-to-str.ts', 'q-int-to-str.ts', 'str-to-sentence.ts', 'main.ts']) {
    it(`embeds examples/${file} verbatim, so the guide shows the code the tests run`, () => {
      const block = `\`\`\`ts\n// packages/runtime/src/examples/${file}\n${read(`./${file}`)}\`\`\`\n`;
      expect(doc).toContain(block);
    });
  }

  it('tells how to run the example', () => {
    expect(doc).toContain('node --conditions=@cosi-ts/source --import tsx packages/runtime/src/examples/main.ts');
  });
});
