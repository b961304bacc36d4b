import { systemClock } from "../../src/clock/clock.js";
import { type ClusterSettings, defaultNodeOptions } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import type { MemoryNetwork } from "../../src/net/memory-transport.js";
import { RingkvNode } from "../../src/node.js";
import { systemRandom } from "../../src/random/random.js";
import type { MemoryEngine } from "../../src/storage/memory-engine.js";

/**
 * A RingkvNode on the in-memory network and a memory engine, in real time, with its client API
 * on a free port of 127.0.0.1: for tests that need to reach inside a node (a failing disk, a
 * message at a chosen moment) while clients still speak HTTP to it.
 */
export function memoryNode(
  network: MemoryNetwork,
  id: string,
  storage: MemoryEngine,
  seeds: string[],
  cluster: Partial<ClusterSettings>,
): RingkvNode {
  const address = `${id}:7000`;
  const options = defaultNodeOptions({
    id,
    listen: { host: id, port: 7000 },
    http: { host: "127.0.0.1", port: 0 },
    dataDir: `/nonexistent/${id}`,
    seeds: seeds.map((s) => ({ host: s.split(":")[0] as string, port: Number(s.split(":")[1]) })),
    cluster,
    logLevel: "silent",
  });
  return new RingkvNode(options, {
    clock: systemClock,
    random: systemRandom,
    storage,
    transport: network.transport(id, address),
    logger: silentLogger(),
    processMetrics: false,
  });
}
