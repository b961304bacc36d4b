import type { Clock } from "../clock/clock.js";
import type { ClusterSettings } from "../config/node-options.js";
import { isConflictMode } from "../core/conflict-mode.js";
import type { ClusterState } from "../core/membership/cluster-state.js";
import { parseClusterState } from "../core/membership/parse-cluster-state.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import type { Transport } from "../net/transport.js";

export interface JoinInfo {
  settings: ClusterSettings;
  state: ClusterState;
}

export interface JoinOptions {
  /** Give up (and exit with a clear error) when no seed answered in this time. */
  timeoutMs: number;
  /** Pause between rounds over all seeds. */
  retryIntervalMs: number;
  requestTimeoutMs: number;
}

export const defaultJoinOptions: JoinOptions = {
  timeoutMs: 60_000,
  retryIntervalMs: 500,
  requestTimeoutMs: 2000,
};

/**
 * Asks the seeds, in turn, for the cluster's settings and state until one answers. A joining
 * node adopts the cluster's N, R, W and Q; it learns them here, before it serves anything.
 */
export async function fetchJoinInfo(
  seeds: readonly string[],
  transport: Transport,
  clock: Clock,
  logger: Logger,
  options: JoinOptions,
  membersMax: number,
): Promise<JoinInfo> {
  const deadline = clock.nowMs() + options.timeoutMs;
  let lastError = "no seed tried";
  for (;;) {
    for (const seed of seeds) {
      try {
        const reply = await transport.request(
          seed,
          { type: "join_info" },
          { timeoutMs: options.requestTimeoutMs },
        );
        const settings = parseSettings(reply.settings);
        const state = parseClusterState(reply.state, { membersMax, partitions: settings.partitions });
        logger.info(
          { seed, members: state.members.length, ringVersion: state.ring?.version ?? 0 },
          "joining cluster",
        );
        return { settings, state };
      } catch (error) {
        lastError = `${seed}: ${error instanceof Error ? error.message : String(error)}`;
        if (error instanceof Error && error.name === "HandshakeError")
          throw new ConfigError(`seed ${lastError}`);
      }
    }
    if (clock.nowMs() >= deadline) {
      throw new ConfigError(`no seed answered within ${options.timeoutMs} ms (last: ${lastError})`);
    }
    logger.info({ seeds, lastError }, "waiting for a seed");
    await new Promise<void>((resolve) => clock.setTimeout(resolve, options.retryIntervalMs));
  }
}

function parseSettings(value: unknown): ClusterSettings {
  if (typeof value !== "object" || value === null) throw new Error("join reply has no settings");
  const s = value as Record<string, unknown>;
  const num = (k: string): number => {
    const v = s[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw new Error(`join reply has a bad ${k}`);
    return v;
  };
  // A seed from before conflict modes existed runs a causal cluster and does not say so.
  const conflictMode = s.conflictMode ?? "causal";
  if (!isConflictMode(conflictMode)) throw new Error("join reply has a bad conflictMode");
  return { n: num("n"), r: num("r"), w: num("w"), partitions: num("partitions"), conflictMode };
}
