import type { ClientProtocol, ClientSecurityOptions, QuorumParams } from "../../client/index.js";
import type { BenchDriver } from "./driver.js";
import { EtcdDriver } from "./etcd-driver.js";
import { RedisDriver } from "./redis-driver.js";
import { defaultContextCacheEntriesMax, RingkvDriver } from "./ringkv-driver.js";

export const TARGETS = ["ringkv", "redis", "etcd"] as const;
export type Target = (typeof TARGETS)[number];

export type TargetOptions =
  | {
      target: "ringkv";
      nodes: string[];
      r: QuorumParams["r"];
      w: QuorumParams["w"];
      security?: ClientSecurityOptions;
      /** The namespace every key of the run is in (`--ns`); absent: `default`. */
      ns?: string | undefined;
      /** The client protocol (`--protocol`); absent: the client library's default. */
      protocol?: ClientProtocol | undefined;
    }
  | { target: "redis"; url: string }
  | { target: "etcd"; endpoints: string[] };

/** Connects to the store under test; the redis and etcd client packages load only when chosen. */
export function openDriver(
  target: TargetOptions,
  connections: number,
  requestTimeoutMs: number,
): Promise<BenchDriver> {
  switch (target.target) {
    case "ringkv":
      return RingkvDriver.open({
        nodes: target.nodes,
        r: target.r,
        w: target.w,
        connections,
        requestTimeoutMs,
        contextCacheEntriesMax: defaultContextCacheEntriesMax,
        security: target.security ?? {},
        ns: target.ns,
        protocol: target.protocol,
      });
    case "redis":
      return RedisDriver.open({ url: target.url, connections, requestTimeoutMs });
    case "etcd":
      return EtcdDriver.open({ endpoints: target.endpoints, requestTimeoutMs });
  }
}
