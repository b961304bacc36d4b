import assert from "node:assert/strict";
import { type NodeOptions, validateNodeOptions } from "../config/node-options.js";
import { optionTable } from "../config/option-table.js";
import type { TableFlags } from "../config/option-types.js";
import { readOptions, tableFlags } from "../config/option-values.js";
import { createLogger } from "../log/logger.js";
import { createNode } from "../node/real-components.js";
import type { CommandSpec, ParsedFlags } from "./flags.js";

/** `ringkv start`'s flags: one per option of the table that has one, in table order. */
const startFlags = tableFlags(optionTable);
type StartFlag = TableFlags<typeof optionTable>;
const startFlagNames = new Set<string>(startFlags.map((f) => f.name));

function isStartFlag(name: string): name is StartFlag["name"] {
  return startFlagNames.has(name);
}

export const startSpec = {
  name: "start",
  summary: "Run a ringkv node in the foreground (logs to stderr; SIGTERM/SIGINT stop it cleanly).",
  usage:
    "ringkv start --id n1 --listen 127.0.0.1:7001 --http 127.0.0.1:8001 --data-dir ./data/n1 [--seeds host:port,...] [--n 3] [--r 2] [--w 2] [--partitions 256] [--conflict-mode causal|lww]",
  positionals: [0, 0],
  flags: startFlags,
} as const satisfies CommandSpec;

export type StartFlags = ParsedFlags<typeof startSpec>;

/** Turns parsed flags into validated node options; every problem is a ConfigError naming the flag. */
export function nodeOptionsFromFlags(flags: StartFlags): NodeOptions {
  const id = flags.required("id");
  const values = readOptions(optionTable, (flag) => {
    // The table names these flags, and startSpec's flags are the table's.
    assert(isStartFlag(flag), `--${flag} is not a flag of ringkv start`);
    return flags.get(flag);
  });
  return validateNodeOptions({ ...values, id, dataDir: flags.get("data-dir") ?? `./data/${id}` });
}

/** Runs a node until SIGTERM/SIGINT; resolves with the exit code. */
export async function runStart(flags: StartFlags): Promise<number> {
  const options = nodeOptionsFromFlags(flags);
  const format = options.logFormat;
  const logger = createLogger({
    level: options.logLevel,
    pretty: format === "pretty" || (format === "auto" && process.stderr.isTTY === true),
    bindings: { node: options.id },
  });
  const node = await createNode(options, logger);
  // A rejection nothing handled is a bug; Node's default would end the process and with it every
  // request in flight on this node. Logged with its stack and counted, it is found and fixed.
  process.on("unhandledRejection", (reason) => {
    node.metrics.unhandledRejections.inc();
    logger.error({ err: reason }, "unhandled promise rejection (a bug): logged, the node keeps serving");
  });
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
    // SIGHUP re-reads the certificate files, as nginx and etcd do; a bad file keeps the old ones.
    process.on("SIGHUP", () => {
      try {
        node.reloadCertificates();
        logger.info("certificates reloaded (SIGHUP)");
      } catch (error) {
        logger.error(
          { err: error },
          "certificate reload failed (SIGHUP); the node keeps its current certificates",
        );
      }
    });
    // A node that left the cluster (or was removed) has nothing more to serve.
    void node.departed.then(() => {
      if (!stopping) shutdown({ reason: "left the cluster" });
    });
  });
}
