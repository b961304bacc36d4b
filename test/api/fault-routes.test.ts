import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { AccessControl } from "../../src/api/auth/access-control.js";
import { FAULT_RULES_BODY_BYTES_MAX, faultRoutes } from "../../src/api/fault-routes.js";
import { ApiServer } from "../../src/api/http-server.js";
import { Router } from "../../src/api/router.js";
import { optionDefaults } from "../../src/config/node-options.js";
import { silentLogger } from "../../src/log/logger.js";
import { NodeMetrics } from "../../src/metrics/node-metrics.js";
import { FaultInjectingTransport, type FaultRule, MemoryNetwork } from "../../src/net/index.js";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { ManualClock } from "../net/fake-clocks.js";

/**
 * The routes mounted on the real ApiServer (so errors take the same path to JSON as on a node),
 * controlling a real FaultInjectingTransport (so validation is the real one).
 */
describe("/admin/faults", () => {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ clock, random: new SeededRandom(1) });
  const controller = new FaultInjectingTransport(network.transport("n1", "n1:7000"), {
    clock,
    idOf: () => undefined,
  });
  const metrics = new NodeMetrics(
    "n1",
    () => ({
      stores: { objects: { entries: 0 }, hints: { entries: 0 }, meta: { entries: 0 } },
      diskBytes: 0,
    }),
    { processMetrics: false },
  );
  const server = new ApiServer({
    nodeId: "n1",
    router: new Router(faultRoutes(controller)),
    limits: optionDefaults.httpServer,
    valueBytesMax: 1024 * 1024,
    logger: silentLogger(),
    metrics,
    access: new AccessControl(
      {
        auth: "none",
        metricsPublic: false,
        failures: { failuresPerSourceMax: 20, windowMs: 60_000, sourcesMax: 100 },
      },
      {
        adminTokenHash: undefined,
        tokens: () => undefined,
        nowMs: () => Date.now(),
        logger: silentLogger(),
        metrics,
      },
    ),
  });
  let base = "";

  before(async () => {
    const bound = await server.start({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${bound.port}/admin/faults`;
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => controller.clear());

  async function call(method: string, body?: string, url = base): Promise<{ status: number; json: unknown }> {
    const res = await fetch(url, {
      method,
      ...(body === undefined ? {} : { body, headers: { "content-type": "application/json" } }),
    });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) as unknown };
  }

  async function assertBadRequest(body: string, message: RegExp): Promise<void> {
    const before = controller.rules();
    const { status, json } = await call("PUT", body);
    assert.equal(status, 400, JSON.stringify(json));
    const error = json as { error?: unknown; message?: unknown };
    assert.equal(error.error, "bad_request");
    assert.match(String(error.message), message);
    assert.deepEqual(controller.rules(), before, "a refused body leaves the rules as they were");
  }

  const partition: FaultRule[] = [
    { peer: "n2", direction: "both", mode: "drop" },
    { peer: "n3", direction: "out", mode: "delay", delayMs: 250 },
  ];

  test("GET lists no rules on a fresh node", async () => {
    assert.deepEqual(await call("GET"), { status: 200, json: { rules: [] } });
  });

  test("PUT replaces every rule, answers with them, and they are in force on the transport", async () => {
    controller.set([{ peer: "old", direction: "in", mode: "drop" }]);
    const put = await call("PUT", JSON.stringify({ rules: partition }));
    assert.deepEqual(put, { status: 200, json: { rules: partition } });
    assert.deepEqual(controller.rules(), partition);
    assert.deepEqual(await call("GET"), { status: 200, json: { rules: partition } });
  });

  test("DELETE heals: no rules remain", async () => {
    controller.set(partition);
    assert.deepEqual(await call("DELETE"), { status: 200, json: { rules: [] } });
    assert.deepEqual(controller.rules(), []);
  });

  test("PUT with an empty list heals too", async () => {
    controller.set(partition);
    assert.deepEqual(await call("PUT", '{"rules":[]}'), { status: 200, json: { rules: [] } });
  });

  test("malformed JSON is a 400 that says so", async () => {
    controller.set(partition);
    await assertBadRequest('{"rules": [', /not valid JSON/);
  });

  test("a body that is not an object with only rules is a 400", async () => {
    await assertBadRequest("[]", /must be a JSON object/);
    await assertBadRequest("{}", /needs a "rules" array/);
    await assertBadRequest('{"rules": [], "heal": true}', /unknown field "heal"/);
    await assertBadRequest('{"rules": "n2"}', /must be an array/);
  });

  test("a bad rule is a 400 naming the rule and the field, and no rule of the list is applied", async () => {
    controller.set(partition);
    await assertBadRequest(
      JSON.stringify({
        rules: [
          { peer: "n4", direction: "in", mode: "drop" },
          { peer: "n5", direction: "in", mode: "delay", delayMs: 999_999 },
        ],
      }),
      /rules\[1\]: mode "delay" needs delayMs, an integer in 0\.\.60000/,
    );
  });

  test("more than 64 rules is a 400", async () => {
    const rules = Array.from({ length: 65 }, (_, i) => ({ peer: `n${i}`, direction: "in", mode: "drop" }));
    await assertBadRequest(JSON.stringify({ rules }), /at most 64 fault rules/);
  });

  test("a body over the limit is refused with 413 before it is parsed", async () => {
    const { status, json } = await call("PUT", " ".repeat(FAULT_RULES_BODY_BYTES_MAX + 1));
    assert.equal(status, 413);
    assert.equal((json as { error?: unknown }).error, "value_too_large");
  });

  test("a query parameter is a 400", async () => {
    const { status, json } = await call("GET", undefined, `${base}?peer=n2`);
    assert.equal(status, 400);
    assert.match(String((json as { message?: unknown }).message), /no query parameters/);
  });

  test("another method is a 405 listing GET, PUT and DELETE", async () => {
    const res = await fetch(base, { method: "POST", body: "{}" });
    await res.text();
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "GET, PUT, DELETE");
  });

  test('requests are counted under the route name "admin_faults"', async () => {
    await call("GET");
    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /ringkv_http_requests_total\{[^}]*route="admin_faults"[^}]*method="GET"[^}]*status="200"/,
    );
  });
});
