import { pollUntil } from "../clock/poll.js";
import { findKey, holds, quote, readThrough, replicasWhen, shown } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";
import { secondsSince } from "./narrator.js";

export const joinStep: DemoStep = {
  title: "a node joins",
  async run(ctx) {
    const { say, cluster, partitions } = ctx;
    const id = `n${cluster.ids().length + 1}`;
    say.beginStep(2, this.title, [
      `We start a new node, ${id}, and give it the addresses of two members (its "seeds"). It learns the`,
      `cluster's settings from them, shows up as "joining", receives the partitions it will own (streamed`,
      `from their current owners while the cluster keeps serving), then becomes "active".`,
    ]);
    const seeds = [cluster.node("n1").listen, cluster.node("n2").listen];
    say.doing(`starting ${id} with --seeds ${seeds.join(",")}`);
    const started = Date.now();
    await cluster.add(id, seeds);
    say.doing(`waiting until ${id} is active, owns partitions, and every node agrees on the new ring`);
    const member = await pollUntil(
      async () => {
        const m = (await cluster.members("n1")).find((x) => x.id === id);
        return m?.state === "active" && m.status === "up" && m.partitions > 0 ? m : undefined;
      },
      { timeoutMs: ctx.waitMs },
    );
    const version = member === undefined ? undefined : await cluster.waitConverged(ctx.waitMs);
    say.saw(
      member === undefined
        ? `${id} did not become active within ${ctx.waitMs} ms`
        : `${id} active after ${secondsSince(started)} s, first owner of ${member.partitions} of ${partitions} partitions; ` +
            (version === undefined
              ? "the nodes did not agree on one ring"
              : `all ${cluster.running().length} nodes on ring version ${version}`),
    );
    if (
      !say.check(
        member !== undefined && version !== undefined,
        `${id} joined: it is active and owns partitions`,
        `${id} did not finish joining`,
      )
    )
      return;
    const greeting = ctx.written.get("greeting") ?? "";
    say.doing(`GET greeting through ${id}, and check its home replicas after the ownership change`);
    const read = await readThrough(ctx, id, "greeting");
    const after = await replicasWhen(ctx, id, "greeting", (i) =>
      i.replicas.every((rep) => holds(rep, greeting)),
    );
    say.saw(`${id} → ${read}; ${after.info.replicas.map(shown).join(", ")}`);
    say.check(
      read === quote(greeting) && after.ok,
      "data written before the join is still readable, and still on N home replicas",
      "data written before the join is not where it should be",
    );
    const found = await findKey(ctx, "after-join", (home) => home.includes(id));
    if (found === undefined) {
      say.check(false, "", `found no key whose home replicas include ${id}`);
      return;
    }
    const { key, home } = found;
    const value = `written after ${id} joined`;
    say.doing(
      `PUT ${key} = ${quote(value)} through n1: a key whose home replicas (${home.join(", ")}) include ${id}`,
    );
    await cluster.client("n1").put(key, value);
    ctx.written.set(key, value);
    ctx.joined = { id, key };
    const onNew = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.some((rep) => rep.id === id && holds(rep, value)),
    );
    say.doing(`GET /debug/replicas/${key}, then GET ${key} through ${id}`);
    const readNew = await readThrough(ctx, id, key);
    say.saw(`${onNew.info.replicas.map(shown).join(", ")}; GET through ${id} → ${readNew}`);
    say.check(
      onNew.ok && readNew === quote(value),
      `the new write is stored on ${id}, and a read through ${id} returns it`,
      `the new write is not on ${id} or not readable through it`,
    );
  },
};
