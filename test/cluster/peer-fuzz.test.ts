import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, test } from "node:test";
import { systemClock } from "../../src/clock/clock.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { partitionOf } from "../../src/core/partition.js";
import { encodeStoredObject } from "../../src/core/stored-object.js";
import { silentLogger } from "../../src/log/logger.js";
import { RemoteError } from "../../src/net/errors.js";
import { encodeFrame } from "../../src/net/frame-codec.js";
import { encodeHello, PROTOCOL_VERSION } from "../../src/net/handshake.js";
import { TcpTransport } from "../../src/net/tcp-transport.js";
import type { Message } from "../../src/net/transport.js";
import { getJson, useCluster } from "../support/cluster.js";

const PARTITIONS = 16;

interface MemberView {
  id: string;
  listen: string;
  http: string;
  state: string;
  status: string;
}

interface WireRecord {
  id: string;
  listen: string;
  http: string;
  state: string;
  stateVersion: number;
  generation: number;
  heartbeat: number;
  infoVersion: number;
  [field: string]: unknown;
}

/** Sums a counter's samples in a /metrics text, those whose labels contain `labels`. */
function counterSum(metrics: string, name: string, labels = ""): number {
  let sum = 0;
  for (const line of metrics.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** Opens a raw TCP connection, writes `bytes`, and resolves once the node closes it. */
function sendRaw(address: string, chunks: readonly Uint8Array[], timeoutMs = 10_000): Promise<"closed"> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = connect({ host: host as string, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${address} kept a connection carrying garbage open`));
    }, timeoutMs);
    socket.on("connect", () => {
      for (const c of chunks) socket.write(c);
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
  });
}

describe("hostile peer messages leave a 3-node cluster unchanged", { timeout: 180_000 }, () => {
  const attacker = new TcpTransport(
    {
      ...optionDefaults.peerTransport,
      nodeId: "mallory",
      clusterName: optionDefaults.clusterName,
      listen: { host: "127.0.0.1", port: 0 },
      connectTimeoutMs: 2000,
      handshakeTimeoutMs: 2000,
      reconnectBackoffMinMs: 50,
      reconnectBackoffMaxMs: 200,
    },
    { clock: systemClock, logger: silentLogger() },
  );
  const { cluster, track, url } = useCluster(
    { nodes: 3, n: 3, r: 2, w: 2, partitions: PARTITIONS },
    { beforeDestroy: () => attacker.stop() },
  );

  /** Who is a member, where, in which state and whether up: what a lie could change (not load). */
  const members = async (id: string): Promise<MemberView[]> =>
    (await getJson<{ members: MemberView[] }>(`${url(id)}/cluster/members`)).members.map(
      ({ id, listen, http, state, status }) => ({ id, listen, http, state, status }),
    );
  const ringVersion = async (id: string): Promise<number> =>
    (await getJson<{ version: number }>(`${url(id)}/cluster/ring`)).version;
  const metrics = async (id: string): Promise<string> => (await fetch(`${url(id)}/metrics`)).text();

  /** Sends one message; "ok" or the error code the node refused it with. */
  const send = async (node: string, message: Message): Promise<string> => {
    try {
      await attacker.request(cluster.node(node).listen, message, { timeoutMs: 5000 });
      return "ok";
    } catch (error) {
      if (error instanceof RemoteError) return error.remoteCode ?? "no code";
      throw error;
    }
  };

  test("malformed and hostile frames and messages are refused, the cluster carries on as before", () =>
    track(async () => {
      await attacker.start({
        onRequest: () => Promise.reject(new Error("the attacker answers nothing")),
        onMessage: () => {},
      });
      const ids = ["n1", "n2", "n3"];
      // Earlier writes.
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${url(ids[i % 3] as string)}/kv/before-${i}`, {
          method: "PUT",
          body: `v${i}`,
        });
        assert.equal(res.status, 204);
      }
      const before = new Map<string, MemberView[]>();
      for (const id of ids) before.set(id, await members(id));
      const ringBefore = await ringVersion("n1");
      const refusedBefore = new Map<string, { facts: number; messages: number }>();
      for (const id of ids) {
        const text = await metrics(id);
        refusedBefore.set(id, {
          facts: counterSum(text, "ringkv_peer_facts_refused_total"),
          messages: counterSum(text, "ringkv_peer_messages_refused_total"),
        });
      }

      // The attacker learns the real records, so its lies are one step ahead of the truth.
      const info = (await attacker.request(
        cluster.node("n1").listen,
        { type: "join_info" },
        { timeoutMs: 5000 },
      )) as Message & {
        state: { members: WireRecord[]; ring: { version: number; owners: string[] } };
      };
      const real = (id: string): WireRecord => {
        const r = info.state.members.find((m) => m.id === id);
        if (r === undefined) throw new Error(`no ${id} in join info`);
        return r;
      };
      const owners = Array.from({ length: PARTITIONS }, () => "n1");
      const key = new TextEncoder().encode("before-0");
      const partition = partitionOf(key, PARTITIONS);
      const dvv = (counter: number): Uint8Array =>
        encodeStoredObject({
          entries: [
            {
              actor: "n1",
              counter,
              values: [{ value: new Uint8Array([0x58]), contentType: "x", deleted: false, writtenAtMs: 1 }],
            },
          ],
        });

      const outcomes: Record<string, string[]> = {};
      const note = (what: string, outcome: string): void => {
        outcomes[what] = [...(outcomes[what] ?? []), outcome];
      };
      for (const target of ids) {
        const other = ids.find((x) => x !== target) as string;
        const third = ids.find((x) => x !== target && x !== other) as string;
        // (b) Well formed, hostile: facts about others and about the receiver.
        const lies: WireRecord[] = [
          { ...real(other), state: "left", stateVersion: real(other).stateVersion + 1 },
          {
            ...real(third),
            listen: "127.0.0.1:1",
            http: "127.0.0.1:2",
            infoVersion: real(third).infoVersion + 1,
            heartbeat: 2 ** 40,
          },
          {
            ...real(target),
            state: "left",
            stateVersion: real(target).stateVersion + 1,
            listen: "127.0.0.1:3",
          },
        ];
        note("facts", await send(target, { type: "gossip_push", records: lies, ring: null }));
        note("whole state", await send(target, { type: "gossip", state: { members: lies, ring: null } }));
        note(
          "huge heartbeats",
          await send(target, {
            type: "gossip_syn",
            entries: ids.map((id) => [
              id,
              real(id).generation,
              2 ** 40,
              real(id).infoVersion,
              real(id).stateVersion,
              1,
            ]),
            ring: null,
          }),
        );
        note(
          "far ring",
          await send(target, {
            type: "gossip_push",
            records: [],
            ring: { version: info.state.ring.version + 10_000_000, claimant: "n1", owners, next: null },
          }),
        );
        note(
          "ring 2^53-1",
          await send(target, {
            type: "gossip_push",
            records: [],
            ring: { version: Number.MAX_SAFE_INTEGER, claimant: "n1", owners, next: null },
          }),
        );
        note(
          "heartbeat 2^53-1",
          await send(target, {
            type: "gossip_push",
            records: [{ ...real(other), heartbeat: Number.MAX_SAFE_INTEGER }],
            ring: null,
          }),
        );
        note(
          "dvv 2^53-1",
          await send(target, { type: "kv_replicate", partition, key, object: dvv(Number.MAX_SAFE_INTEGER) }),
        );
        note(
          "dvv 2^40+1",
          await send(target, { type: "kv_replicate", partition, key, object: dvv(2 ** 40 + 1) }),
        );
        // (a) Malformed messages.
        note("unknown type", await send(target, { type: "drop_tables" }));
        note("records not a list", await send(target, { type: "gossip_push", records: "x", ring: null }));
        note(
          "wrong partition",
          await send(target, {
            type: "kv_replicate",
            partition: (partition + 1) % PARTITIONS,
            key,
            object: dvv(1),
          }),
        );
        note(
          "object not bytes",
          await send(target, { type: "kv_replicate", partition, key, object: { entries: [] } }),
        );
        note("digest garbage", await send(target, { type: "gossip_syn", entries: [[1, 2, 3]], ring: "r" }));
        // (a) Malformed frames: no handshake, a giant length, garbage after a valid handshake.
        const address = cluster.node(target).listen;
        await sendRaw(address, [Buffer.from("GET / HTTP/1.1\r\n\r\n")]);
        await sendRaw(address, [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]);
        const hello = encodeHello({
          protocol: PROTOCOL_VERSION,
          cluster: optionDefaults.clusterName,
          id: "mallory2",
          address: "127.0.0.1:9",
        });
        const garbage = Buffer.from([0xc1, 0xc1, 0xc1, 0x00]);
        await sendRaw(address, [...encodeFrame([hello], 1 << 20), ...encodeFrame([garbage], 1 << 20)]);
      }
      // Well-formed lies are answered (and their facts refused); the rest are refused outright.
      for (const what of ["facts", "whole state", "huge heartbeats", "far ring"])
        assert.deepEqual(outcomes[what], ["ok", "ok", "ok"], what);
      for (const what of [
        "ring 2^53-1",
        "heartbeat 2^53-1",
        "dvv 2^53-1",
        "dvv 2^40+1",
        "records not a list",
        "wrong partition",
        "object not bytes",
        "digest garbage",
      ])
        assert.deepEqual(outcomes[what], ["bad_message", "bad_message", "bad_message"], what);
      assert.deepEqual(outcomes["unknown type"], ["unknown_message", "unknown_message", "unknown_message"]);

      // A few gossip rounds: any lie a node took would spread and show.
      await new Promise((resolve) => setTimeout(resolve, 3000));

      for (const id of ids) {
        assert.deepEqual(await members(id), before.get(id), `members as ${id} sees them`);
        assert.equal(await ringVersion(id), ringBefore, `ring version at ${id}`);
        const text = await metrics(id);
        const was = refusedBefore.get(id) as { facts: number; messages: number };
        for (const reason of [
          "relayed_state",
          "relayed_address",
          "self_record",
          "heartbeat_step",
          "ring_version_step",
        ])
          assert.ok(
            counterSum(text, "ringkv_peer_facts_refused_total", `reason="${reason}"`) > 0,
            `${id}: ${reason} counted`,
          );
        assert.ok(counterSum(text, "ringkv_peer_facts_refused_total") > was.facts);
        assert.ok(
          counterSum(text, "ringkv_peer_messages_refused_total") >= was.messages + 9,
          `${id}: refused messages counted`,
        );
        assert.ok(counterSum(text, "ringkv_peer_messages_refused_total", 'type="kv_replicate"') >= 4);
      }
      for (let i = 0; i < 12; i++) {
        for (const id of ids) {
          const res = await fetch(`${url(id)}/kv/before-${i}`);
          assert.equal(res.status, 200, `before-${i} via ${id}`);
          assert.equal(await res.text(), `v${i}`);
        }
      }
      for (const id of ids) {
        assert.equal(
          (await fetch(`${url(id)}/kv/after-${id}`, { method: "PUT", body: `new ${id}` })).status,
          204,
        );
        const res = await fetch(`${url(ids[(ids.indexOf(id) + 1) % 3] as string)}/kv/after-${id}`);
        assert.equal(await res.text(), `new ${id}`);
      }
      for (const node of cluster.nodes) {
        const p = node.process;
        assert.ok(p !== undefined);
        assert.equal(p.child.exitCode, null, `${node.id} is still running`);
        assert.equal(p.child.signalCode, null, `${node.id} is still running`);
      }
    }));
});
