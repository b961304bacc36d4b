import { ZONE_PATTERN } from "../core/membership/zone.js";
import { ConfigError } from "../errors.js";
import { formatAddress, isWildcardHost } from "./address.js";
import { defaultClusterSettings, validateClusterSettings } from "./cluster-settings.js";
import { checkInteger } from "./option-spec.js";
import { optionTable } from "./option-table.js";
import type { OptionDefaults, OptionOverrides, OptionValues } from "./option-types.js";
import { checkOptions, optionDefaultsOf, withOverrides } from "./option-values.js";

export {
  type ClusterSettings,
  defaultClusterSettings,
  validateClusterSettings,
} from "./cluster-settings.js";

/** Node ids are short, printable and safe in URLs, file names and log lines. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Everything a node is built from, derived from the option table (option-table.ts): flags,
 * limits and internal tunables, grouped as the table groups them (`limits`, `httpServer`,
 * `gossip`, `peerTransport`, ...).
 */
export interface NodeOptions extends OptionValues<typeof optionTable> {}
export type RequestLimits = NodeOptions["limits"];
export type HttpServerLimits = NodeOptions["httpServer"];
export type StorageSettings = NodeOptions["storage"];

/** The table's defaults: every option except the id and the data directory. */
export const optionDefaults: OptionDefaults<typeof optionTable> = optionDefaultsOf(optionTable);

/** What a caller must give to build complete options, and any defaults it changes. */
export type NodeOptionsInput = Pick<NodeOptions, "id" | "dataDir"> & OptionOverrides<typeof optionTable>;

/**
 * Complete, validated options from the table's defaults and what the caller gives (for tests,
 * the simulation and library users): `defaultNodeOptions({ id: "n1", dataDir, limits: { ... } })`.
 */
export function defaultNodeOptions(input: NodeOptionsInput): NodeOptions {
  return validateNodeOptions(withOverrides(optionTable, optionDefaults, input));
}

/**
 * A node tells its peers where to reach it. A wildcard bind address (0.0.0.0, ::) is not a place
 * anyone can dial, so it needs an explicit address to announce instead.
 */
function checkAdvertised(o: NodeOptions): void {
  if (isWildcardHost(o.listen.host) && o.advertiseListen === undefined) {
    throw new ConfigError(
      `--listen ${formatAddress(o.listen)} binds every interface, which peers cannot dial: set --advertise-listen to the host:port they reach this node on`,
    );
  }
  for (const [flag, address] of [
    ["--advertise-listen", o.advertiseListen],
    ["--advertise-http", o.advertiseHttp],
  ] as const) {
    if (address === undefined) continue;
    if (isWildcardHost(address.host))
      throw new ConfigError(
        `${flag} ${formatAddress(address)} must be an address others can dial, not a wildcard`,
      );
    if (address.port < 1 || address.port > 65535)
      throw new ConfigError(`${flag}: port ${address.port} is out of range 1..65535`);
  }
}

/**
 * Checks every option against its bounds in the table, then what must hold across options;
 * returns the options for chaining. Each problem is a ConfigError naming the flag.
 */
export function validateNodeOptions(o: NodeOptions): NodeOptions {
  if (!NODE_ID_PATTERN.test(o.id)) {
    throw new ConfigError(
      `--id "${o.id}" must be 1..64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(o.clusterName)) {
    throw new ConfigError(`--cluster-name "${o.clusterName}" must be 1..64 characters of A-Z a-z 0-9 . _ -`);
  }
  if (o.zone !== undefined && !ZONE_PATTERN.test(o.zone)) {
    throw new ConfigError(`--zone "${o.zone}" must be 1..64 characters of A-Z a-z 0-9 . _ -`);
  }
  if (o.dataDir.trim() === "") throw new ConfigError("--data-dir must not be empty");
  checkAdvertised(o);
  checkOptions(optionTable, o);
  // What can be checked of the cluster settings before the stored or joined ones are known.
  const c = o.cluster;
  validateClusterSettings({
    n: c.n ?? defaultClusterSettings.n,
    r: c.r ?? 1,
    w: c.w ?? 1,
    partitions: c.partitions ?? defaultClusterSettings.partitions,
    conflictMode: c.conflictMode ?? defaultClusterSettings.conflictMode,
  });
  checkInteger(o.limits.siblingsWarn, "--warn-siblings", 1, o.limits.siblingsMax);
  checkInteger(o.limits.timeoutMsDefault, "--timeout-ms", 1, o.limits.timeoutMsMax);
  if (o.limits.objectBytesMax <= o.limits.valueBytesMax) {
    throw new ConfigError(
      `--max-object-bytes ${o.limits.objectBytesMax} must be above --max-value-bytes ${o.limits.valueBytesMax}: a key's object holds its value and more`,
    );
  }
  if (o.handoff.hintWindowMs >= o.tombstones.graceMs) {
    throw new ConfigError(
      `--hint-window-ms ${o.handoff.hintWindowMs} must be below --tombstone-grace-ms ${o.tombstones.graceMs}: ` +
        "a hint older than a reaped tombstone could bring its delete back",
    );
  }
  if (o.gossip.joinTimeoutMs <= o.gossip.failureDetector.downAfterMs) {
    throw new ConfigError(
      `--join-timeout-ms ${o.gossip.joinTimeoutMs} must be above the failure detector's down time (${o.gossip.failureDetector.downAfterMs} ms): ` +
        "a member must be seen down before it can have been down that long",
    );
  }
  checkSecurity(o);
  return o;
}

/** Security flags that only make sense together (the files themselves are read at start). */
function checkSecurity(o: NodeOptions): void {
  const s = o.security;
  const peer = [s.peerTlsCert, s.peerTlsKey, s.peerTlsCa].filter((f) => f !== undefined).length;
  if (peer !== 0 && peer !== 3) {
    throw new ConfigError(
      "--peer-tls-cert, --peer-tls-key and --peer-tls-ca go together: inter-node TLS is mutual, so each node needs its certificate, its key and the CA",
    );
  }
  if ((s.httpTlsCert === undefined) !== (s.httpTlsKey === undefined)) {
    throw new ConfigError("--http-tls-cert and --http-tls-key go together");
  }
  if (s.httpTlsCa !== undefined && s.httpTlsCert === undefined) {
    throw new ConfigError(
      "--http-tls-ca (client certificates) needs HTTPS: set --http-tls-cert and --http-tls-key",
    );
  }
  if (s.auth === "required" && s.adminTokenFile === undefined) {
    throw new ConfigError(
      "--auth required needs --admin-token-file: without an admin token nobody could create the tokens clients use",
    );
  }
}
