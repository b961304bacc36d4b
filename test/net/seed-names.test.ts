import assert from "node:assert/strict";
import { after, test } from "node:test";
import { systemClock } from "../../src/clock/clock.js";
import { fetchJoinInfo } from "../../src/cluster/join.js";
import { parseAddress } from "../../src/config/address.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { PeerUnreachableError } from "../../src/net/errors.js";
import { TcpTransport } from "../../src/net/tcp-transport.js";
import type { Message } from "../../src/net/transport.js";
import { PeerClient, type ProtocolLimits } from "../../src/protocol/index.js";
import { unusedAddress } from "./raw-peer.js";

/**
 * A host name that fails to resolve without any DNS traffic: a label longer than 63 bytes is
 * refused by the resolver library itself (checked with strace: no query leaves the machine).
 * It stands for a seed whose name does not resolve yet, like a Kubernetes pod still starting.
 */
const UNRESOLVABLE = `${"a".repeat(64)}.ringkv-headless.invalid:7000`;

const transports: TcpTransport[] = [];
after(async () => {
  for (const t of transports) await t.stop();
});

function transport(id: string, listen: { host: string; port: number }): TcpTransport {
  const t = new TcpTransport(
    {
      ...optionDefaults.peerTransport,
      nodeId: id,
      clusterName: "seed-names",
      listen,
      connectTimeoutMs: 1000,
      handshakeTimeoutMs: 1000,
      reconnectBackoffMinMs: 50,
      reconnectBackoffMaxMs: 200,
    },
    { clock: systemClock, logger: silentLogger() },
  );
  transports.push(t);
  return t;
}

const joinLimits: ProtocolLimits = {
  partitions: 256,
  n: 3,
  membersMax: 100,
  keyBytesMax: 1024,
  valueBytesMax: 1024 * 1024,
  contentTypeBytesMax: 256,
  timeoutMsMax: 60_000,
  treeSegments: 256,
  aaeKeysMax: 8000,
};

const joinInfoReply: Message = {
  type: "join_info_ok",
  settings: { n: 3, r: 2, w: 2, partitions: 64, conflictMode: "causal" },
  state: { members: [], ring: null },
};

test("a seed whose host name does not resolve is unreachable (retryable), not a handshake failure", async () => {
  const joiner = transport("joiner-a", { host: "127.0.0.1", port: 0 });
  await joiner.start({ onRequest: async () => ({ type: "ok" }), onMessage: () => undefined });
  await assert.rejects(
    joiner.request(UNRESOLVABLE, { type: "join_info" }, { timeoutMs: 2000 }),
    (error: unknown) => error instanceof PeerUnreachableError,
  );
});

test("a joiner retries seeds given by host name until one resolves and answers", async () => {
  const joiner = transport("joiner-b", { host: "127.0.0.1", port: 0 });
  await joiner.start({ onRequest: async () => ({ type: "ok" }), onMessage: () => undefined });
  // The seed's port is free now and nothing listens on it until the seed "pod" starts.
  const port = parseAddress(await unusedAddress(), "unused").port;
  const startedAt = Date.now();
  const joining = fetchJoinInfo(
    [UNRESOLVABLE, `localhost:${port}`],
    new PeerClient(joiner, joinLimits),
    systemClock,
    silentLogger(),
    { timeoutMs: 20_000, retryIntervalMs: 100, requestTimeoutMs: 1000 },
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const seed = transport("seed", { host: "127.0.0.1", port });
  await seed.start({
    onRequest: async (_from, message) =>
      message.type === "join_info" ? joinInfoReply : { type: "unexpected" },
    onMessage: () => undefined,
  });
  const info = await joining;
  assert.equal(info.settings.partitions, 64);
  assert.ok(Date.now() - startedAt >= 1000, "the first rounds failed and were retried");
});
