import { mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import type { ProcessGroup } from "./process-group.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { waitUntil } from "./wait-until.js";

export type AppendFsync = "always" | "everysec";

/**
 * Starts one Redis with the append-only file on and the given fsync policy: `always` fsyncs the
 * AOF before answering a write (the durability ringkv's acknowledgements have), `everysec` once a
 * second (up to a second of acknowledged writes can be lost). RDB snapshots are off so the AOF is
 * the only persistence and no snapshot fork lands in the middle of a run.
 */
export async function startRedis(
  group: ProcessGroup,
  root: string,
  fsync: AppendFsync,
): Promise<StoreUnderTest> {
  const dir = join(root, `redis-${fsync}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    fsync,
    "--save",
    "",
    "--daemonize",
    "no",
  ];
  const server = group.spawn(`redis (${fsync})`, "redis-server", args, join(dir, "redis.log"));
  try {
    await waitUntil(`redis on port ${port} to answer PING`, () => ping(port), [server]);
  } catch (error) {
    await group.stop(server);
    throw error;
  }
  return {
    id: `redis-${fsync}`,
    label: `Redis, AOF appendfsync ${fsync}`,
    benchArgs: ["--target", "redis", "--redis", `redis://127.0.0.1:${port}`],
    commands: [`redis-server ${args.map((a) => (a === "" ? '""' : a)).join(" ")}`],
    async stop() {
      await group.stop(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
    });
  });
}
