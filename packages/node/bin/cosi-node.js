#!/usr/bin/env node
// Entry point for `cosi-node`. A published or built package runs dist/; a fresh
// checkout (`npm ci`, no build yet) runs the TypeScript source in this same process, through tsx
// and the "@cosi-ts/source" export condition, so the command works before `npm run build` too.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/bin/cosi-node.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  const { register: registerTsx } = await import('tsx/esm/api');
  register(new URL('./source-condition-hook.js', import.meta.url));
  registerTsx();
  await import(new URL('../src/bin/cosi-node.ts', import.meta.url).href);
}
