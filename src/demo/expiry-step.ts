import { PreconditionFailedError } from "../client/errors.js";
import { quote, readThrough } from "./demo-probes.js";
import type { DemoStep } from "./demo-step.js";

/** The session's time to live: long enough to read it back, short enough to watch it go. */
const SESSION_TTL_S = 3;

export const expiryStep: DemoStep = {
  title: "a session expires by itself; a create-only write is refused",
  async run(ctx) {
    const { say, cluster } = ctx;
    const [first, second] = cluster.running().map((node) => node.id);
    if (first === undefined || second === undefined) {
      say.check(false, "two nodes are running", "fewer than two nodes are running");
      return;
    }
    const session = "session-42";
    say.beginStep(7, this.title, [
      `A login session is written with ttl_s=${SESSION_TTL_S}: the coordinator stamps an absolute deadline`,
      "into the version, so every replica agrees when it ends. Until then it reads as usual, with",
      "X-Ringkv-Expires-At; from then on every node answers 404, as if it had been deleted.",
      "Then a user name is claimed with If-None-Match: * (create only): the second claim is refused",
      "with 412, so an application can tell 'I created it' from 'someone already had it'.",
    ]);
    say.doing(`PUT ${session} = "alice" with ttl_s=${SESSION_TTL_S} through ${first}`);
    await cluster.client(first).put(session, "alice", { ttlS: SESSION_TTL_S });
    const read = await cluster.client(second).get(session);
    const expiresAtMs = read.status === 200 ? read.expiresAtMs : undefined;
    say.saw(
      read.status === 200
        ? `${second} → 200 "alice", expires at ${expiresAtMs === undefined ? "?" : new Date(expiresAtMs).toISOString()}`
        : `${second} → status ${read.status}`,
    );
    const readBack = say.check(
      read.status === 200 && expiresAtMs !== undefined,
      "the session reads back with its deadline",
    );
    if (!readBack || expiresAtMs === undefined) return;
    const waitMs = Math.max(0, expiresAtMs - Date.now()) + 200;
    say.doing(`waiting ${(waitMs / 1000).toFixed(1)} s for the deadline to pass`);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    const after = await Promise.all(
      cluster.running().map(async (node) => `${node.id} → ${await readThrough(ctx, node.id, session)}`),
    );
    say.saw(after.join(", "));
    say.check(
      after.every((line) => line.endsWith("→ not found (404)")),
      "every node reads the expired session as 404",
      "a node still returned the session after its deadline",
    );

    const claim = "username-alice";
    say.doing(`PUT ${claim} = "user 1" with If-None-Match: * through ${first}`);
    await cluster.client(first).put(claim, "user 1", { ifNoneMatch: true });
    say.saw("204: created");
    say.doing(`PUT ${claim} = "user 2" with If-None-Match: * through ${second}`);
    let refused = false;
    try {
      await cluster.client(second).put(claim, "user 2", { ifNoneMatch: true });
      say.saw("204: stored (it should not have been)");
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      refused = true;
      say.saw(`412 ${error.code}`);
    }
    if (!say.check(refused, "the second create-only write is refused")) return;
    const owner = await readThrough(ctx, second, claim);
    say.saw(`${second} → ${owner}`);
    say.check(owner === quote("user 1"), "the first claim still holds the name");
  },
};
