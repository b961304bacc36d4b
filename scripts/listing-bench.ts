/**
 * Listing a big namespace: 3 real nodes (N=3, R=2, W=2, Q=64) loaded with --keys keys of 16
 * bytes, then every key listed through n1 with `GET /keys?limit=10000`, page after page. Prints
 * the load rate, the listing's time and rate, and each node's resident memory (VmRSS) before the
 * listing and at its highest while it ran (sampled every 100 ms), so the memory a listing costs
 * is the difference. Checks the listing returned every key once, in order.
 * Run: `npm run build && node dist/scripts/listing-bench.js [--keys 1000000] [--page 10000]`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ProcessGroup } from "./bench-compare/process-group.js";
import { LocalCluster } from "./repair-bench/local-cluster.js";

const BIN = fileURLToPath(new URL("../../bin/ringkv.js", import.meta.url));
const { values } = parseArgs({
  options: {
    keys: { type: "string", default: "1000000" },
    page: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "64" },
  },
});
const KEYS = Number(values.keys);
const PAGE = Number(values.page);
const CONCURRENCY = Number(values.concurrency);

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const group = new ProcessGroup();
const root = mkdtempSync(join(tmpdir(), "ringkv-listing-"));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

const keyOf = (i: number): string => `user-${String(i).padStart(8, "0")}`;

async function load(urls: readonly string[]): Promise<number> {
  const value = Buffer.alloc(16, 120);
  let next = 0;
  const startedMs = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < KEYS; i = next++) {
      const url = urls[i % urls.length] as string;
      const res = await fetch(`${url}/kv/${keyOf(i)}?w=2`, { method: "PUT", body: value });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`PUT ${keyOf(i)}: HTTP ${res.status}`);
      if (i % 100_000 === 0 && i > 0) say(`  loaded ${i} keys`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return (performance.now() - startedMs) / 1000;
}

async function main(): Promise<void> {
  const cluster = new LocalCluster(group, root, BIN, [
    "--n",
    "3",
    "--r",
    "2",
    "--w",
    "2",
    "--partitions",
    "64",
  ]);
  await cluster.start(3);
  const urls = cluster.nodes.map((n) => cluster.url(n.id));
  const loadSeconds = await load(urls);
  say(
    `loaded ${KEYS} keys of 16 bytes in ${loadSeconds.toFixed(1)} s (${(KEYS / loadSeconds).toFixed(0)}/s)`,
  );
  const pids = cluster.nodes.map((n) => ({ id: n.id, pid: cluster.pid(n.id) }));
  const before = pids.map((p) => rssMiB(p.pid));
  const peak = [...before];
  const sampler = setInterval(() => {
    pids.forEach((p, i) => {
      peak[i] = Math.max(peak[i] as number, rssMiB(p.pid));
    });
  }, 100);
  const startedMs = performance.now();
  let listed = 0;
  let pages = 0;
  let previous = "";
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(PAGE), ...(after === null ? {} : { after }) });
    const res = await fetch(`${urls[0]}/keys?${query}`);
    if (res.status !== 200) throw new Error(`listing page ${pages}: HTTP ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { keys: string[]; next: string | null };
    for (const key of page.keys) {
      if (key <= previous) throw new Error(`listing out of order: ${key} after ${previous}`);
      previous = key;
    }
    listed += page.keys.length;
    pages++;
    after = page.next;
  } while (after !== null);
  const seconds = (performance.now() - startedMs) / 1000;
  clearInterval(sampler);
  if (listed !== KEYS) throw new Error(`listed ${listed} keys, wrote ${KEYS}`);
  say(
    `listed ${listed} keys in ${pages} pages of ${PAGE} in ${seconds.toFixed(1)} s (${(listed / seconds).toFixed(0)} keys/s)`,
  );
  pids.forEach((p, i) => {
    say(
      `  ${p.id}: RSS ${before[i]?.toFixed(0)} MiB before, ${peak[i]?.toFixed(0)} MiB at most while listing`,
    );
  });
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await group.stopAll(5000);
    rmSync(root, { recursive: true, force: true });
  });
