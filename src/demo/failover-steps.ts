import { pollUntil } from "../clock/poll.js";
import { findKey, holds, quote, readThrough, replicasWhen, shown } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";
import { secondsSince } from "./narrator.js";

export const failureStep: DemoStep = {
  title: "a node fails; writes go on (sloppy quorum, hinted handoff)",
  async run(ctx) {
    const { say, cluster, n, w } = ctx;
    const protectedIds = ["n1", ctx.joined?.id ?? ""];
    const found = await findKey(ctx, "profile", (home) => home.some((id) => !protectedIds.includes(id)));
    const key = found?.key ?? "";
    const home = found?.home ?? [];
    const victim = home.find((id) => !protectedIds.includes(id)) ?? "";
    say.beginStep(3, this.title, [
      `We take the key ${quote(key)}, whose home replicas are ${home.join(", ")}, and crash ${victim} (SIGKILL: no`,
      `clean shutdown, like a power cut). The others notice through gossip within a few seconds. Writes`,
      `keep working: when a home replica is down, the next healthy node on the ring stands in for it`,
      `("sloppy quorum") and keeps the write as a "hint" to deliver when ${victim} comes back.`,
    ]);
    if (found === undefined) {
      say.check(false, "", "found no key with a home replica to crash");
      return;
    }
    const first = "version 1";
    say.doing(`PUT ${key} = ${quote(first)} through n1 while all nodes are up`);
    const context = await cluster.client("n1").put(key, first);
    const everywhere = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.every((rep) => holds(rep, first)),
    );
    say.saw(everywhere.info.replicas.map(shown).join(", "));
    const pid = cluster.node(victim).process.pid;
    say.doing(`crashing ${victim}: SIGKILL to pid ${pid}`);
    await cluster.kill(victim, "SIGKILL");
    const killedAt = Date.now();
    // Every node, not only n1: the write below is coordinated by one of the key's replicas.
    say.doing(`waiting for every other node to see ${victim} as down`);
    const down = await pollUntil(
      async () => {
        for (const node of cluster.running()) {
          const m = (await cluster.members(node.id)).find((x) => x.id === victim);
          if (m?.status !== "down") return undefined;
        }
        return Date.now();
      },
      { timeoutMs: ctx.waitMs },
    );
    say.saw(
      down === undefined
        ? `${victim} not seen down everywhere within ${ctx.waitMs} ms`
        : `all ${cluster.running().length} other nodes see ${victim} down ${((down - killedAt) / 1000).toFixed(1)} s after the crash`,
    );
    if (!say.check(down !== undefined, `the failure was detected`)) return;
    const value = "version 2";
    say.doing(
      `PUT ${key} = ${quote(value)} through n1 with w=${n}: all ${n} copies required (default W=${w}), although ${victim} is down`,
    );
    let accepted = false;
    try {
      await cluster.client("n1").put(key, value, { context, w: n });
      accepted = true;
      say.saw("204: the write was acknowledged");
    } catch (error) {
      say.saw(`refused: ${error instanceof Error ? error.message : String(error)}`);
    }
    ctx.written.set(key, accepted ? value : first);
    say.check(
      accepted,
      `the write succeeded with ${victim} down: a stand-in took ${victim}'s copy`,
      `the write failed with ${victim} down`,
    );
    say.doing(`GET /debug/replicas/${key}: where is ${victim}'s copy?`);
    const hinted = await replicasWhen(ctx, "n1", key, (i) =>
      i.fallbacks.some((f) => f.hintFor === victim && holds(f, value)),
    );
    const stand = hinted.info.fallbacks.find((f) => f.hintFor === victim && holds(f, value));
    say.saw(
      `home: ${hinted.info.replicas.map(shown).join(", ")}; stand-ins: ${
        hinted.info.fallbacks.map((f) => `${shown(f)} (hint for ${f.hintFor})`).join(", ") || "none"
      }`,
    );
    if (
      !say.check(stand !== undefined, `${stand?.id} holds the write as a hint for ${victim}`, "no hint found")
    )
      return;
    const fallback = stand?.id ?? "";
    say.doing("GET /cluster/members: the hints each node reports holding");
    const reported = await pollUntil(
      async () => {
        const m = (await cluster.members("n1")).find((x) => x.id === fallback);
        return m !== undefined && m.load.hints > 0 ? m : undefined;
      },
      { timeoutMs: ctx.waitMs },
    );
    say.saw(`${fallback} reports ${reported?.load.hints ?? 0} hint(s)`);
    say.check(reported !== undefined, `${fallback} reports a pending hint`, `${fallback} reports no hints`);
    ctx.failover = { key, value, victim, fallback };
  },
};

export const recoveryStep: DemoStep = {
  title: "the node recovers; hints are replayed",
  async run(ctx) {
    const { say, cluster } = ctx;
    const f = ctx.failover;
    if (f === undefined) {
      say.beginStep(4, this.title, []);
      say.check(false, "", "step 3 left no failed node to recover");
      return;
    }
    say.beginStep(4, this.title, [
      `We restart ${f.victim} with the same id and data directory: what it had on disk is still there, but it`,
      `missed ${quote(f.value)}. When ${f.fallback} sees it up again it sends the hint over, and deletes its`,
      "copy only once the home replica has it on disk. No operator action is needed.",
    ]);
    const started = Date.now();
    say.doing(`restarting ${f.victim}`);
    await cluster.restart(f.victim);
    const up = await pollUntil(
      async () => {
        const m = (await cluster.members("n1")).find((x) => x.id === f.victim);
        return m?.status === "up" ? m : undefined;
      },
      { timeoutMs: ctx.waitMs },
    );
    say.saw(
      up === undefined
        ? `${f.victim} not seen up`
        : `n1 sees ${f.victim} up ${secondsSince(started)} s after the restart`,
    );
    say.doing(`waiting for ${f.victim} to hold ${quote(f.value)} and the stand-in copy to be gone`);
    const delivered = await replicasWhen(
      ctx,
      "n1",
      f.key,
      (i) => i.replicas.some((rep) => rep.id === f.victim && holds(rep, f.value)) && i.fallbacks.length === 0,
    );
    say.saw(
      `${delivered.info.replicas.map(shown).join(", ")}; ${delivered.info.fallbacks.length} stand-in copies (${secondsSince(started)} s after the restart)`,
    );
    say.check(
      delivered.ok,
      `the hint was replayed: ${f.victim} holds ${quote(f.value)}`,
      `${f.victim} did not receive the write it missed`,
    );
    say.doing("GET /cluster/members: the hints each node still holds");
    const drained = await pollUntil(
      async () => {
        const members = (await cluster.members("n1")).filter((m) => m.state !== "left");
        return members.every((m) => m.load.hints === 0) ? members : undefined;
      },
      { timeoutMs: ctx.waitMs },
    );
    say.saw(
      `hints reported: ${(drained ?? (await cluster.members("n1"))).map((m) => `${m.id}=${m.load.hints}`).join(", ")}`,
    );
    say.check(drained !== undefined, "hints drained to 0 on every node", "hints are still pending");
    say.doing(`GET ${f.key} through ${f.victim}`);
    const read = await readThrough(ctx, f.victim, f.key);
    say.saw(`${f.victim} → ${read}`);
    say.check(read === quote(f.value), `a read through ${f.victim} returns the latest value`);
  },
};
