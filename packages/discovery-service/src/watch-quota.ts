import { DiscoveryError } from './discovery-error.ts';

export interface WatchQuotaLimits {
  /** Open Watches per client IP. */
  readonly maxPerIp: number;
  /** Open Watches in total. */
  readonly maxTotal: number;
  /** Bytes written to Watches and not yet taken by the transport, per client IP. */
  readonly maxBacklogBytesPerIp: number;
  /** The same, over all Watches. */
  readonly maxBacklogBytes: number;
}

interface IpUsage {
  watches: number;
  backlogBytes: number;
}

/** One admitted Watch: its share of the counts, released exactly once. */
export interface WatchTicket {
  /**
   * Charges a message about to be written. A snapshot that would pass a byte budget is refused
   * (throws DiscoveryError) unless nothing else of this IP is waiting: one snapshot, however big the
   * protocol lets it be (~4.6 MB), always goes through. Later messages (≤ ~5 KB, one at a time per
   * Watch) are always charged.
   */
  charge(bytes: number, snapshot: boolean): void;
  /** The transport took `bytes` of what was charged. */
  written(bytes: number): void;
  readonly backlogBytes: number;
  /** Gives back the Watch and whatever of its bytes is still charged; idempotent. */
  release(): void;
}

/**
 * Counts open Watches and their unsent bytes per client IP and in total, so a client cannot hold
 * an unbounded number of streams or pin an unbounded amount of memory by never reading.
 * Watches without a known IP count only towards the totals.
 */
export class WatchQuota {
  readonly limits: WatchQuotaLimits;
  readonly #perIp = new Map<string, IpUsage>();
  #watches = 0;
  #backlogBytes = 0;

  constructor(limits: WatchQuotaLimits) {
    this.limits = limits;
  }

  get watches(): number {
    return this.#watches;
  }

  get backlogBytes(): number {
    return this.#backlogBytes;
  }

  /** Admits one more Watch for `ip`, or throws DiscoveryError (ResourceExhausted) naming the limit. */
  admit(ip: string | undefined): WatchTicket {
    const usage = ip === undefined ? undefined : this.#perIp.get(ip);
    if (usage !== undefined && usage.watches >= this.limits.maxPerIp) throw new DiscoveryError('too-many-watches-per-ip', this.limits.maxPerIp);
    if (this.#watches >= this.limits.maxTotal) throw new DiscoveryError('too-many-watches', this.limits.maxTotal);
    let own: IpUsage | undefined = usage;
    if (ip !== undefined && own === undefined) {
      own = { watches: 0, backlogBytes: 0 };
      this.#perIp.set(ip, own);
    }
    if (own !== undefined) own.watches++;
    this.#watches++;
    let mine = 0;
    let released = false;
    const take = (bytes: number): void => {
      const n = Math.min(bytes, mine);
      mine -= n;
      this.#backlogBytes -= n;
      if (own !== undefined) own.backlogBytes -= n;
    };
    return {
      charge: (bytes, snapshot) => {
        if (released) return;
        if (snapshot) {
          const ipBacklog = own?.backlogBytes ?? 0;
          if (ipBacklog > 0 && ipBacklog + bytes > this.limits.maxBacklogBytesPerIp) {
            throw new DiscoveryError('watch-backlog-per-ip', this.limits.maxBacklogBytesPerIp);
          }
          if (this.#backlogBytes > 0 && this.#backlogBytes + bytes > this.limits.maxBacklogBytes) {
            throw new DiscoveryError('watch-backlog', this.limits.maxBacklogBytes);
          }
        }
        mine += bytes;
        this.#backlogBytes += bytes;
        if (own !== undefined) own.backlogBytes += bytes;
      },
      written: (bytes) => take(bytes),
      get backlogBytes() {
        return mine;
      },
      release: () => {
        if (released) return;
        released = true;
        take(mine);
        this.#watches--;
        if (own !== undefined && ip !== undefined) {
          own.watches--;
          if (own.watches === 0) this.#perIp.delete(ip);
        }
      },
    };
  }
}
