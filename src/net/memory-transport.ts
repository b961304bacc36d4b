import type { Clock } from "../clock/clock.js";
import { ConfigError } from "../errors.js";
import { type Logger, silentLogger } from "../log/logger.js";
import type { Random } from "../random/random.js";
import { PROTOCOL_VERSION } from "./handshake.js";
import { MemoryTransport, type MemoryTransportOptions } from "./memory-endpoint.js";
import { type LinkFault, MemoryFaults } from "./memory-faults.js";
import { MemoryLinkQueue } from "./memory-link-queue.js";
import type { MemoryEndpoint, MemoryPacket, MemoryRouter } from "./memory-packet.js";
import { checkName, checkPeerLimits } from "./peer-limits.js";

export { MemoryTransport, type MemoryTransportOptions } from "./memory-endpoint.js";
export type { LinkFault } from "./memory-faults.js";

export const defaultMemoryTransportOptions: MemoryTransportOptions = {
  clusterName: "ringkv",
  protocolVersion: PROTOCOL_VERSION,
  frameBytesMax: 16 * 1024 * 1024,
  inFlightPerPeerMax: 256,
  waitQueuePerPeerMax: 1024,
};

export interface MemoryNetworkComponents {
  clock: Clock;
  random: Random;
  logger?: Logger;
}

/**
 * Many nodes' transports in one process, for tests and the deterministic simulation. Packets move
 * only on the injected Clock's timers and every fault decision draws from the injected Random, so
 * a run under a virtual clock and a seeded Random is reproducible. Addresses are opaque strings.
 *
 * Ordering: packets on one directed link (from -> to) arrive in the order sent unless a delay
 * fault is set on that link (each packet then draws its own delay and may overtake others).
 * Packets on different links have no order relative to each other. Requests and their answers
 * travel on the two links between the nodes, so faults on either direction affect them.
 */
export class MemoryNetwork implements MemoryRouter {
  private readonly endpoints = new Map<string, MemoryEndpoint>();
  private readonly queues = new Map<string, MemoryLinkQueue>();
  private readonly faults: MemoryFaults;
  private readonly logger: Logger;

  constructor(private readonly components: MemoryNetworkComponents) {
    this.faults = new MemoryFaults(components.random);
    this.logger = components.logger ?? silentLogger();
  }

  /** A transport for node `nodeId` listening at `address` once started. */
  transport(nodeId: string, address: string, options: Partial<MemoryTransportOptions> = {}): MemoryTransport {
    const merged: MemoryTransportOptions = { ...defaultMemoryTransportOptions, ...options };
    checkName("nodeId", nodeId);
    checkName("address", address);
    checkName("clusterName", merged.clusterName);
    checkPeerLimits(merged);
    if (!Number.isInteger(merged.protocolVersion) || merged.protocolVersion < 0) {
      throw new ConfigError(`protocolVersion must be a non-negative integer, got ${merged.protocolVersion}`);
    }
    return new MemoryTransport(nodeId, address, merged, this, {
      clock: this.components.clock,
      logger: this.logger.child({ node: nodeId }),
    });
  }

  /** Every packet between a member of `groupA` and a member of `groupB`, either way, is lost until heal(). */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.faults.partition(groupA, groupB);
  }

  /** Removes every partition (link faults stay). */
  heal(): void {
    this.faults.heal();
  }

  /** Sets the faults of the directed link from -> to, replacing earlier ones; `{}` clears them. */
  setLinkFault(from: string, to: string, fault: LinkFault): void {
    this.faults.setLinkFault(from, to, fault);
  }

  /**
   * Sets the faults of every link that has no fault of its own (a lossy network as a whole, at
   * any size: no per-link entry is kept); `{}` clears it. setLinkFault takes precedence.
   */
  setDefaultLinkFault(fault: LinkFault): void {
    this.faults.setDefaultLinkFault(fault);
  }

  /** Clears every link's faults and the default fault. */
  clearLinkFaults(): void {
    this.faults.clearLinkFaults();
  }

  /** Packets sent and not yet delivered or lost, over all links (a simulation waits for 0). */
  get packetsInFlight(): number {
    let packets = 0;
    for (const queue of this.queues.values()) packets += queue.size;
    return packets;
  }

  register(endpoint: MemoryEndpoint): string | undefined {
    if (this.endpoints.has(endpoint.address)) return "address in use by another started transport";
    this.endpoints.set(endpoint.address, endpoint);
    return undefined;
  }

  unregister(endpoint: MemoryEndpoint): void {
    if (this.endpoints.get(endpoint.address) === endpoint) this.endpoints.delete(endpoint.address);
  }

  transmit(from: string, to: string, packet: MemoryPacket): void {
    const delaysMs = this.faults.deliveryDelaysMs(from, to);
    if (delaysMs.length === 0) return;
    const key = `${from}\n${to}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new MemoryLinkQueue(
        this.components.clock,
        (due) => this.deliver(from, to, due),
        () => this.queues.delete(key),
      );
      this.queues.set(key, queue);
    }
    for (const delayMs of delaysMs) queue.push(packet, delayMs);
  }

  queuedBytes(from: string, to: string): number {
    return this.queues.get(`${from}\n${to}`)?.queuedBytes ?? 0;
  }

  private deliver(from: string, to: string, packet: MemoryPacket): void {
    // A partition that began while the packet was in flight loses it too.
    if (this.faults.isPartitioned(from, to)) return;
    const endpoint = this.endpoints.get(to);
    switch (packet.kind) {
      case "request":
        if (endpoint === undefined) {
          this.transmit(to, from, {
            kind: "reset",
            target: packet.origin,
            requestId: packet.requestId,
            reason: `connection refused: nothing listens on ${to}`,
          });
          return;
        }
        endpoint.receive(from, packet);
        return;
      case "one-way":
        endpoint?.receive(from, packet);
        return;
      default:
        // An answer goes to the transport that asked, not to a successor on the same address.
        if (endpoint !== undefined && endpoint === packet.target) endpoint.receive(from, packet);
        return;
    }
  }
}
