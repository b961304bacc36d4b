import { holds, quote, readThrough, replicasWhen, shown } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";

export const replicationStep: DemoStep = {
  title: "replication and quorum",
  async run(ctx) {
    const { say, cluster, n, r, w } = ctx;
    say.beginStep(1, this.title, [
      `Every key is stored on N=${n} nodes, its "home replicas", picked from the ring by hashing the key.`,
      `Any node can take a request. A write succeeds once W=${w} home replicas have it on disk; a read`,
      `asks R=${r} of them. Since R + W > N, every read overlaps every successful write.`,
    ]);
    const key = "greeting";
    const value = "hello, ringkv";
    say.doing(`PUT ${key} = ${quote(value)} through n1`);
    await cluster.client("n1").put(key, value);
    ctx.written.set(key, value);
    say.saw(`n1 answered 204: at least W=${w} home replicas stored it`);
    say.doing(`GET /debug/replicas/${key} through n2: which nodes hold a copy?`);
    const { info, ok } = await replicasWhen(
      ctx,
      "n2",
      key,
      (i) =>
        i.replicas.length === n && i.replicas.every((rep) => holds(rep, value)) && i.fallbacks.length === 0,
    );
    const home = info.replicas.map((rep) => rep.id);
    say.saw(
      `partition ${info.partition}; ${info.replicas.map(shown).join(", ")}; ${info.fallbacks.length} stand-in copies`,
    );
    say.check(
      ok && new Set(home).size === n,
      `the write is on exactly its N=${n} home replicas (${home.join(", ")}), with no stand-in copies`,
      `expected ${quote(value)} on exactly N=${n} home replicas and no stand-ins`,
    );
    const outsider = cluster.ids().find((id) => !home.includes(id));
    say.doing(
      `GET ${key} through every node${outsider === undefined ? "" : ` (${outsider} holds no copy: it asks the home replicas)`}`,
    );
    const reads = await Promise.all(cluster.ids().map(async (id) => [id, await readThrough(ctx, id, key)]));
    say.saw(reads.map(([id, text]) => `${id} → ${text}`).join(", "));
    say.check(
      reads.every(([, text]) => text === quote(value)),
      `a read through any node returns ${quote(value)}`,
      `a read returned something other than ${quote(value)}`,
    );
  },
};
