import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { SeededRandom } from "../../src/random/seeded-random.js";
import { openLmdbEngine } from "../../src/storage/lmdb-engine.js";
import { testSeed } from "../support/test-seed.js";
import { crashValue, MAP_SIZE_BYTES_MAX } from "./crash-protocol.js";

const ITERATIONS = 20;
const ACKS_MIN = 200;
const ACKS_MAX = 3000;
/** A child that has not produced its acks by then is stuck; the test fails instead of hanging. */
const ITERATION_TIMEOUT_MS = 20_000;

const writerPath = fileURLToPath(new URL("./crash-writer.js", import.meta.url));

interface CrashRun {
  acked: string[];
  counterAcked: number;
}

/**
 * Runs the writer until it acknowledged `acksTarget` keys, then SIGKILLs it (by PID) and waits
 * for it to exit. Rejects if the child exits on its own or stalls, with its stderr.
 */
function runUntilKilled(dir: string, acksTarget: number, children: Set<ChildProcess>): Promise<CrashRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerPath, dir], { stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    const run: CrashRun = { acked: [], counterAcked: 0 };
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
      reject(new Error(`writer stalled after ${run.acked.length} acks; stderr: ${stderr}`));
    }, ITERATION_TIMEOUT_MS);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (killed) return;
      const [kind, value] = line.split(" ");
      if (kind === "ack" && value !== undefined) run.acked.push(value);
      else if (kind === "counter") run.counterAcked = Math.max(run.counterAcked, Number(value));
      else reject(new Error(`unexpected line from writer: ${line}`));
      if (run.acked.length >= acksTarget) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (killed && signal === "SIGKILL") resolve(run);
      else reject(new Error(`writer exited by itself (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
}

describe("LMDB crash durability", () => {
  let rootDir = "";
  const children = new Set<ChildProcess>();
  const seed = testSeed();

  before(() => {
    rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "ringkv-crash-"));
  });
  after(() => {
    for (const child of children) child.kill("SIGKILL");
    fs.rmSync(rootDir, { recursive: true, force: true });
  });

  test(`every write acknowledged before SIGKILL is there after reopening (${ITERATIONS} kills, seed ${seed})`, async (t) => {
    const random = new SeededRandom(seed);
    const decoder = new TextDecoder();
    for (let iteration = 0; iteration < ITERATIONS; iteration++) {
      const dir = path.join(rootDir, `run-${iteration}`);
      const acksTarget = ACKS_MIN + random.below(ACKS_MAX - ACKS_MIN + 1);
      const run = await runUntilKilled(dir, acksTarget, children);
      const engine = await openLmdbEngine({ path: dir, mapSizeBytesMax: MAP_SIZE_BYTES_MAX });
      try {
        const context = `iteration ${iteration}, seed ${seed}, killed after ${run.acked.length} acks`;
        for (const key of run.acked) {
          const stored = engine.get("objects", new TextEncoder().encode(key));
          assert.ok(stored !== undefined, `acknowledged key ${key} is missing (${context})`);
          assert.deepEqual(stored, crashValue(key), `acknowledged key ${key} has a wrong value (${context})`);
        }
        const counter = engine.get("meta", new TextEncoder().encode("counter"));
        const counterStored = counter === undefined ? 0 : Number(decoder.decode(counter));
        assert.ok(
          counterStored >= run.counterAcked,
          `counter is ${counterStored}, but ${run.counterAcked} was acknowledged (${context})`,
        );
        t.diagnostic(
          `${context}: ${engine.stats().stores.objects.entries} keys stored, counter ${counterStored}/${run.counterAcked}`,
        );
      } finally {
        await engine.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
