import {
  Client,
  type ClientProtocol,
  type ClientSecurityOptions,
  type GetResult,
  type QuorumParams,
} from "../../client/index.js";
import { ContextCache } from "./context-cache.js";
import type { BenchConnection, BenchDriver, ReadOutcome } from "./driver.js";

export interface RingkvDriverOptions {
  /** Client API URLs; the client learns the rest of the cluster from them. */
  nodes: string[];
  r: QuorumParams["r"];
  w: QuorumParams["w"];
  connections: number;
  /** Keys whose latest context the driver remembers (see ContextCache). */
  contextCacheEntriesMax: number;
  requestTimeoutMs: number;
  /** Token and CA for a secure cluster (--token, --ca). */
  security: ClientSecurityOptions;
  /** The namespace of every key (`--ns`); absent: `default`. */
  ns?: string | undefined;
  /** The client protocol (`--protocol`); absent: the client library's default (binary). */
  protocol?: ClientProtocol | undefined;
}

export const defaultContextCacheEntriesMax = 1_000_000;

/**
 * ringkv through the package's ring-aware `Client` (each request goes straight to a home replica
 * of its key, over the binary client protocol unless `protocol` says http). ringkv keeps concurrent writes as siblings, so a write
 * without a context never overwrites: an update here is what a correct application does, a PUT
 * carrying the newest context this process saw for the key (from the load, a read or a write),
 * reading the key first when it has none. Reads answered with siblings count as found.
 */
export class RingkvDriver implements BenchDriver, BenchConnection {
  readonly target = "ringkv";
  readonly description =
    "read: GET; update: PUT with the newest context seen for the key (GET first when none); insert: PUT; read-modify-write: GET then PUT with its context";
  private readonly contexts: ContextCache;
  private readonly quorum: QuorumParams;
  private siblingReads = 0;
  private contextReads = 0;
  private writesLeavingSiblings = 0;

  private constructor(
    private readonly client: Client,
    options: RingkvDriverOptions,
  ) {
    this.contexts = new ContextCache(options.contextCacheEntriesMax);
    this.quorum = {};
    if (options.r !== undefined) this.quorum.r = options.r;
    if (options.w !== undefined) this.quorum.w = options.w;
  }

  static async open(options: RingkvDriverOptions): Promise<RingkvDriver> {
    const client = await Client.connect({
      nodes: options.nodes,
      connectionsPerNodeMax: options.connections,
      requestTimeoutMs: options.requestTimeoutMs,
      ...options.security,
      ns: options.ns,
      ...(options.protocol === undefined ? {} : { protocol: options.protocol }),
    });
    return new RingkvDriver(client, options);
  }

  /** Every bench client shares the one Client: its agents hold up to `connections` sockets per node. */
  connection(): BenchConnection {
    return this;
  }

  async read(key: string): Promise<ReadOutcome> {
    return this.noteRead(key, await this.client.get(key, this.quorum));
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    let context = this.contexts.get(key);
    if (context === undefined) {
      this.contextReads++;
      context = (await this.client.get(key, this.quorum)).context;
    }
    await this.write(key, value, context);
  }

  async insert(key: string, value: Uint8Array): Promise<void> {
    await this.write(key, value, undefined);
  }

  async readModifyWrite(key: string, value: Uint8Array): Promise<ReadOutcome> {
    const read = await this.client.get(key, this.quorum);
    const outcome = this.noteRead(key, read);
    await this.write(key, value, read.context);
    return outcome;
  }

  stats(): Record<string, number> {
    return {
      siblingReads: this.siblingReads,
      contextReads: this.contextReads,
      writesLeavingSiblings: this.writesLeavingSiblings,
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }

  private async write(key: string, value: Uint8Array, context: string | undefined): Promise<void> {
    const put = await this.client.put(
      key,
      value,
      context === undefined ? this.quorum : { ...this.quorum, context },
    );
    if (put.siblings > 1) this.writesLeavingSiblings++;
    this.contexts.set(key, put.context);
  }

  private noteRead(key: string, read: GetResult): ReadOutcome {
    this.contexts.set(key, read.context);
    if (read.status === 300) this.siblingReads++;
    return read.status === 404 ? "not-found" : "found";
  }
}
