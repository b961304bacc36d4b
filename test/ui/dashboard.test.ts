import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { waitFor } from "../../src/clock/poll.js";
import { useCluster } from "../support/cluster.js";

/** Debian's chromium package; .ci/run installs it when missing. Without it this test fails. */
const CHROMIUM = process.env.RINGKV_CHROMIUM ?? "/usr/bin/chromium";
const PARTITIONS = 64;

interface Snapshot {
  connection: string | undefined;
  self: string;
  partitions: number;
  legend: string[];
  firstTitle: string;
  members: { id: string; state: string; status: string; partitions: number }[];
  traffic: { id: string; putRate: number; getRate: number; unavailable: string | null }[];
  repair: { id: string; stored: number; delivered: number; fullPass: string; unavailable: string | null }[];
  hintTargets: { holder: string; target: string; pending: number; stored: number; delivered: number }[];
  namespaces: { name: string; keys: number; copies: number }[];
}

/**
 * Reads what the page shows, in one go, inside the page. A string, not a function: this project
 * compiles without the DOM's types, and the browser only needs the source anyway.
 */
const SNAPSHOT = `(() => {
  const value = (row, field) => row.querySelector('[data-field="' + field + '"]')?.dataset.value;
  return {
    connection: document.getElementById("connection")?.dataset.state,
    self: document.getElementById("self")?.textContent ?? "",
    partitions: document.querySelectorAll("#ring path[data-partition]").length,
    legend: [...document.querySelectorAll("#legend li")].map((li) => li.dataset.owner),
    firstTitle: document.querySelector('#ring path[data-partition="0"] title')?.textContent ?? "",
    members: [...document.querySelectorAll("#members tbody tr")].map((row) => ({
      id: row.dataset.member,
      state: value(row, "state") ?? row.querySelector('[data-field="state"]')?.textContent,
      status: value(row, "status"),
      partitions: Number(value(row, "partitions")),
    })),
    traffic: [...document.querySelectorAll("#traffic tbody tr")].map((row) => ({
      id: row.dataset.member,
      putRate: Number(value(row, "put-rate") ?? "NaN"),
      getRate: Number(value(row, "get-rate") ?? "NaN"),
      unavailable: row.querySelector('[data-field="unavailable"]')?.textContent ?? null,
    })),
    repair: [...document.querySelectorAll("#repair tbody tr")].map((row) => ({
      id: row.dataset.member,
      stored: Number(value(row, "hints-stored") ?? "NaN"),
      delivered: Number(value(row, "hints-delivered") ?? "NaN"),
      fullPass: value(row, "aae-full-pass") ?? "",
      unavailable: row.querySelector('[data-field="unavailable"]')?.textContent ?? null,
    })),
    hintTargets: [...document.querySelectorAll("#hint-targets tbody tr[data-target]")].map((row) => ({
      holder: row.dataset.member,
      target: row.dataset.target,
      pending: Number(value(row, "pending")),
      stored: Number(value(row, "stored")),
      delivered: Number(value(row, "delivered")),
    })),
    namespaces: [...document.querySelectorAll("#namespaces tbody tr[data-namespace]")].map((row) => ({
      name: row.dataset.namespace,
      keys: Number(value(row, "keys")),
      copies: Number(value(row, "copies")),
    })),
  };
})()`;

describe("the dashboard in headless Chromium, against a real 3-node cluster", () => {
  const suite = useCluster({ nodes: 3, n: 3, partitions: PARTITIONS });
  const userDataDir = mkdtempSync(join(tmpdir(), "ringkv-chromium-"));
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  // A browser that cannot start fails every test with the reason (a failed hook would only
  // cancel them); it never skips.
  let launchError: unknown;
  before(async () => {
    try {
      if (!existsSync(CHROMIUM))
        throw new Error(
          `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`,
        );
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        timeout: 60_000,
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on("pageerror", (error) => pageErrors.push(String(error)));
      page.on("console", (message) => {
        if (message.type() === "error") pageErrors.push(`${message.text()} (${message.location().url})`);
      });
    } catch (error) {
      launchError = error;
    }
  });
  const browserReady = (): void => {
    if (launchError !== undefined) throw launchError;
  };

  after(async () => {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  });

  const snapshot = async (): Promise<Snapshot> => (await page.evaluate(SNAPSHOT)) as Snapshot;

  /** Polls the page until `check` holds, failing with the last snapshot after `timeoutMs`. */
  const waitForPage = async (
    check: (s: Snapshot) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Snapshot> => {
    let last: Snapshot | undefined;
    try {
      await waitFor(
        what,
        async () => {
          last = await snapshot();
          return check(last);
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${String(error)}; the page showed ${JSON.stringify(last)}`);
    }
    return last as Snapshot;
  };

  test("the page shows every member up and the ring with Q partitions", () =>
    suite.track(async () => {
      browserReady();
      const response = await page.goto(`${suite.url("n1")}/ui`);
      assert.equal(response?.status(), 200);
      const s = await waitForPage(
        (s) =>
          s.members.length === 3 && s.members.every((m) => m.status === "up") && s.partitions === PARTITIONS,
        15_000,
        "three members up and the ring drawn",
      );
      assert.equal(s.connection, "live");
      assert.equal(s.self, "n1");
      assert.deepEqual(
        s.members.map((m) => [m.id, m.state]),
        [
          ["n1", "active"],
          ["n2", "active"],
          ["n3", "active"],
        ],
      );
      assert.equal(
        s.members.reduce((sum, m) => sum + m.partitions, 0),
        PARTITIONS,
      );
      assert.deepEqual([...s.legend].sort(), ["n1", "n2", "n3"]);
      // The tooltip names the partition's three home replicas: every node, each once.
      const home = /home replicas: (.*)/.exec(s.firstTitle)?.[1]?.split(", ") ?? [];
      assert.deepEqual([...home].sort(), ["n1", "n2", "n3"], s.firstTitle);
      assert.deepEqual(pageErrors, []);
    }));

  test("PUTs through the API show non-zero request rates for the nodes that took them", () =>
    suite.track(async () => {
      browserReady();
      for (let i = 0; i < 40; i++) {
        const node = i % 2 === 0 ? "n1" : "n2";
        const r = await fetch(`${suite.url(node)}/kv/dash-${i}`, { method: "PUT", body: `v${i}` });
        assert.equal(r.status, 204);
      }
      const r = await fetch(`${suite.url("n3")}/kv/dash-0`);
      assert.equal(r.status, 200);
      const s = await waitForPage(
        (s) => {
          const rate = (id: string, field: "putRate" | "getRate"): number =>
            s.traffic.find((t) => t.id === id)?.[field] ?? Number.NaN;
          return rate("n1", "putRate") > 0 && rate("n2", "putRate") > 0 && rate("n3", "getRate") > 0;
        },
        10_000,
        "PUT rates on n1 and n2 and a GET rate on n3",
      );
      assert.equal(s.traffic.find((t) => t.id === "n3")?.putRate, 0);
      assert.deepEqual(pageErrors, []);
    }));

  test("the namespaces panel shows each namespace with its keys (n copies of each counted over the nodes)", () =>
    suite.track(async () => {
      browserReady();
      const CARTS = 12;
      for (let i = 0; i < CARTS; i++) {
        const r = await fetch(`${suite.url("n2")}/kv/carts/cart-${i}?w=3`, { method: "PUT", body: `c${i}` });
        assert.equal(r.status, 204);
      }
      // Counts are taken about every 10 s on each node.
      const s = await waitForPage(
        (s) => s.namespaces.find((n) => n.name === "carts")?.copies === 3 * CARTS,
        30_000,
        `namespace carts with ${CARTS} keys on 3 nodes`,
      );
      assert.deepEqual(
        s.namespaces.find((n) => n.name === "carts"),
        { name: "carts", keys: CARTS, copies: 3 * CARTS },
      );
      // A namespace with an n of its own: its keys are its copies divided by its n, not N.
      const set = await fetch(`${suite.url("n1")}/namespaces/pairs`, { method: "PUT", body: '{"n":2}' });
      assert.equal(set.status, 200, await set.text());
      const PAIRS = 10;
      for (let i = 0; i < PAIRS; i++) {
        const r = await fetch(`${suite.url("n3")}/kv/pairs/p-${i}?w=2`, { method: "PUT", body: `p${i}` });
        assert.equal(r.status, 204);
      }
      const p = await waitForPage(
        (s) => s.namespaces.find((n) => n.name === "pairs")?.copies === 2 * PAIRS,
        30_000,
        `namespace pairs (n=2) with ${PAIRS} keys`,
      );
      assert.deepEqual(
        p.namespaces.find((n) => n.name === "pairs"),
        { name: "pairs", keys: PAIRS, copies: 2 * PAIRS },
      );
      const defaults = s.namespaces.find((n) => n.name === "default");
      assert.ok(
        defaults !== undefined && defaults.keys >= 40,
        `the 40 keys written to default: ${JSON.stringify(s.namespaces)}`,
      );
      assert.deepEqual(
        s.namespaces.map((n) => n.name),
        [...s.namespaces.map((n) => n.name)].sort(),
        "namespaces in name order",
      );
      assert.deepEqual(pageErrors, []);
    }));

  test("after SIGKILL of a node the page marks it down within seconds", () =>
    suite.track(async () => {
      browserReady();
      const killedAt = Date.now();
      await suite.cluster.kill("n3");
      const s = await waitForPage(
        (s) => s.members.find((m) => m.id === "n3")?.status === "down",
        15_000,
        "n3 shown down",
      );
      const seconds = (Date.now() - killedAt) / 1000;
      process.stderr.write(`dashboard showed n3 down ${seconds.toFixed(1)} s after SIGKILL\n`);
      // Its figures are gone, not failing the page: the others still show theirs.
      const n3 = s.traffic.find((t) => t.id === "n3");
      assert.ok(n3?.unavailable === "down" || n3?.unavailable === "unreachable", JSON.stringify(n3));
      assert.ok(Number.isFinite(s.traffic.find((t) => t.id === "n2")?.putRate), JSON.stringify(s.traffic));
      assert.equal(s.connection, "live");
      assert.deepEqual(
        s.members.filter((m) => m.id !== "n3").map((m) => m.status),
        ["up", "up"],
      );
      assert.deepEqual(pageErrors, []);
    }));

  test("the repair panel shows the hints written for the down node, then their delivery after it restarts", () =>
    suite.track(async () => {
      browserReady();
      // n3 is down (killed by the test before): writes through n1 leave hints on n1 for n3.
      const KEYS = 20;
      for (let i = 0; i < KEYS; i++) {
        const r = await fetch(`${suite.url("n1")}/kv/repair-${i}`, { method: "PUT", body: `r${i}` });
        assert.equal(r.status, 204);
      }
      const held = await waitForPage(
        (s) => {
          const t = s.hintTargets.find((h) => h.holder === "n1" && h.target === "n3");
          return t !== undefined && t.pending >= KEYS && t.stored >= KEYS;
        },
        15_000,
        `n1 shown holding at least ${KEYS} hints for n3`,
      );
      assert.ok((held.repair.find((r) => r.id === "n1")?.stored ?? 0) >= KEYS, JSON.stringify(held.repair));
      await suite.cluster.restart("n3");
      const delivered = await waitForPage(
        (s) => {
          const t = s.hintTargets.find((h) => h.holder === "n1" && h.target === "n3");
          return t !== undefined && t.pending === 0 && t.delivered >= KEYS;
        },
        30_000,
        "n1's hints for n3 shown delivered",
      );
      assert.ok(
        (delivered.repair.find((r) => r.id === "n1")?.delivered ?? 0) >= KEYS,
        JSON.stringify(delivered.repair),
      );
      // Once n3 is back, n1 compares every partition with n2 and n3: the full pass gets an age.
      await waitForPage(
        (s) => s.repair.find((r) => r.id === "n1")?.fullPass !== "",
        30_000,
        "n1 shown with a full anti-entropy pass",
      );
      assert.deepEqual(pageErrors, []);
    }));
});
