import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CompareUsageError, parseCompareOptions } from "../../../scripts/bench-compare/compare-options.js";
import { replaceSection } from "../../../scripts/bench-compare/markdown-section.js";
import { ringkvQuorum } from "../../../scripts/bench-compare/ringkv-cluster.js";

const HEADING = "## YCSB: ringkv vs etcd vs Redis";

describe("BENCHMARKS.md section replacement", () => {
  test("appends the section to a file without it, keeping what is there", () => {
    const doc = "# Benchmarks\n\n## Storage\n\nlmdb figures\n";
    const out = replaceSection(doc, HEADING, `${HEADING}\n\nnew\n`);
    assert.equal(out, `# Benchmarks\n\n## Storage\n\nlmdb figures\n\n${HEADING}\n\nnew\n`);
  });

  test("replaces only its own section, between other people's sections", () => {
    const doc = `# Benchmarks\n\n## Before\n\nkeep 1\n\n${HEADING}\n\nold table\n\n## After\n\nkeep 2\n`;
    const out = replaceSection(doc, HEADING, `${HEADING}\n\nnew table\n`);
    assert.equal(
      out,
      `# Benchmarks\n\n## Before\n\nkeep 1\n\n${HEADING}\n\nnew table\n\n## After\n\nkeep 2\n`,
    );
    // Running again gives the same file: nothing accumulates.
    assert.equal(replaceSection(out, HEADING, `${HEADING}\n\nnew table\n`), out);
  });

  test("a '## ' line inside a code block of the section does not end it", () => {
    const doc = `${HEADING}\n\n\`\`\`sh\n## not a heading\n\`\`\`\n\n## Next\n\nkeep\n`;
    const out = replaceSection(doc, HEADING, `${HEADING}\n\nx\n`);
    assert.equal(out, `${HEADING}\n\nx\n\n## Next\n\nkeep\n`);
  });

  test("an empty file becomes the section", () => {
    assert.equal(replaceSection("", HEADING, `${HEADING}\nbody`), `${HEADING}\nbody\n`);
  });
});

describe("npm run bench:compare options", () => {
  test("defaults: every store, A B C F D, 25 s, 100k records, 50 connections, 3 ringkv nodes", () => {
    const o = parseCompareOptions([]);
    assert.notEqual(o, "help");
    if (o === "help") return;
    assert.deepEqual(o.targets, ["ringkv", "etcd", "redis-always", "redis-everysec"]);
    assert.deepEqual(o.workloads, ["a", "b", "c", "f", "d"]);
    assert.equal(o.durationS, 25);
    assert.equal(o.records, 100_000);
    assert.equal(o.connections, 50);
    assert.deepEqual(o.ringkvSizes, [3]);
    assert.deepEqual(o.ringkvProtocols, ["binary"]);
    assert.equal(o.latencyDurationS, 10);
  });

  test("ringkv over both client protocols: binary first, whatever the order given", () => {
    const o = parseCompareOptions(["--ringkv-protocols", "http,binary"]);
    assert.ok(o !== "help");
    assert.deepEqual(o.ringkvProtocols, ["binary", "http"]);
  });

  test("scaling sizes, a single client and a note", () => {
    const o = parseCompareOptions([
      "--ringkv-sizes",
      "1,3,5",
      "--connections",
      "1",
      "--note",
      "busy machine",
    ]);
    assert.ok(o !== "help");
    assert.deepEqual(o.ringkvSizes, [1, 3, 5]);
    assert.equal(o.connections, 1);
    assert.equal(o.note, "busy machine");
  });

  for (const argv of [
    ["--targets", "mongodb"],
    ["--workloads", "e"],
    ["--duration-s", "0"],
    ["--bogus"],
    ["--ringkv-protocols", "grpc"],
  ]) {
    test(`refuses ${argv.join(" ")}`, () => {
      assert.throws(() => parseCompareOptions(argv), CompareUsageError);
    });
  }

  test("ringkv clusters use majority quorums of N = min(3, nodes)", () => {
    assert.deepEqual(ringkvQuorum(1), { n: 1, r: 1, w: 1 });
    assert.deepEqual(ringkvQuorum(3), { n: 3, r: 2, w: 2 });
    assert.deepEqual(ringkvQuorum(5), { n: 3, r: 2, w: 2 });
  });
});
