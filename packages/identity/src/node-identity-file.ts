import { lstat, mkdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { checkOptions, knownOptions } from '@cosi-ts/resource';
import { createFileExclusive, type CreateFileResult } from '@cosi-ts/cluster';
import { decodeBase62, encodeBase62, isBase62 } from './base62.ts';
import { NODE_ID_BYTES, newNodeId } from './node-id.ts';
import { NodeIdentityError } from './node-identity-error.ts';

export const NODE_IDENTITY_FILE = 'node-identity.yaml';

const LOAD_OPTIONS = knownOptions('generate', 'beforeLink');

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

/**
 * Parses the file content; anything but `nodeId: <Talos base62 of 32 bytes>` is an error naming the path.
 * YAML is read with the failsafe schema, so that every scalar is a string as in Talos' Go struct
 * (`nodeId: 12345` is the string "12345", leading zeros kept); the yaml library's warnings are
 * collected and refused rather than printed as process warnings (the controller retries a bad file).
 */
export function parseNodeIdentity(path: string, content: string): string {
  if (content.trim() === '') throw new NodeIdentityError(path, 'empty', 'file is empty');
  const doc = parseDocument(content, { schema: 'failsafe', prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    throw new NodeIdentityError(path, 'invalid-yaml', `not valid YAML (${problem.message.split('\n')[0]})`, { cause: problem });
  }
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NodeIdentityError(path, 'invalid-yaml', 'expected a mapping with key nodeId');
  }
  const nodeId: unknown = (value as Record<string, unknown>)['nodeId'];
  if (nodeId === undefined || nodeId === null || nodeId === '') {
    throw new NodeIdentityError(path, 'missing-node-id', 'nodeId is missing or empty');
  }
  if (typeof nodeId !== 'string') {
    throw new NodeIdentityError(path, 'invalid-node-id', `nodeId must be a string, got a ${Array.isArray(nodeId) ? 'list' : 'mapping'}`);
  }
  if (!isBase62(nodeId)) {
    throw new NodeIdentityError(path, 'invalid-node-id', 'nodeId must be a base62 string (A-Z a-z 0-9)');
  }
  checkNodeIdShape(path, nodeId);
  return nodeId;
}

/** What Talos generates: 32 random bytes in its bitwise base62, 43–45 characters, in canonical form. */
function checkNodeIdShape(path: string, nodeId: string): void {
  const shown = nodeId.length > 60 ? `${JSON.stringify(nodeId.slice(0, 20))}…` : JSON.stringify(nodeId);
  const bytes = decodeBase62(nodeId);
  if (bytes.length !== NODE_ID_BYTES) {
    throw new NodeIdentityError(
      path,
      'invalid-node-id',
      `nodeId ${shown} is ${nodeId.length} characters decoding to ${bytes.length} bytes; a NodeID is ${NODE_ID_BYTES} bytes in Talos base62 (43–45 characters)`,
    );
  }
  if (encodeBase62(bytes) !== nodeId) {
    throw new NodeIdentityError(
      path,
      'invalid-node-id',
      `nodeId ${shown} (${nodeId.length} characters) decodes to ${NODE_ID_BYTES} bytes but is not their canonical base62 (${JSON.stringify(encodeBase62(bytes))}); a NodeID is ${NODE_ID_BYTES} bytes in Talos base62`,
    );
  }
}

/** The file's exact content, kept identical to Talos' `nodeId: <id>\n`. */
export function formatNodeIdentity(nodeId: string): string {
  return `nodeId: ${nodeId}\n`;
}

async function readExisting(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      await refuseDanglingSymlink(path);
      return undefined;
    }
    throw new NodeIdentityError(path, 'unreadable', `cannot be read (${errnoCode(e) ?? String(e)})`, { cause: e });
  }
}

/**
 * ENOENT on read also means a symlink whose target is missing (an unmounted volume, a moved file):
 * that is not "no identity yet", and creating one beside it would fail anyway (the name is taken).
 */
async function refuseDanglingSymlink(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (st?.isSymbolicLink() !== true) return;
  const target = await readlink(path).catch(() => '(unreadable)');
  throw new NodeIdentityError(path, 'dangling-symlink', `is a symbolic link to ${target}, which does not exist (an unmounted volume?)`);
}

/**
 * Loads `<stateDir>/node-identity.yaml`, creating it (and a missing state dir, 0700) when absent.
 * Creation is atomic and exclusive: the content is made durable in a temp file first and then
 * hard-linked into place, so a crash never leaves a partial file and concurrent starters agree
 * on the first writer's ID. A present but unusable file is an error, never replaced.
 */
export async function loadOrCreateNodeIdentity(stateDir: string, opts: LoadNodeIdentityOptions = {}): Promise<NodeIdentityResult> {
  const path = join(stateDir, NODE_IDENTITY_FILE);
  checkOptions(`loadOrCreateNodeIdentity ${path}`, opts, LOAD_OPTIONS);
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
