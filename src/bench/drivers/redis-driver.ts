import type { Redis } from "ioredis";
import type { BenchConnection, BenchDriver, ReadOutcome } from "./driver.js";
import { importOptional } from "./optional-module.js";

export interface RedisDriverOptions {
  /** `redis://127.0.0.1:6379` */
  url: string;
  connections: number;
  requestTimeoutMs: number;
}

/** One Redis connection: GET and SET, read-modify-write as GET then SET. */
class RedisConnection implements BenchConnection {
  constructor(private readonly redis: Redis) {}

  async read(key: string): Promise<ReadOutcome> {
    return (await this.redis.getBuffer(key)) === null ? "not-found" : "found";
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await this.redis.set(key, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  insert(key: string, value: Uint8Array): Promise<void> {
    return this.update(key, value);
  }

  async readModifyWrite(key: string, value: Uint8Array): Promise<ReadOutcome> {
    const outcome = await this.read(key);
    await this.update(key, value);
    return outcome;
  }
}

/** Redis through ioredis, one TCP connection per bench client (no pipelining across clients). */
export class RedisDriver implements BenchDriver {
  readonly target = "redis";
  readonly description = "read: GET; update and insert: SET; read-modify-write: GET then SET";

  private constructor(
    private readonly clients: Redis[],
    private readonly connections: RedisConnection[],
  ) {}

  static async open(options: RedisDriverOptions): Promise<RedisDriver> {
    const { Redis } = await importOptional("ioredis", "6.0.0", () => import("ioredis"));
    const clients: Redis[] = [];
    try {
      for (let i = 0; i < options.connections; i++) {
        const client = new Redis(options.url, {
          lazyConnect: true,
          enableAutoPipelining: false,
          maxRetriesPerRequest: 0,
          enableOfflineQueue: false,
          connectTimeout: options.requestTimeoutMs,
          commandTimeout: options.requestTimeoutMs,
          // A bench run reports failures; it does not reconnect behind the measurement's back.
          retryStrategy: () => null,
        });
        clients.push(client);
        await client.connect();
      }
    } catch (error) {
      for (const client of clients) client.disconnect();
      throw error;
    }
    return new RedisDriver(
      clients,
      clients.map((c) => new RedisConnection(c)),
    );
  }

  connection(index: number): BenchConnection {
    return this.connections[index % this.connections.length]!;
  }

  stats(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
  }
}
