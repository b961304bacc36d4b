import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { benchOptionsFromFlags, benchSpec, targetFromFlags } from "../../../src/cli/bench-command.js";
import { parseFlags } from "../../../src/cli/flags.js";
import { ConfigError } from "../../../src/errors.js";
import { runCli } from "../../support/node-process.js";

const parse = (argv: string[]) => parseFlags(benchSpec, argv, {});
const options = (argv: string[]) => benchOptionsFromFlags(parse(argv));
const target = (argv: string[]) => targetFromFlags(parse(argv));

describe("ringkv bench flags", () => {
  test("defaults: workload a, 50 connections, 1 KiB values, 30 s, ringkv on 127.0.0.1:8001", () => {
    const o = options([]);
    assert.deepEqual(o.workloads, ["a"]);
    assert.equal(o.connections, 50);
    assert.equal(o.valueBytes, 1024);
    assert.equal(o.durationMs, 30_000);
    assert.equal(o.operations, undefined);
    assert.deepEqual(target([]), {
      target: "ringkv",
      nodes: ["http://127.0.0.1:8001"],
      r: undefined,
      w: undefined,
      ns: undefined,
      protocol: undefined,
      security: { token: undefined, ca: undefined },
    });
  });

  test("a comma list of workloads, --operations instead of a duration, pacing and a distribution", () => {
    const o = options([
      "--workload",
      "A,b,c,f,d",
      "--operations",
      "500",
      "--target-rate",
      "100",
      "--distribution",
      "hotspot",
    ]);
    assert.deepEqual(o.workloads, ["a", "b", "c", "f", "d"]);
    assert.equal(o.operations, 500);
    assert.equal(o.durationMs, undefined);
    assert.equal(o.targetRatePerSecond, 100);
    assert.equal(o.distribution, "hotspot");
  });

  test("targets: --nodes and quorums for ringkv, --redis, --etcd endpoints", () => {
    assert.deepEqual(
      target([
        "--nodes",
        "http://127.0.0.1:1,http://127.0.0.1:2",
        "--r",
        "1",
        "--w",
        "all",
        "--ns",
        "carts",
        "--protocol",
        "http",
      ]),
      {
        target: "ringkv",
        nodes: ["http://127.0.0.1:1", "http://127.0.0.1:2"],
        r: 1,
        w: "all",
        ns: "carts",
        protocol: "http",
        security: { token: undefined, ca: undefined },
      },
    );
    assert.deepEqual(target(["--target", "redis", "--redis", "redis://127.0.0.1:7000"]), {
      target: "redis",
      url: "redis://127.0.0.1:7000",
    });
    assert.deepEqual(target(["--target", "etcd", "--etcd", "http://127.0.0.1:1, http://127.0.0.1:2"]), {
      target: "etcd",
      endpoints: ["http://127.0.0.1:1", "http://127.0.0.1:2"],
    });
  });

  test("--token and --ca reach the ringkv target; the CA file is read, an unreadable one is a flag error", () => {
    const dir = mkdtempSync(join(tmpdir(), "ringkv-bench-flags-"));
    try {
      const caFile = join(dir, "ca.pem");
      writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\n");
      const t = target(["--nodes", "https://127.0.0.1:1", "--token", "s3cret", "--ca", caFile]);
      assert.ok(t.target === "ringkv");
      assert.equal(t.security?.token, "s3cret");
      assert.equal(t.security?.ca?.toString(), "-----BEGIN CERTIFICATE-----\n");
      assert.throws(
        () => target(["--ca", join(dir, "missing.pem")]),
        (error: unknown) =>
          error instanceof ConfigError && /--ca .*missing\.pem cannot be read \(ENOENT\)/.test(error.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: { argv: string[]; message: RegExp }[] = [
    { argv: ["--workload", "e"], message: /--workload must be one of a, b, c, d, f/ },
    { argv: ["--distribution", "gaussian"], message: /--distribution must be one of zipfian, latest/ },
    { argv: ["--duration-s", "5", "--operations", "10"], message: /either --duration-s or --operations/ },
    { argv: ["--target-rate", "0"], message: /--target-rate must be at least 1/ },
    { argv: ["--target", "mongodb"], message: /--target must be one of ringkv, redis, etcd/ },
    { argv: ["--target", "redis", "--r", "2"], message: /--r applies to --target ringkv only/ },
    { argv: ["--protocol", "grpc"], message: /--protocol must be one of binary, http, got "grpc"/ },
    {
      argv: ["--target", "etcd", "--protocol", "http"],
      message: /--protocol applies to --target ringkv only/,
    },
    { argv: ["--etcd", "http://127.0.0.1:2379"], message: /--etcd applies to --target redis or etcd only/ },
    {
      argv: ["--target", "redis", "--redis", "http://x"],
      message: /--redis "http:\/\/x" must start with redis:\/\//,
    },
    { argv: ["--nodes", "not a url"], message: /--nodes "not a url" is not a URL/ },
    { argv: ["--r", "0"], message: /--r must be a positive number/ },
  ];
  for (const { argv, message } of bad) {
    test(`refuses ${argv.join(" ")}`, () => {
      assert.throws(
        () => {
          options(argv);
          target(argv);
        },
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  test("counts are validated before anything connects", async () => {
    const { validateBenchOptions } = await import("../../../src/bench/bench-options.js");
    for (const argv of [
      ["--connections", "0"],
      ["--records", "0"],
      ["--duration-s", "0"],
    ]) {
      assert.throws(() => validateBenchOptions(options(argv)), ConfigError, argv.join(" "));
    }
  });

  test("the command prints one line and exits 2 on a bad flag, and documents every flag in --help", () => {
    const r = runCli(["bench", "--connections", "many"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /--connections must be a non-negative integer/);
    const unknown = runCli(["bench", "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const zero = runCli(["bench", "--connections", "0"]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--connections must be an integer within 1\.\./);
    const help = runCli(["bench", "--help"]);
    assert.equal(help.code, 0);
    for (const flag of benchSpec.flags) assert.match(help.stdout, new RegExp(`--${flag.name}\\b`));
  });
});
