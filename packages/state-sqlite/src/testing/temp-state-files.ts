import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteState } from '../sqlite-state.ts';
import type { SqliteStateOptions } from '../sqlite-state.ts';

/**
 * A temp directory of state files for tests: `open()` makes a new database file, `reopen(state)`
 * closes one and opens its file again, `dispose()` closes what is still open and removes the directory.
 */
export class TempStateFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'cosi-state-sqlite-'));
  readonly #open = new Set<SqliteState>();
  #count = 0;

  /** A fresh file path in the directory (no database made yet). */
  path(name = `state-${++this.#count}.db`): string {
    return join(this.dir, name);
  }

  open(options: Omit<SqliteStateOptions, 'path'> & { readonly path?: string } = {}): SqliteState {
    const state = new SqliteState({ ...options, path: options.path ?? this.path() });
    this.#open.add(state);
    return state;
  }

  async reopen(previous: SqliteState, options: Omit<SqliteStateOptions, 'path'> = {}): Promise<SqliteState> {
    await this.close(previous);
    return this.open({ ...options, path: previous.path });
  }

  async close(state: SqliteState): Promise<void> {
    this.#open.delete(state);
    await state.close();
  }

  async dispose(): Promise<void> {
    for (const s of [...this.#open]) await this.close(s);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
