import { DiscoveryClient, parseClusterKey } from '@cosi-ts/discovery-client';
import { DiscoveryService } from '@cosi-ts/discovery-service';
import { firstValueFrom, filter } from 'rxjs';

// Two nodes of one cluster find each other through an embedded discovery service on loopback.
export async function discoveryPair(): Promise<string[]> {
  const service = new DiscoveryService({ addr: '127.0.0.1:0' });
  const endpoint = await service.start();
  const key = parseClusterKey('kCQsKr4B28VUl7qw1sVkTDNF9fFH++ViIuKsss+C6kc='); // cluster.secret
  const stop = new AbortController();
  const nodes = ['node-1', 'node-2'].map((id) => {
    const client = new DiscoveryClient({ endpoint, insecure: true, clusterId: 'cluster1', affiliateId: id, key, clientVersion: 'v0.1.0' });
    void client.run(stop.signal);
    client.setLocalData(
      { nodeId: id, addresses: [Buffer.from([10, 5, 0, 1])], hostname: `${id}.example.org`, nodename: id, machineType: 'worker', operatingSystem: 'cosi-ts' },
      [{ ip: Buffer.from([10, 5, 0, 1]), port: 51820 }], // own endpoints (KubeSpan)
      [], // endpoints observed for other members
    );
    return client;
  });
  // Each sees the other, decrypted; the service only ever held ciphertext.
  const views = await Promise.all(nodes.map((c) => firstValueFrom(c.affiliates$.pipe(filter((list) => list.length === 1)))));
  stop.abort();
  await service.stop();
  return views.map((list) => list[0]!.affiliate.hostname); // ['node-2.example.org', 'node-1.example.org']
}
