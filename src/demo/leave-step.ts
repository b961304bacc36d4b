import { pollUntil } from "../clock/poll.js";
import { holds, quote, readThrough, replicasWhen, shown } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";
import { secondsSince } from "./narrator.js";

export const leaveStep: DemoStep = {
  title: "a node leaves; data stays readable",
  async run(ctx) {
    const { say, cluster, n } = ctx;
    const leaver = ctx.joined?.id ?? "n5";
    say.beginStep(6, this.title, [
      `Scaling down: we ask ${leaver} to leave (POST /cluster/leave). Unlike a crash, a leave is planned:`,
      `${leaver}'s partitions are streamed to their new owners, the ring switches over, and ${leaver}'s`,
      "process exits cleanly. Every key must still be readable, with N copies on the remaining nodes.",
    ]);
    const node = cluster.node(leaver);
    say.doing(`POST /cluster/leave to ${leaver}`);
    const started = Date.now();
    await node.client.postJson("/cluster/leave");
    say.saw("202: the hand-over started");
    say.doing(`waiting for ${leaver} to hand over its partitions and exit`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      node.process.exited,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), ctx.waitMs);
      }),
    ]);
    clearTimeout(timer);
    say.saw(
      code === "timeout"
        ? `${leaver} still runs after ${ctx.waitMs} ms`
        : `${leaver} exited with code ${code} after ${secondsSince(started)} s`,
    );
    say.check(code === 0, `${leaver}'s process exited cleanly (code 0)`, `${leaver} did not exit with 0`);
    say.doing(`GET /cluster/members and /cluster/ring through n1: is ${leaver} gone?`);
    const gone = await pollUntil(
      async () => {
        const m = (await cluster.members("n1")).find((x) => x.id === leaver);
        const ring = await cluster.ring("n1");
        return (m === undefined || m.state === "left") && ring.owners.every((list) => !list.includes(leaver))
          ? ring
          : undefined;
      },
      { timeoutMs: ctx.waitMs },
    );
    const version = gone === undefined ? undefined : await cluster.waitConverged(ctx.waitMs);
    say.saw(
      gone === undefined
        ? `${leaver} is still a member or still in the ring`
        : `${leaver} is "left"; no partition lists it; ${cluster.running().length} nodes on ring version ${version ?? "(not agreed)"}`,
    );
    say.check(
      gone !== undefined && version !== undefined,
      `${leaver} is gone from the cluster and the ring`,
      `${leaver} is not gone`,
    );
    const readers = cluster.running().map((m) => m.id);
    say.doing(`reading every key written so far through ${readers.join(", ")}`);
    const wrong: string[] = [];
    for (const [key, value] of ctx.written) {
      for (const id of readers) {
        const text = await readThrough(ctx, id, key);
        if (text !== quote(value)) wrong.push(`${key} via ${id} → ${text}`);
      }
    }
    say.saw(
      wrong.length === 0
        ? `${ctx.written.size} keys × ${readers.length} nodes all as written`
        : wrong.join("; "),
    );
    say.check(wrong.length === 0, "every key is still readable through every node", "some reads were wrong");
    const moved = ctx.joined?.key;
    if (moved !== undefined) {
      const value = ctx.written.get(moved) ?? "";
      say.doing(`GET /debug/replicas/${moved}: where are the copies ${leaver} held?`);
      const placed = await replicasWhen(
        ctx,
        "n1",
        moved,
        (i) => i.replicas.length === n && i.replicas.every((rep) => rep.id !== leaver && holds(rep, value)),
      );
      say.saw(`${moved}: ${placed.info.replicas.map(shown).join(", ")}`);
      say.check(
        placed.ok,
        `${moved} (which ${leaver} held) is on N=${n} remaining nodes`,
        `${moved} is not on N remaining nodes`,
      );
    }
  },
};
