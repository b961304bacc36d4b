import { accessSync, constants as fsConstants, mkdirSync } from "node:fs";
import { systemClock } from "../clock/clock.js";
import type { NodeOptions } from "../config/node-options.js";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log/logger.js";
import { FaultInjectingTransport, TcpTransport } from "../net/index.js";
import { RingkvNode } from "../node.js";
import { systemRandom } from "../random/random.js";
import { openLmdbEngine } from "../storage/lmdb-engine.js";
import { readAdminTokenHash } from "./admin-token.js";
import { certificateFiles } from "./certificate-files.js";

/**
 * Builds a node with real components: the data directory, LMDB, TCP, the system clock. The only
 * place that does; tests and the simulation hand RingkvNode fakes (memory storage and transport,
 * a virtual clock).
 */
export async function createNode(options: NodeOptions, logger: Logger): Promise<RingkvNode> {
  // Certificates first: a node that could not talk to anyone should not open its storage.
  const files = certificateFiles(options, () => Date.now());
  const adminTokenFile = options.security.adminTokenFile;
  const adminTokenHash = adminTokenFile === undefined ? undefined : readAdminTokenHash(adminTokenFile);
  ensureDataDir(options.dataDir);
  const storage = await openLmdbEngine({
    path: options.dataDir,
    mapSizeBytesMax: options.storage.mapSizeBytesMax,
  });
  const tcp = new TcpTransport(
    {
      ...options.peerTransport,
      frameBytesMax: peerFrameBytesMax(options),
      nodeId: options.id,
      clusterName: options.clusterName,
      listen: options.listen,
      advertise: options.advertiseListen,
      tls: files.peer(),
    },
    { clock: systemClock, logger },
  );
  let node: RingkvNode | undefined;
  const faults = options.faultInjection
    ? new FaultInjectingTransport(tcp, {
        clock: systemClock,
        logger,
        idOf: (address) => node?.memberIdAt(address),
      })
    : undefined;
  if (faults !== undefined) logger.warn("fault injection is enabled (/admin/faults): for testing only");
  node = new RingkvNode(options, {
    clock: systemClock,
    random: systemRandom,
    storage,
    transport: faults ?? tcp,
    logger,
    faults,
    adminTokenHash,
    certificates: {
      peer: files.peer,
      http: files.http,
      reload: () => {
        files.reload();
        const peer = files.peer();
        if (peer !== undefined) tcp.reloadTls(peer);
      },
    },
  });
  return node;
}

/**
 * The largest inter-node frame: the configured one, or more when the object limit needs it. A
 * message carries at most one batch (a transfer or anti-entropy batch stops growing at its byte
 * budget) plus one object, and an object merged from concurrent coordinators may hold a few
 * times what one write may leave (each is checked against --max-object-bytes on its own).
 */
export function peerFrameBytesMax(options: NodeOptions): number {
  const batchBytes = Math.max(options.transfer.batchBytesMax, options.antiEntropy.batchBytesMax);
  return Math.max(
    options.peerTransport.frameBytesMax,
    4 * options.limits.objectBytesMax + batchBytes + 1024 * 1024,
  );
}

function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.R_OK | fsConstants.W_OK);
  } catch (error) {
    const reason = error instanceof Error && "code" in error ? String(error.code) : String(error);
    throw new ConfigError(`--data-dir ${dir} is not a writable directory (${reason})`);
  }
}
