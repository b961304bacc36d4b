import { CONFLICT_MODES } from "../core/conflict-mode.js";
import { LOG_LEVELS } from "../log/logger.js";
import { defaultClusterSettings } from "./cluster-settings.js";
import {
  address,
  addressList,
  choice,
  integer,
  optionalAddress,
  optionalChoice,
  optionalInteger,
  optionalText,
  required,
  text,
  toggle,
} from "./option-spec.js";
import { tunableTable } from "./tunable-table.js";

/** Whether client requests must authenticate (`required`) or not (`none`, the default). */
export const AUTH_MODES = ["none", "required"] as const;

/** How `ringkv start` writes its log lines. */
export const LOG_FORMATS = ["json", "pretty", "auto"] as const;

/**
 * Every option of a node, once: its `ringkv start` flag (and so its `RINGKV_<FLAG>` variable and
 * help line), its default and its bounds. `NodeOptions` is derived from this table, `ringkv
 * start`'s flags are generated from it, and the internal tunables (tunable-table.ts) are part of
 * it. Checks across options (R at most N, a wildcard bind needs an advertised address) are in
 * validateNodeOptions.
 */
export const optionTable = {
  id: required({ flag: "id", help: "node id, unique in the cluster (A-Z a-z 0-9 . _ -)" }),
  listen: address({
    flag: "listen",
    default: { host: "127.0.0.1", port: 7001 },
    portZero: true,
    help: "inter-node (gossip + replication) address",
  }),
  http: address({
    flag: "http",
    default: { host: "127.0.0.1", port: 8001 },
    portZero: true,
    help: "client HTTP API address",
  }),
  /**
   * The inter-node address peers dial, when it is not `listen` (a container bound to 0.0.0.0 and
   * reached by its host name, or behind NAT). Gossiped and sent in the handshake.
   */
  advertiseListen: optionalAddress({
    flag: "advertise-listen",
    help: "inter-node address peers dial, when not --listen (required when --listen is 0.0.0.0; e.g. a container's host name)",
  }),
  /** The client API address announced to peers and clients (/cluster/members), when it is not `http`. */
  advertiseHttp: optionalAddress({
    flag: "advertise-http",
    help: "client API address announced to peers and clients, when not --http (default: --http, or with a 0.0.0.0 bind the advertised inter-node host and the --http port)",
  }),
  dataDir: required({
    flag: "data-dir",
    shownDefault: "./data/<id>",
    help: "data directory, created if missing",
  }),
  /** Nodes only talk to nodes of the same cluster name (checked in the transport handshake). */
  clusterName: text({
    flag: "cluster-name",
    default: "ringkv",
    help: "nodes only join nodes of the same cluster name",
  }),
  /** The node's failure domain; the claim keeps a partition's home replicas in distinct zones. */
  zone: optionalText({
    flag: "zone",
    help: "failure domain of this node (rack, machine, availability zone; 1..64 of A-Z a-z 0-9 . _ -); home replicas go to distinct zones",
  }),
  seeds: addressList({ flag: "seeds", help: "comma-separated inter-node addresses of existing members" }),
  /**
   * Cluster settings given on the command line; unset ones are adopted from the stored (or the
   * joined) cluster, or, for a new cluster, taken from defaultClusterSettings.
   */
  cluster: {
    n: optionalInteger({
      flag: "n",
      min: 1,
      max: 64,
      shownDefault: String(defaultClusterSettings.n),
      help: "replicas per key, fixed at cluster creation",
    }),
    r: optionalInteger({
      flag: "r",
      min: 1,
      max: 64,
      shownDefault: "a majority of N",
      help: "default read quorum",
    }),
    w: optionalInteger({
      flag: "w",
      min: 1,
      max: 64,
      shownDefault: "a majority of N",
      help: "default write quorum",
    }),
    partitions: optionalInteger({
      flag: "partitions",
      min: 1,
      max: 65536,
      shownDefault: String(defaultClusterSettings.partitions),
      help: "partitions Q, a power of two, fixed at cluster creation",
    }),
    conflictMode: optionalChoice(CONFLICT_MODES, {
      flag: "conflict-mode",
      shownDefault: defaultClusterSettings.conflictMode,
      help: "causal (siblings, no write lost) or lww (last write wins by hybrid logical clock; concurrent writes are dropped), fixed at cluster creation",
    }),
  },
  /** Limits on what clients may send; crossing one is a clear 4xx. */
  limits: {
    // Storage keys (LMDB, 4 KiB pages) hold at most 1978 bytes: partition or hint prefixes plus the user key.
    keyBytesMax: integer({
      flag: "max-key-bytes",
      default: 1024,
      min: 1,
      max: 1900,
      help: "largest key in bytes",
    }),
    valueBytesMax: integer({
      flag: "max-value-bytes",
      default: 1024 * 1024,
      min: 0,
      max: 512 * 1024 * 1024,
      help: "largest value in bytes",
    }),
    /**
     * A key's whole stored object (every sibling, with its history) at most; a write that would
     * leave it larger is refused (409 object_too_large) unless it makes the object smaller.
     */
    objectBytesMax: integer({
      flag: "max-object-bytes",
      default: 8 * 1024 * 1024,
      min: 1024,
      max: 1024 * 1024 * 1024,
      help: "largest stored object of a key (all its siblings); a write leaving a larger one gets 409, one that shrinks it is always accepted",
    }),
    /** A write that would leave more siblings than this is refused (409 too_many_siblings). */
    siblingsMax: integer({
      flag: "max-siblings",
      default: 100,
      min: 1,
      max: 10_000,
      help: "a write leaving more siblings is refused (409)",
    }),
    /** Above this many siblings a write is logged and counted as a warning (at most siblingsMax). */
    siblingsWarn: integer({
      flag: "warn-siblings",
      default: 25,
      min: 1,
      max: 10_000,
      help: "more siblings than this is logged and counted",
    }),
    /** Hints this node holds for one home replica at most; beyond it, it refuses to be that replica's fallback. */
    hintsPerTargetMax: integer({
      flag: "max-hints-per-node",
      default: 1_000_000,
      min: 0,
      max: 1_000_000_000,
      help: "hints held for one home replica at most (0: keep no hints); beyond it this node stores no more for it",
    }),
    /** At most timeoutMsMax. */
    timeoutMsDefault: integer({
      flag: "timeout-ms",
      default: 5000,
      min: 1,
      max: 3_600_000,
      help: "default request timeout",
    }),
    timeoutMsMax: integer({
      flag: "max-timeout-ms",
      default: 60_000,
      min: 1,
      max: 3_600_000,
      help: "largest timeout_ms a client may ask for",
    }),
    contentTypeBytesMax: integer({
      default: 256,
      min: 1,
      max: 64 * 1024,
      help: "longest Content-Type stored",
    }),
    contextBytesMax: integer({ default: 8192, min: 1, max: 1024 * 1024, help: "longest context header" }),
  },
  httpServer: {
    /** Open client connections beyond this are refused by the server. */
    connectionsMax: integer({
      flag: "max-connections",
      default: 4096,
      min: 1,
      max: 1_000_000,
      help: "open client connections",
    }),
    /** Requests being handled at once; more get 503 overloaded at once rather than queueing. */
    requestsInFlightMax: integer({
      flag: "max-requests-in-flight",
      default: 8192,
      min: 1,
      max: 1_000_000,
      help: "client requests handled at once; more get 503",
    }),
    headersBytesMax: integer({
      default: 16 * 1024,
      min: 1024,
      max: 1024 * 1024,
      help: "largest request headers",
    }),
    /** A client that does not finish sending its headers in this time is disconnected. */
    headersTimeoutMs: integer({ default: 10_000, min: 1, max: 3_600_000, help: "time to send the headers" }),
    /** A request (headers and body) must arrive in this time. */
    requestTimeoutMs: integer({ default: 60_000, min: 1, max: 3_600_000, help: "time to send a request" }),
    keepAliveTimeoutMs: integer({ default: 5000, min: 1, max: 3_600_000, help: "idle keep-alive time" }),
    /** Binary client protocol (docs/client-protocol.md): requests one connection may have in flight. */
    binaryRequestsPerConnectionMax: integer({
      default: 1024,
      min: 1,
      max: 1_000_000,
      help: "binary client protocol: requests in flight per connection; more get 503",
    }),
    /**
     * A binary connection with nothing in flight is closed after this long without a request.
     * Clients close their own idle connections sooner (the client library after 60 s), so the
     * node seldom closes one a request is already on its way over.
     */
    binaryIdleTimeoutMs: integer({
      default: 300_000,
      min: 1,
      max: 86_400_000,
      help: "binary client protocol: idle connection time",
    }),
    /** On shutdown, in-flight requests get this long to finish before connections are cut. */
    shutdownGraceMs: integer({
      flag: "shutdown-grace-ms",
      default: 10_000,
      min: 0,
      max: 86_400_000,
      help: "time in-flight requests get to finish on shutdown",
    }),
  },
  storage: {
    /** The LMDB map may grow to this many bytes; writes beyond it fail with 507 storage_full. */
    mapSizeBytesMax: integer({
      flag: "max-storage-bytes",
      default: 64 * 1024 ** 3,
      min: 1024 * 1024,
      max: Number.MAX_SAFE_INTEGER,
      help: "storage size limit; writes beyond it get 507",
    }),
  },
  /**
   * Security, off by default (docs/security.md). The three peer files together make the
   * inter-node port mutual TLS only; the certificate's CN must be this node's --id.
   */
  security: {
    peerTlsCert: optionalText({
      flag: "peer-tls-cert",
      help: "inter-node TLS certificate (PEM, CN = --id); with --peer-tls-key and --peer-tls-ca, peers must use mutual TLS",
    }),
    peerTlsKey: optionalText({ flag: "peer-tls-key", help: "inter-node TLS private key (PEM)" }),
    peerTlsCa: optionalText({
      flag: "peer-tls-ca",
      help: "CA certificates (PEM) peers' certificates must be signed by",
    }),
    httpTlsCert: optionalText({
      flag: "http-tls-cert",
      help: "client API TLS certificate (PEM); with --http-tls-key the client port is HTTPS only (reloaded on SIGHUP)",
    }),
    httpTlsKey: optionalText({ flag: "http-tls-key", help: "client API TLS private key (PEM)" }),
    httpTlsCa: optionalText({
      flag: "http-tls-ca",
      help: "CA (PEM) whose client certificates authenticate as the token named by their CN",
    }),
    auth: choice(AUTH_MODES, {
      flag: "auth",
      default: "none",
      help: "required: every request but GET /health needs a token or client certificate",
    }),
    adminTokenFile: optionalText({
      flag: "admin-token-file",
      help: "file whose first line is an admin token (at least 32 characters), valid on every node",
    }),
    metricsPublic: toggle({
      flag: "metrics-public",
      help: "serve /metrics without authentication (otherwise admin only when --auth required)",
    }),
  },
  /** Testing only: serve /admin/faults, which drops or delays traffic to and from given peers. */
  faultInjection: toggle({
    flag: "enable-fault-injection",
    help: "TESTING ONLY: serve /admin/faults to drop or delay traffic to/from given peers",
  }),
  logLevel: choice(LOG_LEVELS, {
    flag: "log-level",
    default: "info",
    help: `one of ${LOG_LEVELS.join(", ")}`,
  }),
  logFormat: choice(LOG_FORMATS, {
    flag: "log-format",
    default: "auto",
    help: "json, pretty, or auto (pretty on a TTY)",
  }),
  ...tunableTable,
} as const;
