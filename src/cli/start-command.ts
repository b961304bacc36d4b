import { defaultAntiEntropyOptions } from "../cluster/anti-entropy.js";
import { defaultTombstoneOptions } from "../cluster/tombstone-reaper.js";
import { type Address, parseAddress } from "../config/address.js";
import {
  defaultHttpServerLimits,
  defaultRequestLimits,
  defaultStorageSettings,
  type NodeOptions,
  validateClusterSettings,
  validateNodeOptions,
} from "../config/node-options.js";
import { type ConflictMode, isConflictMode } from "../core/conflict-mode.js";
import { ConfigError } from "../errors.js";
import { createLogger, LOG_LEVELS, type LogLevel } from "../log/logger.js";
import { createNode } from "../node/real-components.js";
import { type CommandSpec, integerFlag, type ParsedFlags, requiredString } from "./flags.js";

const l = defaultRequestLimits;
const h = defaultHttpServerLimits;

export const startSpec: CommandSpec = {
  name: "start",
  summary: "Run a ringkv node in the foreground (logs to stderr; SIGTERM/SIGINT stop it cleanly).",
  usage:
    "ringkv start --id n1 --listen 127.0.0.1:7001 --http 127.0.0.1:8001 --data-dir ./data/n1 [--seeds host:port,...] [--n 3] [--r 2] [--w 2] [--partitions 256] [--conflict-mode causal|lww]",
  positionals: [0, 0],
  flags: [
    {
      name: "id",
      type: "string",
      env: true,
      description: "node id, unique in the cluster (A-Z a-z 0-9 . _ -)",
    },
    {
      name: "listen",
      type: "string",
      env: true,
      default: "127.0.0.1:7001",
      description: "inter-node (gossip + replication) address",
    },
    {
      name: "http",
      type: "string",
      env: true,
      default: "127.0.0.1:8001",
      description: "client HTTP API address",
    },
    {
      name: "advertise-listen",
      type: "string",
      env: true,
      description:
        "inter-node address peers dial, when not --listen (required when --listen is 0.0.0.0; e.g. a container's host name)",
    },
    {
      name: "advertise-http",
      type: "string",
      env: true,
      description:
        "client API address announced to peers and clients, when not --http (default: --http, or with a 0.0.0.0 bind the advertised inter-node host and the --http port)",
    },
    {
      name: "data-dir",
      type: "string",
      env: true,
      description: "data directory, created if missing (default ./data/<id>)",
    },
    {
      name: "cluster-name",
      type: "string",
      env: true,
      default: "ringkv",
      description: "nodes only join nodes of the same cluster name",
    },
    {
      name: "seeds",
      type: "string",
      env: true,
      description: "comma-separated inter-node addresses of existing members",
    },
    {
      name: "n",
      type: "integer",
      env: true,
      description: "replicas per key, fixed at cluster creation (default 3)",
    },
    { name: "r", type: "integer", env: true, description: "default read quorum (default a majority of N)" },
    { name: "w", type: "integer", env: true, description: "default write quorum (default a majority of N)" },
    {
      name: "partitions",
      type: "integer",
      env: true,
      description: "partitions Q, a power of two, fixed at cluster creation (default 256)",
    },
    {
      name: "conflict-mode",
      type: "string",
      env: true,
      description:
        "causal (siblings, no write lost) or lww (last write wins by hybrid logical clock; concurrent writes are dropped), fixed at cluster creation (default causal)",
    },
    {
      name: "max-key-bytes",
      type: "integer",
      env: true,
      default: String(l.keyBytesMax),
      description: "largest key in bytes",
    },
    {
      name: "max-value-bytes",
      type: "integer",
      env: true,
      default: String(l.valueBytesMax),
      description: "largest value in bytes",
    },
    {
      name: "max-siblings",
      type: "integer",
      env: true,
      default: String(l.siblingsMax),
      description: "a write leaving more siblings is refused (409)",
    },
    {
      name: "warn-siblings",
      type: "integer",
      env: true,
      default: String(l.siblingsWarn),
      description: "more siblings than this is logged and counted",
    },
    {
      name: "max-hints-per-node",
      type: "integer",
      env: true,
      default: String(l.hintsPerTargetMax),
      description: "hints held for one down node at most; beyond it this node is not its fallback",
    },
    {
      name: "timeout-ms",
      type: "integer",
      env: true,
      default: String(l.timeoutMsDefault),
      description: "default request timeout",
    },
    {
      name: "max-timeout-ms",
      type: "integer",
      env: true,
      default: String(l.timeoutMsMax),
      description: "largest timeout_ms a client may ask for",
    },
    {
      name: "max-connections",
      type: "integer",
      env: true,
      default: String(h.connectionsMax),
      description: "open client connections",
    },
    {
      name: "max-requests-in-flight",
      type: "integer",
      env: true,
      default: String(h.requestsInFlightMax),
      description: "client requests handled at once; more get 503",
    },
    {
      name: "max-storage-bytes",
      type: "integer",
      env: true,
      default: String(defaultStorageSettings.mapSizeBytesMax),
      description: "storage size limit; writes beyond it get 507",
    },
    {
      name: "shutdown-grace-ms",
      type: "integer",
      env: true,
      default: String(h.shutdownGraceMs),
      description: "time in-flight requests get to finish on shutdown",
    },
    {
      name: "aae-interval-ms",
      type: "integer",
      env: true,
      default: String(defaultAntiEntropyOptions.exchangeIntervalMs),
      description: "anti-entropy rate: one Merkle exchange (one partition with one replica) per interval",
    },
    {
      name: "tombstone-grace-ms",
      type: "integer",
      env: true,
      default: String(defaultTombstoneOptions.graceMs),
      description: "keep a tombstone at least this long (and until every replica holds it) before reaping it",
    },
    {
      name: "enable-fault-injection",
      type: "boolean",
      env: true,
      description: "TESTING ONLY: serve /admin/faults to drop or delay traffic to/from given peers",
    },
    {
      name: "log-level",
      type: "string",
      env: true,
      default: "info",
      description: `one of ${LOG_LEVELS.join(", ")}`,
    },
    {
      name: "log-format",
      type: "string",
      env: true,
      default: "auto",
      description: "json, pretty, or auto (pretty on a TTY)",
    },
  ],
};

/** Turns parsed flags into validated node options; every problem is a ConfigError naming the flag. */
export function nodeOptionsFromFlags(flags: ParsedFlags): NodeOptions {
  const id = requiredString(flags, startSpec, "id");
  const seedsText = flags.strings.get("seeds") ?? "";
  const seeds = seedsText === "" ? [] : seedsText.split(",").map((s) => parseAddress(s, "--seeds"));
  const cluster = {
    n: integerFlag(flags, "n"),
    r: integerFlag(flags, "r"),
    w: integerFlag(flags, "w"),
    partitions: integerFlag(flags, "partitions"),
    conflictMode: conflictModeFlag(flags),
  };
  // Check what can be checked before touching the disk; stored settings are checked at start.
  const n = cluster.n ?? 3;
  validateClusterSettings({
    n,
    r: cluster.r ?? 1,
    w: cluster.w ?? 1,
    partitions: cluster.partitions ?? 256,
    conflictMode: cluster.conflictMode ?? "causal",
  });
  const logLevel = flags.strings.get("log-level") ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel}"`);
  }
  const num = (name: string, fallback: number): number => integerFlag(flags, name) ?? fallback;
  return validateNodeOptions({
    id,
    clusterName: flags.strings.get("cluster-name") ?? "ringkv",
    listen: parseAddress(flags.strings.get("listen") ?? "", "--listen", true),
    http: parseAddress(flags.strings.get("http") ?? "", "--http", true),
    advertiseListen: optionalAddress(flags, "advertise-listen"),
    advertiseHttp: optionalAddress(flags, "advertise-http"),
    dataDir: flags.strings.get("data-dir") ?? `./data/${id}`,
    seeds,
    cluster,
    limits: {
      ...l,
      keyBytesMax: num("max-key-bytes", l.keyBytesMax),
      valueBytesMax: num("max-value-bytes", l.valueBytesMax),
      siblingsMax: num("max-siblings", l.siblingsMax),
      siblingsWarn: num("warn-siblings", l.siblingsWarn),
      timeoutMsDefault: num("timeout-ms", l.timeoutMsDefault),
      timeoutMsMax: num("max-timeout-ms", l.timeoutMsMax),
      hintsPerTargetMax: num("max-hints-per-node", l.hintsPerTargetMax),
    },
    httpServer: {
      ...h,
      connectionsMax: num("max-connections", h.connectionsMax),
      requestsInFlightMax: num("max-requests-in-flight", h.requestsInFlightMax),
      shutdownGraceMs: num("shutdown-grace-ms", h.shutdownGraceMs),
    },
    storage: { mapSizeBytesMax: num("max-storage-bytes", defaultStorageSettings.mapSizeBytesMax) },
    logLevel: logLevel as LogLevel,
    faultInjection: flags.booleans.has("enable-fault-injection"),
    tombstoneGraceMs: num("tombstone-grace-ms", defaultTombstoneOptions.graceMs),
    aaeIntervalMs: num("aae-interval-ms", defaultAntiEntropyOptions.exchangeIntervalMs),
  });
}

/** `--conflict-mode`, or undefined when not given (a joiner adopts the cluster's). */
function conflictModeFlag(flags: ParsedFlags): ConflictMode | undefined {
  const value = flags.strings.get("conflict-mode");
  if (value === undefined) return undefined;
  if (!isConflictMode(value)) throw new ConfigError(`--conflict-mode must be causal or lww, got "${value}"`);
  return value;
}

/** An address flag that may be absent; port 0 is refused (an advertised port must be the real one). */
function optionalAddress(flags: ParsedFlags, name: string): Address | undefined {
  const text = flags.strings.get(name);
  return text === undefined || text === "" ? undefined : parseAddress(text, `--${name}`);
}

/** Runs a node until SIGTERM/SIGINT; resolves with the exit code. */
export async function runStart(flags: ParsedFlags): Promise<number> {
  const options = nodeOptionsFromFlags(flags);
  const format = flags.strings.get("log-format") ?? "auto";
  if (!["json", "pretty", "auto"].includes(format))
    throw new ConfigError(`--log-format must be json, pretty or auto, got "${format}"`);
  const logger = createLogger({
    level: options.logLevel,
    pretty: format === "pretty" || (format === "auto" && process.stderr.isTTY === true),
    bindings: { node: options.id },
  });
  const node = await createNode(options, logger);
  try {
    await node.start();
  } catch (error) {
    await node.stop().catch(() => undefined);
    throw error;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (reason: Record<string, string>): void => {
      stopping = true;
      logger.info(reason, "shutting down");
      node.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          resolve(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, "second signal: exiting without waiting");
        resolve(1);
        return;
      }
      shutdown({ signal });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    // A node that left the cluster (or was removed) has nothing more to serve.
    void node.departed.then(() => {
      if (!stopping) shutdown({ reason: "left the cluster" });
    });
  });
}
