import type { GossipOptions } from "../../src/cluster/gossip-options.js";
import { Gossiper } from "../../src/cluster/gossiper.js";
import { optionDefaults } from "../../src/config/node-options.js";
import {
  type ClusterState,
  type MemberRecord,
  mergeClusterStates,
  NO_LOAD,
  NO_TRANSFER,
} from "../../src/core/membership/cluster-state.js";
import { claim } from "../../src/core/ring/index.js";
import { silentLogger } from "../../src/log/logger.js";
import { type MemoryPacket, type MemoryRouter, packetBytes } from "../../src/net/memory-packet.js";
import {
  defaultMemoryTransportOptions,
  MemoryNetwork,
  MemoryTransport,
} from "../../src/net/memory-transport.js";
import { PeerClient, PeerServer, type ProtocolLimits } from "../../src/protocol/index.js";
import { SimClock } from "./sim-clock.js";
import { SimRandom } from "./sim-random.js";

export interface GossipScaleOptions {
  nodes: number;
  seed: number;
  /** Message loss on every link during the loss phase. */
  lossRate: number;
  /** Virtual ms of the steady phase (bytes measured), and of the loss phase (false suspicions counted). */
  steadyMs: number;
  lossMs: number;
  gossip: GossipOptions;
  progress: (line: string) => void;
}

export interface GossipScaleResult {
  nodes: number;
  partitions: number;
  /** Encoded (MessagePack) bytes each node sent and received per second, on average, in steady state. */
  bytesPerNodePerSecond: { sent: number; received: number };
  /** The largest message seen, in bytes. */
  messageBytesMax: number;
  /** A new member known to every node: ms after it started, and in gossip rounds. */
  join: Spread;
  /** A crashed member `down` on every node: ms after the crash. */
  death: Spread;
  /** With `lossRate` loss on every link: (observer, member) pairs that went suspect or down although the member ran. */
  loss: { rate: number; durationMs: number; falseSuspects: number; falseDowns: number; pairs: number };
  realMs: number;
}

/** When the nodes learnt of something: ms after it happened, at the median and at the last node. */
export interface Spread {
  medianMs: number;
  maxMs: number;
  /** Nodes that never learnt it in the time allowed. */
  missing: number;
  rounds: number;
}

const POLL_MS = 50;

/** A router that counts the bytes each address sends and receives, passing packets on. */
class CountingRouter implements MemoryRouter {
  sent = new Map<string, number>();
  received = new Map<string, number>();
  messageBytesMax = 0;
  counting = false;

  constructor(private readonly network: MemoryNetwork) {}

  register(endpoint: Parameters<MemoryRouter["register"]>[0]): string | undefined {
    return this.network.register(endpoint);
  }

  unregister(endpoint: Parameters<MemoryRouter["unregister"]>[0]): void {
    this.network.unregister(endpoint);
  }

  transmit(from: string, to: string, packet: MemoryPacket): void {
    const bytes = packetBytes(packet);
    this.messageBytesMax = Math.max(this.messageBytesMax, bytes);
    if (this.counting) {
      this.sent.set(from, (this.sent.get(from) ?? 0) + bytes);
      this.received.set(to, (this.received.get(to) ?? 0) + bytes);
    }
    this.network.transmit(from, to, packet);
  }

  queuedBytes(from: string, to: string): number {
    return this.network.queuedBytes(from, to);
  }
}

interface GossipNode {
  id: string;
  gossiper: Gossiper;
  transport: MemoryTransport;
}

function memberRecord(id: string, state: MemberRecord["state"]): MemberRecord {
  return {
    id,
    listen: `${id}:7000`,
    http: `${id}:8000`,
    state,
    stateVersion: 1,
    generation: 1,
    heartbeat: 0,
    load: NO_LOAD,
    transfer: NO_TRANSFER,
    ringVersion: 1,
    infoVersion: 0,
  };
}

/**
 * Membership only, at scale: one real Gossiper (with its real failure detector) per node over the
 * in-memory network, on virtual time. Measures how fast a join and a death spread, how many
 * false suspicions message loss causes, and how many bytes gossip costs.
 */
export async function runGossipScale(options: GossipScaleOptions): Promise<GossipScaleResult> {
  const startedReal = performance.now();
  const sim = new SimClock((error) => {
    throw error;
  });
  const random = new SimRandom(options.seed);
  const network = new MemoryNetwork({ clock: sim, random: random.fork("network") });
  const router = new CountingRouter(network);
  const partitions = options.nodes <= 128 ? 256 : 1024;
  const ids = Array.from({ length: options.nodes }, (_, i) => `n${String(i + 1).padStart(4, "0")}`);
  const initial: ClusterState = {
    members: ids.map((id) => memberRecord(id, "active")),
    ring: {
      version: 1,
      claimant: ids[0] as string,
      owners: claim(undefined, ids, partitions, 3),
      next: null,
    },
  };
  /** When each node first saw each watched member (join) or saw it down (death). */
  const firstSeen = new Map<string, Map<string, number>>();
  const logger = silentLogger();
  // Only gossip travels here: the limits that matter are the member count and the partitions.
  const limits: ProtocolLimits = {
    partitions,
    n: 3,
    membersMax: 10_000,
    keyBytesMax: 1024,
    valueBytesMax: 0,
    contentTypeBytesMax: 0,
    timeoutMsMax: 1,
    treeSegments: 1,
    aaeKeysMax: 0,
  };
  const nodes = new Map<string, GossipNode>();

  const startNode = (id: string, state: ClusterState, seeds: string[]): GossipNode => {
    const transport = new MemoryTransport(
      id,
      `${id}:7000`,
      { ...defaultMemoryTransportOptions, clusterName: "gossip" },
      router,
      { clock: sim, logger },
    );
    const gossiper: Gossiper = new Gossiper(
      {
        selfId: id,
        peers: new PeerClient(transport, limits),
        clock: sim,
        random: random.fork(`gossip/${id}`),
        logger,
        options: options.gossip,
        partitions,
        n: 3,
        persist: () => Promise.resolve(),
        load: () => NO_LOAD,
        onChange: (changed) => {
          for (const [watched, seen] of firstSeen) {
            if (!seen.has(id) && changed.members.some((m) => m.id === watched)) seen.set(id, sim.nowMs());
          }
        },
      },
      state,
      seeds,
    );
    const server = new PeerServer(logger);
    server.install(limits, gossiper.handlers());
    void transport.start(server);
    const node = { id, gossiper, transport };
    nodes.set(id, node);
    return node;
  };

  // Every node starts at a random point of its first interval, as real processes do.
  for (const id of ids) {
    sim.setTimeout(
      () => startNode(id, initial, []).gossiper.start(),
      random.int(0, options.gossip.intervalMs - 1),
    );
  }
  await sim.runFor(3000);
  options.progress(`${options.nodes} nodes gossiping; measuring steady state for ${options.steadyMs} ms`);

  // Steady state: bytes.
  router.counting = true;
  const steadyStart = sim.nowMs();
  await sim.runFor(options.steadyMs);
  router.counting = false;
  const seconds = (sim.nowMs() - steadyStart) / 1000;
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const bytesPerNodePerSecond = {
    sent: Math.round(sum(router.sent) / options.nodes / seconds),
    received: Math.round(sum(router.received) / options.nodes / seconds),
  };

  // A join: the new node starts from a seed's state plus itself, as fetchJoinInfo gives it.
  const joinerId = `n${String(options.nodes + 1).padStart(4, "0")}`;
  const seed = nodes.get(ids[0] as string) as GossipNode;
  firstSeen.set(joinerId, new Map());
  options.progress(`join of ${joinerId}`);
  const joinedAt = sim.nowMs();
  const joiner = startNode(
    joinerId,
    mergeClusterStates(seed.gossiper.current, { members: [memberRecord(joinerId, "joining")], ring: null }),
    [seed.transport.address],
  );
  firstSeen.get(joinerId)?.set(joinerId, joinedAt);
  joiner.gossiper.start();
  const joinSeen = firstSeen.get(joinerId) as Map<string, number>;
  await sim.runWhile(() => joinSeen.size < nodes.size, joinedAt + 30_000);
  const join = spread(joinSeen, joinedAt, nodes.size, options.gossip.intervalMs);
  await sim.runFor(2000);

  // A death: the last original node stops answering (its process is killed).
  const victim = nodes.get(ids[ids.length - 1] as string) as GossipNode;
  options.progress(`death of ${victim.id}`);
  victim.gossiper.stop();
  await victim.transport.stop();
  nodes.delete(victim.id);
  const diedAt = sim.nowMs();
  const downSeen = new Map<string, number>();
  const poll = (): void => {
    for (const node of nodes.values()) {
      if (!downSeen.has(node.id) && node.gossiper.status(victim.id) === "down")
        downSeen.set(node.id, sim.nowMs());
    }
  };
  await runPolling(sim, () => downSeen.size < nodes.size, diedAt + 30_000, poll);
  const death = spread(downSeen, diedAt, nodes.size, options.gossip.intervalMs);

  // Message loss on every link: count live members that observers suspect or declare down.
  options.progress(`${options.lossRate * 100}% loss for ${options.lossMs} ms`);
  network.setDefaultLinkFault({ dropRate: options.lossRate });
  const live = [...nodes.values()];
  const previous = new Uint8Array(live.length * live.length);
  let falseSuspects = 0;
  let falseDowns = 0;
  const rank = { up: 0, suspect: 1, down: 2 } as const;
  const lossPoll = (): void => {
    live.forEach((observer, i) => {
      live.forEach((member, j) => {
        if (i === j) return;
        const now = rank[observer.gossiper.status(member.id)];
        const before = previous[i * live.length + j] ?? 0;
        if (now > before) {
          if (now === 1) falseSuspects += 1;
          else if (before === 1) falseDowns += 1;
          else {
            falseSuspects += 1;
            falseDowns += 1;
          }
        }
        previous[i * live.length + j] = now;
      });
    });
  };
  await runPolling(sim, () => true, sim.nowMs() + options.lossMs, lossPoll, 250);
  network.clearLinkFaults();
  return {
    nodes: options.nodes,
    partitions,
    bytesPerNodePerSecond,
    messageBytesMax: router.messageBytesMax,
    join,
    death,
    loss: {
      rate: options.lossRate,
      durationMs: options.lossMs,
      falseSuspects,
      falseDowns,
      pairs: live.length * (live.length - 1),
    },
    realMs: Math.round(performance.now() - startedReal),
  };
}

/** Runs the clock until `keepGoing` fails or `untilMs`, calling `poll` every `everyMs` of virtual time. */
async function runPolling(
  sim: SimClock,
  keepGoing: () => boolean,
  untilMs: number,
  poll: () => void,
  everyMs = POLL_MS,
): Promise<void> {
  while (keepGoing() && sim.nowMs() < untilMs) {
    await sim.runFor(everyMs);
    poll();
  }
}

function spread(
  seen: ReadonlyMap<string, number>,
  fromMs: number,
  total: number,
  intervalMs: number,
): Spread {
  const delays = [...seen.values()].map((t) => t - fromMs).sort((a, b) => a - b);
  const maxMs = delays[delays.length - 1] ?? Number.NaN;
  return {
    medianMs: delays[Math.floor(delays.length / 2)] ?? Number.NaN,
    maxMs,
    missing: total - delays.length,
    rounds: Math.ceil(maxMs / intervalMs),
  };
}

/** The gossip options a node runs with (the option table's). */
export const defaultGossipOptions: GossipOptions = optionDefaults.gossip;
