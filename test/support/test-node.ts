import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultNodeOptions, type NodeOptions, type RequestLimits } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { createNode } from "../../src/node/real-components.js";
import type { RingkvNode } from "../../src/node.js";

export interface TestNode {
  node: RingkvNode;
  url: string;
  dataDir: string;
  /** Stops the node; the data directory stays until `destroy`. */
  stop(): Promise<void>;
  /** Stops the node if running and removes its data directory. */
  destroy(): Promise<void>;
}

export interface TestNodeOptions {
  id?: string;
  dataDir?: string;
  cluster?: NodeOptions["cluster"];
  limits?: Partial<RequestLimits>;
}

/** A real node (LMDB in a temp dir, HTTP on a free port of 127.0.0.1) inside the test process. */
export async function startTestNode(options: TestNodeOptions = {}): Promise<TestNode> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "ringkv-test-"));
  const id = options.id ?? "n1";
  const node = await createNode(
    defaultNodeOptions({
      id,
      listen: { host: "127.0.0.1", port: 0 },
      http: { host: "127.0.0.1", port: 0 },
      dataDir,
      cluster: options.cluster ?? { n: 1 },
      limits: options.limits,
      logLevel: "silent",
    }),
    silentLogger(),
  );
  await node.start();
  let running = true;
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await node.stop();
  };
  return {
    node,
    url: `http://127.0.0.1:${node.httpAddress.port}`,
    dataDir,
    stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
