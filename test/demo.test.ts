// `npm run demo -- --once`, run as the root script runs it: three real cosi-node processes converge,
// the members come out as JSON, and the temp dir is gone afterwards.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('npm run demo -- --once', () => {
  it('prints three nodes each seeing three members, exits 0, leaves no temp dir', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, ['--conditions=@cosi-ts/source', '--import', 'tsx', 'test/demo.ts', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(code, stderr).toBe(0);
    const view = JSON.parse(stdout) as { node: string; members: { id: string }[] }[];
    expect(view.map((v) => [v.node, v.members.map((m) => m.id)])).toEqual(
      ['node-1', 'node-2', 'node-3'].map((n) => [n, ['node-1', 'node-2', 'node-3']]),
    );
    const dir = /state dirs under (\S+)/.exec(stderr)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir!)).toBe(false);
    expect(stderr).toContain('nodes exited with 0, 0, 0');
  });
});
