import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createFileExclusive, type CreateFileResult } from '@cosi-ts/cluster';
import { isBase62 } from './base62.ts';
import { newNodeId } from './node-id.ts';
import { NodeIdentityError } from './node-identity-error.ts';

export const NODE_IDENTITY_FILE = 'node-identity.yaml';

export interface NodeIdentityResult {
  readonly nodeId: string;
  readonly path: string;
  /** True when this call wrote the file (the state dir had no identity yet). */
  readonly created: boolean;
}

export interface LoadNodeIdentityOptions {
  /** Replaces the random ID generator (tests). */
  readonly generate?: () => string;
  /** Called after the temp file is durable and before it is linked in place (crash tests). */
  readonly beforeLink?: () => void | Promise<void>;
}

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

/** Parses the file content; anything but `nodeId: <base62>` is an error naming the path. */
export function parseNodeIdentity(path: string, content: string): string {
  if (content.trim() === '') throw new NodeIdentityError(path, 'empty', 'file is empty');
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (e) {
    throw new NodeIdentityError(path, 'invalid-yaml', `not valid YAML (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new NodeIdentityError(path, 'invalid-yaml', 'expected a mapping with key nodeId');
  }
  const nodeId: unknown = (doc as Record<string, unknown>)['nodeId'];
  if (nodeId === undefined || nodeId === null || nodeId === '') {
    throw new NodeIdentityError(path, 'missing-node-id', 'nodeId is missing or empty');
  }
  if (typeof nodeId !== 'string' || !isBase62(nodeId)) {
    throw new NodeIdentityError(path, 'invalid-node-id', 'nodeId must be a base62 string (A-Z a-z 0-9)');
  }
  return nodeId;
}

/** The file's exact content, kept identical to Talos' `nodeId: <id>\n`. */
export function formatNodeIdentity(nodeId: string): string {
  return `nodeId: ${nodeId}\n`;
}

async function readExisting(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw new NodeIdentityError(path, 'unreadable', `cannot be read (${errnoCode(e) ?? String(e)})`, { cause: e });
  }
}

/**
 * Loads `<stateDir>/node-identity.yaml`, creating it (and a missing state dir, 0700) when absent.
 * Creation is atomic and exclusive: the content is made durable in a temp file first and then
 * hard-linked into place, so a crash never leaves a partial file and concurrent starters agree
 * on the first writer's ID. A present but unusable file is an error, never replaced.
 */
export async function loadOrCreateNodeIdentity(stateDir: string, opts: LoadNodeIdentityOptions = {}): Promise<NodeIdentityResult> {
  const path = join(stateDir, NODE_IDENTITY_FILE);
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new NodeIdentityError(path, 'write-failed', `cannot create the state directory ${stateDir} (${errnoCode(e) ?? String(e)})`, { cause: e });
  }
  const existing = await readExisting(path);
  if (existing !== undefined) return { nodeId: parseNodeIdentity(path, existing), path, created: false };

  const nodeId = (opts.generate ?? newNodeId)();
  let placed: CreateFileResult;
  try {
    placed = await createFileExclusive(path, formatNodeIdentity(nodeId), opts.beforeLink === undefined ? {} : { beforeLink: opts.beforeLink });
  } catch (e) {
    throw new NodeIdentityError(path, 'write-failed', `cannot be created (${errnoCode(e) ?? String(e)})`, { cause: e });
  }
  if (placed === 'placed') return { nodeId, path, created: true };
  // Another writer won the race: its file is complete (it was linked whole), so use its ID.
  const winner = await readExisting(path);
  if (winner === undefined) {
    throw new NodeIdentityError(path, 'unreadable', 'disappeared while being created');
  }
  return { nodeId: parseNodeIdentity(path, winner), path, created: false };
}
