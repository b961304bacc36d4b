import type { Clock } from "../clock/clock.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { HandshakeError } from "../net/errors.js";
import { type JoinInfo, type PeerClient, peerMessages } from "../protocol/index.js";

/** A node's values are in the option table (src/config/tunable-table.ts). */
export interface JoinOptions {
  /** Give up (and exit with a clear error) when no seed answered in this time. */
  timeoutMs: number;
  /** Pause between rounds over all seeds. */
  retryIntervalMs: number;
  requestTimeoutMs: number;
}

/**
 * Asks the seeds, in turn, for the cluster's settings and state until one answers. A joining
 * node adopts the cluster's N, R, W and Q; it learns them here, before it serves anything. The
 * reply is checked like any peer message (protocol/messages.ts), settings included.
 */
export async function fetchJoinInfo(
  seeds: readonly string[],
  peers: PeerClient,
  clock: Clock,
  logger: Logger,
  options: JoinOptions,
): Promise<JoinInfo> {
  const deadline = clock.nowMs() + options.timeoutMs;
  let lastError = "no seed tried";
  for (;;) {
    for (const seed of seeds) {
      try {
        const info = await peers.request(
          seed,
          peerMessages.joinInfo,
          {},
          { timeoutMs: options.requestTimeoutMs },
        );
        logger.info(
          { seed, members: info.state.members.length, ringVersion: info.state.ring?.version ?? 0 },
          "joining cluster",
        );
        return info;
      } catch (error) {
        lastError = `${seed}: ${error instanceof Error ? error.message : String(error)}`;
        if (error instanceof HandshakeError) throw new ConfigError(`seed ${lastError}`);
      }
    }
    if (clock.nowMs() >= deadline) {
      throw new ConfigError(`no seed answered within ${options.timeoutMs} ms (last: ${lastError})`);
    }
    logger.info({ seeds, lastError }, "waiting for a seed");
    await new Promise<void>((resolve) => clock.setTimeout(resolve, options.retryIntervalMs));
  }
}
