import { integer } from "./option-spec.js";

const HOUR_MS = 3_600_000;

/**
 * The internal tunables of a node, part of the option table (option-table.ts): the values the
 * subsystems run with, each with its unit in its name. The meaning of each is documented on the
 * subsystem's options interface (GossipOptions, TransferOptions, ...); the values, and why they
 * are what they are, are here. Only the two that already had a flag have one.
 */
export const tunableTable = {
  gossip: {
    intervalMs: integer({ default: 200, min: 10, max: 60_000, help: "a gossip round starts this often" }),
    fanout: integer({ default: 3, min: 1, max: 64, help: "peers contacted per round" }),
    requestTimeoutMs: integer({ default: 1000, min: 1, max: 60_000, help: "a slower exchange is abandoned" }),
    ringChangeIntervalMs: integer({ default: 500, min: 1, max: HOUR_MS, help: "the claimant's pace" }),
    // A restart or a short network cut comes back well within a minute; a joiner gone for longer
    // is more likely dead than slow, and a pending change must not wait on it for ever.
    joinTimeoutMs: integer({
      flag: "join-timeout-ms",
      default: 60_000,
      min: 1000,
      max: 24 * HOUR_MS,
      help: "a joining node down this long is dropped from the pending ring change (it joins afresh when back), and a replica losing a partition down this long is read around; above the failure detector's down time",
    }),
    formationDelayMs: integer({ default: 1000, min: 0, max: HOUR_MS, help: "wait before a first ring" }),
    loadReportIntervalMs: integer({ default: 5000, min: 1, max: HOUR_MS, help: "load re-announced" }),
    /**
     * With gossip every 200 ms, a heartbeat reaches every node of a small cluster within a round
     * or two, so a crashed node is down everywhere about 3.5 s after its last heartbeat (under the
     * 5 s target) and a 1 s SIGSTOP never gets past "up".
     */
    failureDetector: {
      suspectAfterMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "silence before suspect" }),
      downAfterMs: integer({ default: 3500, min: 1, max: HOUR_MS, help: "silence before down" }),
      localPauseMs: integer({ default: 1000, min: 1, max: HOUR_MS, help: "own pause: restart timers" }),
    },
    /**
     * What a relayer may tell about another member (core/membership/peer-facts.ts). Legitimate
     * gossip never comes near these: state versions move by 1 per change (joining, active,
     * leaving, left, a rejoin); a generation by 1 per restart, and one that restarted more than
     * 16 times while down for us is learnt from the node itself; heartbeats advance once per
     * round, and a round is at least 10 ms (gossip.intervalMs), so 100 per second is the fastest
     * any node ticks; 10 heartbeats of slack absorb a relay's delay (a later relay that is further
     * ahead is clamped, not lost: it still counts as progress), and bound how far behind a relayer
     * can make a member look until the member's own next message corrects it. A
     * ring moves by 1 per change and 2 to 3 per join or leave: 100 000 versions is some 30 000
     * joins and leaves a node may miss and still catch up, while a peer would need 2^40 / 10^5,
     * about 11 million, accepted rings to walk the cluster up to the counter ceiling (2^40).
     */
    peerFacts: {
      stateVersionStepMax: integer({ default: 8, min: 1, max: 1_000_000, help: "relayed state versions" }),
      generationStepMax: integer({ default: 16, min: 1, max: 1_000_000, help: "relayed generations" }),
      heartbeatsPerSecondMax: integer({ default: 100, min: 1, max: 1_000_000, help: "relayed heartbeats" }),
      heartbeatSlack: integer({ default: 10, min: 0, max: 1_000_000, help: "relayed heartbeat lead" }),
      ringVersionStepMax: integer({ default: 100_000, min: 1, max: 2 ** 40, help: "ring version jump" }),
    },
    /** One refused fact per reason is logged as a warning this often; the rest at debug. */
    refusalLogIntervalMs: integer({ default: 10_000, min: 1, max: HOUR_MS, help: "refusal warnings" }),
    /**
     * Partial digests (gossip-digest.ts): up to 32 members a full digest is a few hundred bytes
     * and not worth a change of protocol; above, each of a round's exchanges lists a different
     * slice, so a node lists each member once per round, not fanout times (at 1000 members a full
     * digest is about 20 KB). One full digest every 10 rounds (2 s) is the net for a member a
     * node never heard of; members that changed in the last 2 s (a join, a leave, a restart) go
     * in every digest so that the news spreads as fast as with full digests.
     */
    fullDigestMembersMax: integer({
      default: 32,
      min: 0,
      max: 100_000,
      help: "members up to which digests are full",
    }),
    fullDigestEveryRounds: integer({ default: 10, min: 1, max: 10_000, help: "rounds between full digests" }),
    changedMemberDigestMs: integer({
      default: 2000,
      min: 0,
      max: HOUR_MS,
      help: "changed members listed in every digest",
    }),
  },
  /**
   * Failed client authentications (with --auth required). 20 a minute per address is far more
   * than a mistyped token needs, and keeps guessing a 256-bit secret hopeless anyway; the bound on
   * sources keeps the table small under a scan from many addresses.
   */
  auth: {
    failuresPerSourceMax: integer({
      default: 20,
      min: 1,
      max: 1_000_000,
      help: "failed logins per address per window",
    }),
    failureWindowMs: integer({ default: 60_000, min: 1, max: HOUR_MS, help: "window of the failure count" }),
    sourcesMax: integer({ default: 10_000, min: 1, max: 10_000_000, help: "addresses tracked" }),
  },
  /**
   * Cluster metadata (tokens, namespace properties): a change is pushed to every node at once, and
   * a digest round each second with one random peer catches up whoever missed it, well inside the
   * 5 s a token change may take to reach every node.
   */
  metadata: {
    syncIntervalMs: integer({ default: 1000, min: 10, max: HOUR_MS, help: "a metadata digest round" }),
    // While rounds find nothing to sync; under the 5 s a token change may take to reach a node
    // that missed its push.
    idleSyncIntervalMaxMs: integer({
      default: 4000,
      min: 10,
      max: HOUR_MS,
      help: "slowest metadata digest pace while rounds find nothing to sync",
    }),
    requestTimeoutMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "one sync or push" }),
    entriesMax: integer({ default: 4096, min: 1, max: 4096, help: "entries the store holds" }),
  },
  transfer: {
    intervalMs: integer({ default: 500, min: 1, max: HOUR_MS, help: "checks for partitions to receive" }),
    // Nothing to receive until the ring changes, and a ring change brings the pace back at once.
    idleIntervalMaxMs: integer({
      default: 5000,
      min: 1,
      max: HOUR_MS,
      help: "slowest check pace while no ring change is pending",
    }),
    partitionsConcurrentMax: integer({ default: 2, min: 1, max: 1024, help: "partitions received at once" }),
    batchKeysMax: integer({ default: 256, min: 1, max: 100_000, help: "keys per streamed batch" }),
    batchBytesMax: integer({ default: 4 * 1024 * 1024, min: 1024, max: 1024 ** 3, help: "bytes per batch" }),
    requestTimeoutMs: integer({ default: 10_000, min: 1, max: HOUR_MS, help: "one batch request" }),
  },
  /**
   * Dropping stale copies after a ring change (partition-reclaim.ts). A round each second, 256
   * keys a batch, 16 in flight and 10 ms between batches: a node that gave away 100 000 keys empties
   * them in well under a minute on a LAN while each batch holds its loop for about a millisecond.
   */
  reclaim: {
    intervalMs: integer({ default: 1000, min: 1, max: HOUR_MS, help: "looks for stale partition copies" }),
    // Stale copies appear only with a ring change, which brings the pace back at once; a look is
    // a cursor per partition (256 by default), the largest idle cost before this backoff.
    idleIntervalMaxMs: integer({
      default: 10_000,
      min: 1,
      max: HOUR_MS,
      help: "slowest pace while no stale copy is held",
    }),
    batchKeysMax: integer({
      default: 256,
      min: 1,
      max: 100_000,
      help: "keys handed over and deleted per batch",
    }),
    keysInFlightMax: integer({ default: 16, min: 1, max: 1024, help: "keys handed over at once" }),
    batchPauseMs: integer({ default: 10, min: 0, max: 60_000, help: "wait between two batches" }),
    keysPerRoundMax: integer({ default: 100_000, min: 1, max: 100_000_000, help: "keys one round reclaims" }),
    requestTimeoutMs: integer({ default: 5000, min: 1, max: HOUR_MS, help: "one hand-over request" }),
  },
  /** Listing keys (src/listing): what one node is asked for at once, keys in doubt read at once. */
  listing: {
    batchKeysMax: integer({
      default: 1000,
      min: 1,
      max: 10_000,
      help: "keys one node sends per listing batch",
    }),
    resolveConcurrencyMax: integer({
      default: 16,
      min: 1,
      max: 1024,
      help: "keys replicas disagree on, read at once",
    }),
  },
  handoff: {
    intervalMs: integer({ default: 500, min: 1, max: HOUR_MS, help: "looks for deliverable hints" }),
    // Only while no hint is held: a stored hint brings the pace back at once, and while any is
    // held the pace stays at intervalMs, so a target coming back up is served within it.
    idleIntervalMaxMs: integer({
      default: 10_000,
      min: 1,
      max: HOUR_MS,
      help: "slowest pace while no hint is held",
    }),
    batchKeysMax: integer({ default: 256, min: 1, max: 100_000, help: "hints per target per round" }),
    concurrencyPerTarget: integer({ default: 8, min: 1, max: 1024, help: "hints in flight per target" }),
    targetsConcurrentMax: integer({ default: 4, min: 1, max: 1024, help: "targets served at once" }),
    requestTimeoutMs: integer({ default: 5000, min: 1, max: HOUR_MS, help: "one hint delivery" }),
    // Cassandra's max_hint_window default; it must stay below --tombstone-grace-ms (24 h by default).
    hintWindowMs: integer({
      flag: "hint-window-ms",
      default: 3 * HOUR_MS,
      min: 1,
      max: 10 * 365 * 24 * HOUR_MS,
      help: "an undelivered hint is dropped this long after it was stored (anti-entropy repairs the rest); must be below --tombstone-grace-ms",
    }),
    expireKeysPerRoundMax: integer({
      default: 1000,
      min: 1,
      max: 1_000_000,
      help: "hints the expiry sweep looks at per round",
    }),
  },
  /**
   * Ownership fencing (core/ring/ownership.ts): a write refused under a newer ring is routed again
   * after this node learns that ring. A ring moves by a version or two per change, so two
   * re-routes follow a change that lands while the write is in flight; a ring moving faster than
   * that fails the write (503) rather than chasing it.
   */
  fencing: {
    reroutesMax: integer({ default: 2, min: 0, max: 16, help: "re-routes of one refused write" }),
  },
  /**
   * Reads ask the r home replicas most likely to answer first (this node, then those up) and
   * the others only when needed (Cassandra's speculative retry): when one of the first fails,
   * when their answers do not settle the read (none holds the key), or when they have not all
   * answered within speculativeRetryMs. 0 (the default) asks every home replica at once: with
   * every node on one machine the r-first read measured 10% slower (the read waits for the
   * replicas it chose, not for the fastest r of n).
   */
  reads: {
    speculativeRetryMs: integer({
      flag: "read-speculative-ms",
      // Off: measured slower on one machine running every node (BENCHMARKS.md, "Reads that ask r replicas").
      default: 0,
      min: 0,
      max: HOUR_MS,
      help: "a read asks its first r home replicas, and the others when one fails, none holds the key, or they have not answered within this (0: every home replica at once)",
    }),
  },
  join: {
    timeoutMs: integer({ default: 60_000, min: 1, max: 24 * HOUR_MS, help: "no seed answered: give up" }),
    retryIntervalMs: integer({ default: 500, min: 1, max: HOUR_MS, help: "between rounds of seeds" }),
    requestTimeoutMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "one seed's answer" }),
  },
  antiEntropy: {
    exchangeIntervalMs: integer({
      flag: "aae-interval-ms",
      default: 500,
      min: 10,
      max: HOUR_MS,
      help: "anti-entropy pace: one round (every partition shared with one replica, compared by root) per interval",
    }),
    // A round is skipped while nothing changed here since every peer was last found in sync and
    // no peer came back up: the peer that took a write is the one whose rounds find the
    // difference. This slower round is the safety net for what no change here announces.
    idleExchangeIntervalMs: integer({
      default: 10_000,
      min: 10,
      max: HOUR_MS,
      help: "anti-entropy pace while nothing changed locally since every peer was last found in sync",
    }),
    partitionsConcurrentMax: integer({ default: 4, min: 1, max: 1024, help: "partitions exchanged at once" }),
    keysPerExchangeMax: integer({ default: 2000, min: 1, max: 1_000_000, help: "keys per exchange" }),
    segmentsPerExchangeMax: integer({ default: 256, min: 1, max: 65536, help: "segments per exchange" }),
    batchKeysMax: integer({ default: 256, min: 1, max: 100_000, help: "keys per fetch or push" }),
    batchBytesMax: integer({ default: 4 * 1024 * 1024, min: 1024, max: 1024 ** 3, help: "bytes per fetch" }),
    /**
     * Keys whose last tree digest is kept, so a write to one of them need not hash its old
     * object again (core/merkle/digest-cache.ts). About 100 bytes each; 0 turns it off.
     */
    digestCacheEntriesMax: integer({
      default: 16_384,
      min: 0,
      max: 10_000_000,
      help: "recently written keys whose anti-entropy digest is kept",
    }),
    requestTimeoutMs: integer({ default: 5000, min: 1, max: HOUR_MS, help: "one exchange request" }),
    // A power of two; every replica of a cluster must use the same (it is part of the protocol limits).
    treeSegments: integer({ default: 256, min: 64, max: 65536, help: "leaf segments per partition tree" }),
  },
  tombstones: {
    graceMs: integer({
      flag: "tombstone-grace-ms",
      default: 24 * HOUR_MS,
      min: 0,
      max: 10 * 365 * 24 * HOUR_MS,
      help: "keep a tombstone at least this long (and until every replica holds it) before reaping it",
    }),
    intervalMs: integer({ default: 100, min: 1, max: HOUR_MS, help: "the reaper's pace" }),
    // While rounds see no tombstone and no expired value; a delete or an expiring write brings
    // the pace back at once. At 2 s and 100 keys a round, a store of 100 000 live keys is walked
    // in under an hour, far inside the 24 h grace a tombstone waits anyway.
    idleIntervalMaxMs: integer({
      default: 2000,
      min: 1,
      max: HOUR_MS,
      help: "slowest reaper pace while rounds find nothing dead",
    }),
    // Small and frequent rounds: 1000 keys once a second held each node's loop for milliseconds
    // and showed in request p99 (BENCHMARKS.md).
    keysPerRoundMax: integer({ default: 100, min: 1, max: 1_000_000, help: "keys looked at per round" }),
    requestTimeoutMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "one replica's answer" }),
  },
  departure: {
    checkIntervalMs: integer({ default: 500, min: 1, max: HOUR_MS, help: "checks whether this node left" }),
    handOverTimeoutMs: integer({
      default: 60_000,
      min: 1,
      max: 24 * HOUR_MS,
      help: "hand-over after leaving",
    }),
  },
  /**
   * The process metrics' event-loop delay histogram samples once per interval, each sample a
   * timer wake-up: prom-client's 10 ms cost an idle node 0.5% of a core. At 100 ms a stall of
   * the loop longer than 100 ms is still seen whole; shorter ones are seen in proportion.
   */
  metrics: {
    eventLoopSampleIntervalMs: integer({
      default: 100,
      min: 1,
      max: 60_000,
      help: "event-loop delay sampling for the process metrics",
    }),
  },
  /** How stale a node's own load figures (keys, hints, bytes) may be when it gossips them. */
  load: {
    refreshIntervalMs: integer({ default: 1000, min: 1, max: HOUR_MS, help: "load figures re-read" }),
  },
  /** The TCP transport between nodes (TcpTransportOptions, less the node's identity and addresses). */
  peerTransport: {
    // Room for a value at its 1 MiB default limit times a handful of siblings, plus envelope.
    frameBytesMax: integer({
      default: 16 * 1024 * 1024,
      min: 64 * 1024,
      max: 0xffff_ffff,
      help: "largest frame",
    }),
    inFlightPerPeerMax: integer({ default: 256, min: 1, max: 1_000_000, help: "awaiting answers per peer" }),
    waitQueuePerPeerMax: integer({ default: 1024, min: 0, max: 1_000_000, help: "waiting per peer" }),
    connectTimeoutMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "TCP connect" }),
    handshakeTimeoutMs: integer({ default: 2000, min: 1, max: HOUR_MS, help: "the other side's hello" }),
    reconnectBackoffMinMs: integer({ default: 100, min: 0, max: HOUR_MS, help: "first wait to redial" }),
    // A peer that comes back is dialled again within a second: gossip sees it up about as fast,
    // and replication and handoff should not fail fast for longer than that.
    reconnectBackoffMaxMs: integer({ default: 1000, min: 0, max: HOUR_MS, help: "longest wait to redial" }),
    inboundConnectionsMax: integer({ default: 1024, min: 1, max: 1_000_000, help: "accepted at once" }),
  },
} as const;
