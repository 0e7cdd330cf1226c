import { Etcd3 } from 'etcd3';

/** Compacts the etcd history up to the current revision (as an operator's compaction would); resolves to it. */
export async function compactEtcd(endpoints: readonly string[]): Promise<number> {
  const client = new Etcd3({ hosts: [...endpoints] });
  try {
    const revision = (await client.get('compact-probe').exec()).header.revision;
    await client.kv.compact({ revision, physical: true });
    return Number(revision);
  } finally {
    client.close();
  }
}
