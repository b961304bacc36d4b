import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { waitFor } from "../../src/clock/poll.js";
import { RINGKV_BIN, runCli } from "../support/node-process.js";

interface DemoRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function startDemo(args: string[] = []): DemoRun {
  const child = spawn(process.execPath, [RINGKV_BIN, "demo", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The PIDs the demo says it started ("started n3 (pid 1234)"). */
function startedPids(stdout: string): number[] {
  return [...stdout.matchAll(/started n\d+ \(pid (\d+)\)/g)].map((m) => Number(m[1]));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a demo that is still running after a failed assertion: SIGINT first (the demo stops its
 * nodes by PID), then SIGKILL for the demo and any node it reported, so nothing outlives the test.
 */
async function ensureStopped(run: DemoRun): Promise<void> {
  const pid = run.child.pid;
  if (run.child.exitCode === null && run.child.signalCode === null && pid !== undefined) {
    process.kill(pid, "SIGINT");
    const stopped = await Promise.race([
      run.exited.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ]);
    if (!stopped) {
      process.kill(pid, "SIGKILL");
      await run.exited;
    }
  }
  for (const node of startedPids(run.stdout())) if (isRunning(node)) process.kill(node, "SIGKILL");
}

async function waitForOutput(run: DemoRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  try {
    await waitFor(
      `${pattern} in the demo's output (or the demo to exit)`,
      () => pattern.test(run.stdout()) || run.child.exitCode !== null,
      timeoutMs,
    );
  } catch (error) {
    assert.fail(`${error instanceof Error ? error.message : String(error)}:\n${run.stdout()}`);
  }
  if (!pattern.test(run.stdout())) assert.fail(`demo exited with ${run.child.exitCode}:\n${run.stdout()}`);
}

test("ringkv demo walks through the six scenarios, passes every check, and leaves nothing running", {
  timeout: 150_000,
}, async () => {
  const run = startDemo();
  try {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      run.exited,
      new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), 120_000);
      }),
    ]);
    clearTimeout(timer);
    const out = run.stdout();
    assert.notEqual(code, "timeout", `the demo did not finish in 120 s:\n${out}`);
    assert.equal(code, 0, `demo failed:\n${out}\n${run.stderr().slice(-5000)}`);
    for (const step of [1, 2, 3, 4, 5, 6, 7]) assert.match(out, new RegExp(`✓ step ${step} passed: `));
    assert.doesNotMatch(out, /^\s*✗/m, "no check failed");
    assert.match(out, /demo passed: 7 of 7 steps/);
    // The narration covers each scenario of the seed reports' demo.
    for (const line of [
      /✓ the write is on exactly its N=3 home replicas/,
      /✓ a read through any node returns "hello, ringkv"/,
      /✓ n6 joined: it is active and owns partitions/,
      /✓ the write succeeded with n\d down: a stand-in took n\d's copy/,
      /✓ n\d holds the write as a hint for n\d/,
      /✓ the hint was replayed: n\d holds "version 2"/,
      /✓ hints drained to 0 on every node/,
      /✓ the read returns both concurrent values as siblings/,
      /✓ all 3 home replicas converged to the single merged version/,
      /✓ n6's process exited cleanly \(code 0\)/,
      /✓ every key is still readable through every node/,
      /✓ the session reads back with its deadline/,
      /✓ every node reads the expired session as 404/,
      /✓ the second create-only write is refused/,
      /✓ the first claim still holds the name/,
    ])
      assert.match(out, line);
    // Five nodes, n6, and the crashed node's restart: seven processes, every one gone now.
    const pids = startedPids(out);
    assert.equal(pids.length, 7, out);
    for (const pid of pids) assert.equal(isRunning(pid), false, `node process ${pid} is still running`);
    const dir = /removed (\S+)\n/.exec(out)?.[1];
    assert.ok(dir !== undefined && !existsSync(dir), `the demo's data directory ${dir} is removed`);
  } finally {
    await ensureStopped(run);
  }
});

test("Ctrl-C during ringkv demo stops every node it started and removes its data", {
  timeout: 90_000,
}, async () => {
  const run = startDemo();
  try {
    await waitForOutput(run, /all 5 nodes are active/, 60_000);
    assert.equal(startedPids(run.stdout()).length, 5);
    process.kill(run.child.pid ?? 0, "SIGINT");
    assert.equal(await run.exited, 130);
    for (const pid of startedPids(run.stdout()))
      assert.equal(isRunning(pid), false, `node process ${pid} is still running`);
    const dir = /removed (\S+)\n/.exec(run.stdout())?.[1];
    assert.ok(dir !== undefined && !existsSync(dir), `the demo's data directory ${dir} is removed`);
  } finally {
    await ensureStopped(run);
  }
});

test("ringkv demo refuses bad flags with a usage error and starts nothing", () => {
  const result = runCli(["demo", "--partitions", "12"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--partitions must be a power of two/);
  assert.doesNotMatch(result.stdout, /started n1/);
  const help = runCli(["demo", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--keep/);
});
