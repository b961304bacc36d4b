import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type BrowserContext, chromium } from "playwright-core";
import { waitFor } from "../../src/clock/poll.js";
import { placementFlags } from "../../src/local/index.js";
import { NodeProcess } from "../support/node-process.js";

const CHROMIUM = process.env.RINGKV_CHROMIUM ?? "/usr/bin/chromium";

/** What the page shows about its connection and the token form, read inside the page. */
const STATE = `(() => ({
  connection: document.getElementById("connection")?.dataset.state,
  banner: document.getElementById("connection")?.textContent ?? "",
  formShown: document.getElementById("login")?.hidden === false,
  self: document.getElementById("self")?.textContent ?? "",
  stored: sessionStorage.getItem("ringkv-token"),
}))()`;

interface PageState {
  connection: string | undefined;
  banner: string;
  formShown: boolean;
  self: string;
  stored: string | null;
}

const root = mkdtempSync(join(tmpdir(), "ringkv-dashboard-auth-"));
const adminToken = "d".repeat(48);
let node: NodeProcess;
let context: BrowserContext | undefined;
let base = "";

before(async () => {
  writeFileSync(join(root, "admin-token"), `${adminToken}\n`);
  node = new NodeProcess([
    ...placementFlags({
      id: "n1",
      listen: "127.0.0.1:0",
      http: "127.0.0.1:0",
      dataDir: join(root, "n1"),
      seeds: [],
    }),
    "--n",
    "1",
    "--auth",
    "required",
    "--admin-token-file",
    join(root, "admin-token"),
  ]);
  base = `http://${(await node.serving()).http}`;
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  context = await chromium.launchPersistentContext(join(root, "chromium"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
    ],
    timeout: 60_000,
  });
});

after(async () => {
  await context?.close().catch(() => undefined);
  await node?.ensureStopped();
  rmSync(root, { recursive: true, force: true });
});

test("with --auth required the dashboard asks for a token, keeps it for the tab only, and refuses a bad one", {
  timeout: 120_000,
}, async () => {
  assert.ok(context !== undefined);
  const created = await fetch(`${base}/admin/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ name: "viewer", role: "read" }),
  });
  assert.equal(created.status, 201);
  const { token } = (await created.json()) as { token: string };
  // Outside a browser /ui is a read route like any other.
  assert.equal((await fetch(`${base}/ui`)).status, 401);
  assert.equal((await fetch(`${base}/cluster/overview`)).status, 401);

  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${base}/ui`);
  const state = async (): Promise<PageState> => (await page.evaluate(STATE)) as PageState;
  await waitFor("the page asks for a token", async () => (await state()).formShown, 10_000);
  assert.match((await state()).banner, /requires a token/);

  // A wrong token is refused and the page asks again.
  await page.fill("#token", "viewer.not-the-secret");
  await page.click("#login button");
  await waitFor(
    "the page says the token was refused",
    async () => {
      const s = await state();
      return s.formShown && /refused/.test(s.banner);
    },
    10_000,
  );
  assert.equal((await state()).stored, null, "a refused token is not kept");

  await page.fill("#token", token);
  await page.click("#login button");
  await waitFor(
    "the dashboard goes live with the token",
    async () => {
      const s = await state();
      return s.connection === "live" && s.self.includes("n1");
    },
    15_000,
  );
  const live = await state();
  assert.equal(live.formShown, false);
  assert.equal(live.stored, token, "kept in this tab's sessionStorage");

  // Another tab of the same browser has its own session storage: it asks again.
  const other = await context.newPage();
  await other.goto(`${base}/ui`);
  await waitFor(
    "the second tab asks for a token",
    async () => ((await other.evaluate(STATE)) as PageState).formShown,
    10_000,
  );
  assert.deepEqual(errors, []);
});
