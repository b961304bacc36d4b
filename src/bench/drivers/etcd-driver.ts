import type { Etcd3 } from "etcd3";
import type { BenchConnection, BenchDriver, ReadOutcome } from "./driver.js";
import { importOptional } from "./optional-module.js";

export interface EtcdDriverOptions {
  /** Client endpoints, `http://127.0.0.1:2379`. */
  endpoints: string[];
  requestTimeoutMs: number;
}

/**
 * etcd through the etcd3 package: one gRPC client over every endpoint (HTTP/2 multiplexes the
 * bench clients' requests; the package spreads calls over the endpoints). Reads are etcd's
 * default, linearizable ranges; writes are puts, each committed by the Raft majority.
 */
export class EtcdDriver implements BenchDriver, BenchConnection {
  readonly target = "etcd";
  readonly description =
    "read: Range (linearizable); update and insert: Put; read-modify-write: Range then Put";

  private constructor(private readonly client: Etcd3) {}

  static async open(options: EtcdDriverOptions): Promise<EtcdDriver> {
    const { Etcd3 } = await importOptional("etcd3", "1.1.2", () => import("etcd3"));
    const client = new Etcd3({
      hosts: options.endpoints,
      dialTimeout: options.requestTimeoutMs,
      defaultCallOptions: () => ({ deadline: Date.now() + options.requestTimeoutMs }),
    });
    return new EtcdDriver(client);
  }

  connection(): BenchConnection {
    return this;
  }

  async read(key: string): Promise<ReadOutcome> {
    return (await this.client.get(key).buffer()) === null ? "not-found" : "found";
  }

  async update(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  insert(key: string, value: Uint8Array): Promise<void> {
    return this.update(key, value);
  }

  async readModifyWrite(key: string, value: Uint8Array): Promise<ReadOutcome> {
    const outcome = await this.read(key);
    await this.update(key, value);
    return outcome;
  }

  stats(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
