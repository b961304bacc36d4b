import { describeRead, holds, quote, readThrough, replicasWhen, shown } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";

export const siblingsStep: DemoStep = {
  title: "concurrent writes become siblings, resolved by a merged write",
  async run(ctx) {
    const { say, cluster, n } = ctx;
    const key = "shopping-cart";
    say.beginStep(5, this.title, [
      `Two clients write ${quote(key)} at the same time through different nodes, neither having read it first.`,
      "Neither write knows about the other, so ringkv keeps both as siblings rather than silently dropping",
      "one (as last-write-wins would). A read returns both with one context; the application merges them",
      "and writes the result with that context, which says: this replaces both.",
    ]);
    say.doing(`at the same time: PUT ${key} = "apples" through n1, and PUT ${key} = "pears" through n4`);
    const results = await Promise.allSettled([
      cluster.client("n1").put(key, "apples"),
      cluster.client("n4").put(key, "pears"),
    ]);
    const bothOk = results.every((x) => x.status === "fulfilled");
    say.saw(bothOk ? "both answered 204" : "a write failed");
    if (!say.check(bothOk, "both writes were accepted")) return;
    say.doing(`GET ${key} through n2`);
    const read = await cluster.client("n2").get(key);
    const values =
      read.status === 300 ? read.siblings.map((s) => Buffer.from(s.value).toString()).sort() : [];
    say.saw(
      read.status === 300
        ? `300 Multiple Choices: ${values.map(quote).join(" and ")}, with one context`
        : `status ${read.status}: ${describeRead(read)}`,
    );
    if (
      !say.check(
        read.status === 300 && JSON.stringify(values) === JSON.stringify(["apples", "pears"]),
        "the read returns both concurrent values as siblings",
        "expected a 300 with the siblings apples and pears",
      ) ||
      read.status !== 300
    )
      return;
    const merged = "apples,pears";
    say.doing(`PUT ${key} = ${quote(merged)} through n2 with the context of that read`);
    await cluster.client("n2").put(key, merged, { context: read.context });
    ctx.written.set(key, merged);
    say.saw("204: stored");
    say.doing(`GET ${key} through n5`);
    const after = await readThrough(ctx, "n5", key);
    say.saw(`n5 → ${after}`);
    say.check(after === quote(merged), "the merged write replaced both siblings (200, one value)");
    say.doing(`GET /debug/replicas/${key}: what does each home replica hold now?`);
    const converged = await replicasWhen(ctx, "n1", key, (i) =>
      i.replicas.every((rep) => holds(rep, merged)),
    );
    say.saw(converged.info.replicas.map(shown).join(", "));
    say.check(
      converged.ok,
      `all ${n} home replicas converged to the single merged version`,
      "the home replicas did not converge to the merged version",
    );
  },
};
