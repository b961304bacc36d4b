import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ProcessGroup } from "../bench-compare/process-group.js";
import { waitUntil } from "../bench-compare/wait-until.js";
import { cpuPercent } from "./cpu.js";
import { writeKeys } from "./load.js";
import { LocalCluster } from "./local-cluster.js";

const USAGE = `usage: npm run bench:repair -- [--scenario crash|wipe|idle|all] [--keys N] [--idle-seconds S]

Measures how fast repair brings a replica back, on 3 real ringkv processes (N=3, R=2, W=2, Q=256,
as ringkv dev starts them), with no client read of the data:
  crash  SIGKILL n3, write 300 keys of 1 KiB through n1 and n2, restart n3: seconds from n3 serving
         until it holds all 300; with hints, then with hints off (anti-entropy alone)
  wipe   load --keys keys of 1 KiB (default 100000) at w=3, SIGKILL n3, delete its data directory,
         restart it: seconds until n3 holds every key again
  idle   the loaded cluster idle: each node's CPU over --idle-seconds (default 60), with
         anti-entropy on and off`;

const BIN = fileURLToPath(new URL("../../../bin/ringkv.js", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Figures {
  [name: string]: string;
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

/** Seconds from now until n3 holds `keys` keys, polling its own count every 100 ms. */
async function catchUp(cluster: LocalCluster, keys: number, timeoutMs: number): Promise<number> {
  const startedMs = performance.now();
  await waitUntil(
    `n3 to hold ${keys} keys`,
    async () => (await cluster.keysOn("n3")) >= keys,
    cluster.running(),
    timeoutMs,
    100,
  );
  return (performance.now() - startedMs) / 1000;
}

async function withCluster<T>(extraArgs: string[], run: (cluster: LocalCluster) => Promise<T>): Promise<T> {
  const group = new ProcessGroup();
  const root = mkdtempSync(join(tmpdir(), "ringkv-repair-"));
  const stop = () => void group.stopAll(2000);
  process.once("SIGINT", stop);
  try {
    const cluster = new LocalCluster(group, root, BIN, ["--n", "3", "--r", "2", "--w", "2", ...extraArgs]);
    await cluster.start(3);
    return await run(cluster);
  } finally {
    process.off("SIGINT", stop);
    await group.stopAll(5000);
    rmSync(root, { recursive: true, force: true });
  }
}

async function crash(hints: boolean): Promise<Figures> {
  const args = hints ? [] : ["--max-hints-per-node", "0"];
  return withCluster(args, async (cluster) => {
    await cluster.kill("n3");
    await waitUntil(
      "n1 to see n3 down",
      async () => (await cluster.statusSeenBy("n1", "n3")) === "down",
      [],
      30_000,
    );
    const written = await writeKeys([cluster.url("n1"), cluster.url("n2")], "missed", 300, 1024, 8, 2);
    await cluster.launch("n3");
    const seconds = await catchUp(cluster, 300, 600_000);
    return {
      scenario: `crash, ${hints ? "hints on" : "hints off (anti-entropy alone)"}`,
      keys: String(written.acked),
      seconds: seconds.toFixed(2),
      load: load(),
    };
  });
}

async function wipe(keys: number, idleSeconds: number, idle: boolean): Promise<Figures[]> {
  return withCluster([], async (cluster) => {
    const urls = cluster.nodes.map((n) => cluster.url(n.id));
    const loaded = await writeKeys(urls, "bulk", keys, 1024, 64, 3);
    const figures: Figures[] = [];
    if (idle) {
      await sleep(10_000);
      const pids = cluster.nodes.map((n) => cluster.pid(n.id));
      const cpu = await cpuPercent(pids, idleSeconds);
      figures.push({
        scenario: `idle, ${keys} keys, anti-entropy on`,
        keys: String(keys),
        seconds: String(idleSeconds),
        cpu: cpu.map((c) => `${c.toFixed(2)}%`).join(" "),
        load: load(),
      });
    }
    await cluster.kill("n3");
    cluster.wipe("n3");
    await cluster.launch("n3");
    const seconds = await catchUp(cluster, keys, 900_000);
    figures.unshift({
      scenario: `wipe, ${keys} keys (loaded in ${loaded.seconds.toFixed(1)} s)`,
      keys: String(keys),
      seconds: seconds.toFixed(2),
      load: load(),
    });
    return figures;
  });
}

async function idleWithoutAae(keys: number, idleSeconds: number): Promise<Figures> {
  return withCluster(["--aae-interval-ms", "3600000"], async (cluster) => {
    const urls = cluster.nodes.map((n) => cluster.url(n.id));
    await writeKeys(urls, "bulk", keys, 1024, 64, 3);
    await sleep(10_000);
    const cpu = await cpuPercent(
      cluster.nodes.map((n) => cluster.pid(n.id)),
      idleSeconds,
    );
    return {
      scenario: `idle, ${keys} keys, anti-entropy off`,
      keys: String(keys),
      seconds: String(idleSeconds),
      cpu: cpu.map((c) => `${c.toFixed(2)}%`).join(" "),
      load: load(),
    };
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: "string", default: "all" },
      keys: { type: "string", default: "100000" },
      "idle-seconds": { type: "string", default: "60" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const scenario = values.scenario;
  if (!["crash", "wipe", "idle", "all"].includes(scenario))
    throw new Error(`--scenario must be crash, wipe, idle or all`);
  const keys = Number(values.keys);
  const idleSeconds = Number(values["idle-seconds"]);
  if (!Number.isSafeInteger(keys) || keys < 1) throw new Error("--keys must be a positive integer");
  if (!Number.isSafeInteger(idleSeconds) || idleSeconds < 1)
    throw new Error("--idle-seconds must be a positive integer");
  const rows: Figures[] = [];
  const print = (f: Figures) => {
    rows.push(f);
    process.stdout.write(`${JSON.stringify(f)}\n`);
  };
  if (scenario === "crash" || scenario === "all") {
    print(await crash(true));
    print(await crash(false));
  }
  if (scenario === "wipe" || scenario === "idle" || scenario === "all") {
    for (const f of await wipe(keys, idleSeconds, scenario !== "wipe")) print(f);
  }
  if (scenario === "idle" || scenario === "all") print(await idleWithoutAae(keys, idleSeconds));
  process.stdout.write(
    "\n| scenario | keys | seconds | CPU per node (% of a core) | load average |\n|---|---|---|---|---|\n",
  );
  for (const r of rows)
    process.stdout.write(`| ${r.scenario} | ${r.keys} | ${r.seconds} | ${r.cpu ?? ""} | ${r.load} |\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
