import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { devSpec } from "../../../src/cli/dev-command.js";
import { envName, helpText, parseFlags } from "../../../src/cli/flags.js";
import { getSpec } from "../../../src/cli/kv-commands.js";
import { nodeOptionsFromFlags, startSpec } from "../../../src/cli/start-command.js";
import { defaultNodeOptions, type NodeOptions, optionDefaults } from "../../../src/config/node-options.js";
import type { AnyOptionSpec } from "../../../src/config/option-spec.js";
import { optionTable } from "../../../src/config/option-table.js";
import { flagPaths } from "../../../src/config/option-values.js";
import { ConfigError } from "../../../src/errors.js";

const README = fileURLToPath(new URL("../../../../README.md", import.meta.url));

/** `ringkv start`'s options from the environment alone, as a container would give them. */
const fromEnv = (env: Record<string, string>): NodeOptions =>
  nodeOptionsFromFlags(parseFlags(startSpec, [], { RINGKV_ID: "n1", ...env }));

function valueAt(options: NodeOptions, path: string): unknown {
  let node: unknown = options;
  for (const name of path.split(".")) node = (node as Record<string, unknown>)[name];
  return node;
}

/** The integer options of the table that have a flag, with their bounds. */
const integerFlags = [...flagPaths(optionTable)].flatMap(([flag, { path, spec }]) =>
  "min" in spec && "max" in spec && typeof spec.min === "number" && typeof spec.max === "number"
    ? [{ flag, path, min: spec.min, max: spec.max }]
    : [],
);

/** What help and the README show as an option's default. */
const shownDefault = (spec: AnyOptionSpec): string | undefined => spec.shownDefault;

describe("the option table drives ringkv start", () => {
  test("start has exactly the table's flags, and every one is described in --help with its env var and default", () => {
    const flags = flagPaths(optionTable);
    assert.deepEqual(startSpec.flags.map((f) => f.name).sort(), [...flags.keys()].sort());
    const help = helpText(startSpec);
    for (const [flag, { spec }] of flags) {
      const line = help
        .split("\n")
        .find((l) => l.trimStart().startsWith(`--${flag} `) || l.trim() === `--${flag}`);
      assert.ok(line !== undefined, `--${flag} is in the help`);
      assert.match(line, new RegExp(`env ${envName(flag)}\\)$`), `--${flag} names its env var`);
      assert.ok(line.includes(spec.help), `--${flag} shows its description`);
      const shown = shownDefault(spec);
      if (shown !== undefined)
        assert.ok(line.includes(`(default ${shown}; `), `--${flag} shows default ${shown}`);
    }
  });

  test("with no flags, the options are the table's defaults", () => {
    const options = fromEnv({});
    const { id, dataDir, ...rest } = options;
    assert.equal(id, "n1");
    assert.equal(dataDir, "./data/n1");
    assert.deepEqual(rest, optionDefaults);
  });

  test("each integer flag's environment variable sets its option", () => {
    assert.equal(integerFlags.length, startSpec.flags.filter((f) => f.type === "integer").length);
    for (const { flag, path, min, max } of integerFlags) {
      // The lowest allowed value, unless another option's default bounds it from below (a
      // smaller --max-timeout-ms than the default --timeout-ms is refused); then the highest.
      let options: NodeOptions;
      let value = min;
      try {
        options = fromEnv({ [envName(flag)]: String(value) });
      } catch {
        value = max;
        options = fromEnv({ [envName(flag)]: String(value) });
      }
      assert.equal(valueAt(options, path), value, `${envName(flag)}=${value} sets ${path}`);
    }
  });

  test("an integer out of the table's bounds is refused naming the flag and the bounds", () => {
    for (const { flag, min, max } of integerFlags) {
      const tooBig = max === Number.MAX_SAFE_INTEGER ? "9007199254740993" : String(max + 1);
      assert.throws(
        () => fromEnv({ [envName(flag)]: tooBig }),
        (e: unknown) =>
          e instanceof ConfigError && e.message.startsWith(`--${flag} must be an integer in ${min}..`),
        `--${flag} ${tooBig}`,
      );
      if (min > 0)
        assert.throws(() => fromEnv({ [envName(flag)]: String(min - 1) }), new RegExp(`--${flag} `));
    }
  });

  test("a flag wins over its environment variable; a choice outside its words names them", () => {
    const argv = ["--id", "n1", "--max-siblings", "7", "--warn-siblings", "3"];
    const options = nodeOptionsFromFlags(parseFlags(startSpec, argv, { RINGKV_MAX_SIBLINGS: "9" }));
    assert.equal(options.limits.siblingsMax, 7);
    assert.equal(options.limits.siblingsWarn, 3);
    assert.throws(
      () => fromEnv({ RINGKV_LOG_FORMAT: "xml" }),
      /--log-format must be one of json, pretty, auto/,
    );
    assert.throws(() => fromEnv({ RINGKV_CONFLICT_MODE: "newest" }), /--conflict-mode must be causal or lww/);
  });

  test("the README's options table lists every start flag with its env var and default", () => {
    const rows = new Map<string, string[]>();
    for (const line of readFileSync(README, "utf8").split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      const flag = /^`--([a-z-]+)`$/.exec(cells[1] ?? "")?.[1];
      if (flag !== undefined) rows.set(flag, cells.slice(2));
    }
    const flags = flagPaths(optionTable);
    assert.deepEqual(
      [...rows.keys()].sort(),
      [...flags.keys()].sort(),
      "the README has a row per start flag",
    );
    for (const [flag, { spec }] of flags) {
      const [env = "", shown = ""] = rows.get(flag) ?? [];
      assert.equal(env, `\`${envName(flag)}\``, `--${flag}: env column`);
      const expected = shownDefault(spec);
      if (expected !== undefined)
        assert.equal(shown.replace(/`/g, ""), expected, `--${flag}: default column`);
    }
  });
});

describe("defaultNodeOptions", () => {
  const base = { id: "n1", dataDir: "/tmp/never" } as const;

  test("fills every option from the table; a group given in part keeps its other defaults", () => {
    const options = defaultNodeOptions({ ...base, gossip: { fanout: 5 }, cluster: { n: 1 } });
    assert.deepEqual(options.gossip, { ...optionDefaults.gossip, fanout: 5 });
    assert.deepEqual(options.cluster, { n: 1 });
    assert.deepEqual(options.peerTransport, optionDefaults.peerTransport);
    assert.deepEqual(options.listen, optionDefaults.listen);
  });

  test("no two option objects share a default's array or address", () => {
    const a = defaultNodeOptions(base);
    a.seeds.push({ host: "elsewhere", port: 1 });
    a.listen.port = 1;
    const b = defaultNodeOptions(base);
    assert.deepEqual(b.seeds, []);
    assert.equal(b.listen.port, optionDefaults.listen.port);
  });

  test("an internal tunable out of bounds is refused naming its path", () => {
    assert.throws(
      () => defaultNodeOptions({ ...base, gossip: { intervalMs: 0 } }),
      /option gossip\.intervalMs must be an integer in 10\.\.60000, got 0/,
    );
    assert.throws(
      () => defaultNodeOptions({ ...base, limits: { siblingsMax: 10, siblingsWarn: 11 } }),
      /--warn-siblings must be an integer in 1\.\.10, got 11/,
    );
  });
});

describe("option and flag names are checked by the compiler", () => {
  test("a misspelt flag or option does not compile (each line below is a type error)", () => {
    const start = parseFlags(startSpec, ["--id", "n1"], {});
    const dev = parseFlags(devSpec, [], {});
    const get = parseFlags(getSpec, ["k"], {});
    // Never called: these lines exist for tsc, which fails the build if one of them compiles.
    const typos = (): unknown[] => {
      // @ts-expect-error: get's --r is text (one, quorum, all or a number), not an integer.
      const r: number | undefined = get.get("r");
      return [
        r,
        // @ts-expect-error: start has --max-key-bytes, not --max-key-byts.
        start.get("max-key-byts"),
        // @ts-expect-error: dev has no --node.
        dev.get("node"),
        // @ts-expect-error: the limit is keyBytesMax.
        defaultNodeOptions({ id: "n1", dataDir: "/d", limits: { keyBytesMaxx: 1 } }),
        // @ts-expect-error: the tunable is intervalMs.
        optionDefaults.gossip.intervalMS,
      ];
    };
    assert.equal(typeof typos, "function");
    // The well-spelt ones have the flag's type: a number for an integer flag with a default.
    const nodes: number = dev.get("nodes");
    const verbose: boolean = get.get("verbose");
    assert.equal(nodes, 3);
    assert.equal(verbose, false);
    assert.equal(start.get("data-dir"), undefined);
  });
});
