import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parse } from "yaml";
import { NODE_FLAG } from "../../src/cli/client-flags.js";
import { envName } from "../../src/cli/flags.js";
import { parseAddress } from "../../src/config/address.js";
import { NodeProcess } from "../support/node-process.js";
import {
  type Container,
  type K8sObject,
  kustomizeResources,
  type PdbSpec,
  podEnv,
  read,
  type ServiceSpec,
  START_ENV,
  type StatefulSetSpec,
  startOptions,
} from "./manifests.js";

/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/k8s) checked without a Docker
 * engine or a Kubernetes cluster: parsed, cross-checked against each other and against the real
 * `ringkv start` flag parser, and the parts that run code (the image's health check, the pods'
 * start script) run here against a real node and fake commands.
 */

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage, continuation lines joined and comments dropped. */
function dockerStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = `${pending}${line}`.trim();
    pending = "";
    const space = full.search(/\s/);
    const instruction = { keyword: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() };
    if (instruction.keyword === "FROM") stages.push([]);
    stages[stages.length - 1]?.push(instruction);
  }
  return stages;
}

const stages = dockerStages(read("Dockerfile"));
const [buildStage = [], runtimeStage = []] = stages;
const all = (stage: Instruction[], keyword: string): string[] =>
  stage.filter((i) => i.keyword === keyword).map((i) => i.args);
const one = (stage: Instruction[], keyword: string): string => {
  const found = all(stage, keyword);
  assert.equal(found.length, 1, `exactly one ${keyword}`);
  return found[0] ?? "";
};
const runtimeEnv: Record<string, string> = Object.fromEntries(
  all(runtimeStage, "ENV").flatMap((args) =>
    args.split(/\s+/).map((pair) => {
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  ),
);
const healthcheck = JSON.parse(one(runtimeStage, "HEALTHCHECK").replace(/^.*?\bCMD\s+/, "")) as string[];
const imageUser = one(runtimeStage, "USER");

describe("Dockerfile", () => {
  test("two stages on node:20-bookworm-slim, the Node major the package requires", () => {
    assert.equal(stages.length, 2);
    assert.equal(one(buildStage, "FROM"), "node:20-bookworm-slim AS build");
    assert.equal(one(runtimeStage, "FROM"), "node:20-bookworm-slim");
    const pkg = JSON.parse(read("package.json")) as { engines: { node: string } };
    assert.equal(pkg.engines.node, ">=20");
  });

  test("the build stage runs the README's install step (npm ci, which builds), then drops dev dependencies", () => {
    assert.deepEqual(all(buildStage, "RUN"), ["npm ci", "npm prune --omit=dev"]);
    const readme = read("README.md");
    assert.match(readme, /^npm ci\s+# installs and builds/m, "the README installs with npm ci");
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.prepare, "npm run build", "npm ci compiles through prepare");
    const copied = all(buildStage, "COPY").join(" ");
    for (const needed of ["package.json", "package-lock.json", ".npmrc", "tsconfig.json", "bin", "src"])
      assert.ok(copied.split(/\s+/).includes(needed), `the build copies ${needed}`);
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const needed of ["package.json", "package-lock.json", ".npmrc", "tsconfig.json", "bin", "src"])
      assert.ok(!ignored.includes(needed), `.dockerignore keeps ${needed}`);
    for (const dropped of ["node_modules", "dist", ".git", "data"]) assert.ok(ignored.includes(dropped));
  });

  test("the runtime stage: non-root numeric user, /data volume, both ports, the ringkv command", () => {
    assert.match(
      imageUser,
      /^[1-9]\d*:[1-9]\d*$/,
      "a numeric non-root user (Kubernetes runAsNonRoot can check it)",
    );
    assert.equal(one(runtimeStage, "VOLUME"), "/data");
    assert.equal(runtimeEnv.RINGKV_DATA_DIR, "/data");
    assert.equal(one(runtimeStage, "ENTRYPOINT"), '["node", "bin/ringkv.js"]');
    assert.equal(one(runtimeStage, "CMD"), '["start"]');
    const exposed = one(runtimeStage, "EXPOSE").split(/\s+/).map(Number);
    const listen = parseAddress(runtimeEnv.RINGKV_LISTEN ?? "", "RINGKV_LISTEN");
    const http = parseAddress(runtimeEnv.RINGKV_HTTP ?? "", "RINGKV_HTTP");
    assert.deepEqual(exposed.sort(), [listen.port, http.port].sort());
    for (const name of Object.keys(runtimeEnv).filter((n) => n.startsWith("RINGKV_")))
      assert.ok(START_ENV.has(name) || name === envName(NODE_FLAG.name), `${name} is a ringkv flag`);
    assert.equal(
      runtimeEnv.RINGKV_NODE,
      `http://127.0.0.1:${http.port}`,
      "CLI commands in the container reach it",
    );
    const copied = all(runtimeStage, "COPY").join("\n");
    for (const path of ["/app/package.json", "/app/node_modules", "/app/dist/src", "/app/bin"])
      assert.ok(copied.includes(`--from=build ${path}`), `the runtime copies ${path}`);
    assert.equal(one(runtimeStage, "WORKDIR"), "/app");
  });

  test("the image's environment alone is refused: a 0.0.0.0 bind needs the address peers dial", () => {
    // RINGKV_NODE is for the client commands (`ringkv status` in the container); start ignores it.
    const nodeEnv = Object.fromEntries(Object.entries(runtimeEnv).filter(([name]) => name !== "RINGKV_NODE"));
    assert.throws(() => startOptions({ ...nodeEnv, RINGKV_ID: "n1" }), /--advertise-listen/);
    const options = startOptions({
      ...nodeEnv,
      RINGKV_ID: "n1",
      RINGKV_ADVERTISE_LISTEN: "ringkv-1:7000",
    });
    assert.equal(options.dataDir, "/data");
  });

  describe("the HEALTHCHECK command, run against a real node", { timeout: 60_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), "ringkv-healthcheck-"));
    let node: NodeProcess | undefined;
    after(async () => {
      await node?.ensureStopped();
      rmSync(dir, { recursive: true, force: true });
    });
    const runHealthcheck = (http: string) => {
      assert.equal(healthcheck[0], "node", "the health check needs nothing but node");
      return spawnSync(process.execPath, healthcheck.slice(1), {
        env: { ...process.env, RINGKV_HTTP: http },
        timeout: 10_000,
      }).status;
    };

    test("exits 0 while the node serves, 1 when nothing answers on RINGKV_HTTP's port", async () => {
      node = new NodeProcess([
        "--id",
        "hc",
        "--listen",
        "127.0.0.1:0",
        "--http",
        "127.0.0.1:0",
        "--data-dir",
        dir,
      ]);
      const port = new URL(await node.url()).port;
      // The container binds 0.0.0.0:<port>; the check always dials 127.0.0.1 on that port.
      assert.equal(runHealthcheck(`0.0.0.0:${port}`), 0);
      await node.kill("SIGTERM");
      assert.equal(runHealthcheck(`0.0.0.0:${port}`), 1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: string;
  hostname?: string;
  environment: Record<string, string>;
  ports: string[];
  volumes: string[];
  restart?: string;
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

describe("docker-compose.yml", () => {
  const services = Object.entries(compose.services);

  test("five nodes, each a valid `ringkv start` configuration of known RINGKV_* variables", () => {
    assert.equal(services.length, 5);
    const ids = new Set<string>();
    for (const [name, service] of services) {
      const options = startOptions(service.environment);
      assert.equal(options.id, name, "the node id is the service name");
      ids.add(options.id);
      assert.equal(service.build, ".");
    }
    assert.equal(ids.size, 5);
  });

  test("each node advertises its service name and the port it listens on; the HTTP port is published", () => {
    for (const [name, service] of services) {
      const options = startOptions(service.environment);
      assert.equal(options.listen.host, "0.0.0.0");
      assert.deepEqual(options.advertiseListen, { host: name, port: options.listen.port });
      assert.equal(service.hostname, name);
      assert.equal(service.ports.length, 1);
      assert.ok(service.ports[0]?.endsWith(`:${options.http.port}`), `${name} publishes its HTTP port`);
      assert.ok(service.ports[0]?.startsWith("127.0.0.1:"), "published on the host's loopback only");
    }
  });

  test("one node forms the cluster; every seed is another node's advertised address", () => {
    const advertised = new Map(
      services.map(([name, s]) => [name, `${name}:${startOptions(s.environment).listen.port}`]),
    );
    const formers = services.filter(([, s]) => startOptions(s.environment).seeds.length === 0);
    assert.deepEqual(
      formers.map(([name]) => name),
      ["ringkv-1"],
    );
    for (const [name, service] of services) {
      for (const seed of startOptions(service.environment).seeds) {
        const text = `${seed.host}:${seed.port}`;
        assert.ok([...advertised.values()].includes(text), `${name}'s seed ${text} is a node`);
        assert.notEqual(advertised.get(name), text, `${name} does not seed itself`);
      }
    }
  });

  test("each node's data directory is its own declared named volume", () => {
    const used = new Set<string>();
    for (const [name, service] of services) {
      const dataDir = startOptions(service.environment).dataDir;
      assert.equal(service.volumes.length, 1);
      const [volume, mount] = (service.volumes[0] ?? "").split(":");
      assert.equal(mount, dataDir, `${name} mounts its volume on its data dir`);
      assert.ok(volume !== undefined && volume in compose.volumes, `${volume} is declared`);
      used.add(volume ?? "");
    }
    assert.equal(used.size, 5, "no two nodes share a volume");
  });

  test("a node that left (exit 0) stays stopped; a crashed one restarts", () => {
    for (const [, service] of services) assert.equal(service.restart, "on-failure");
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes

const objects: K8sObject[] = kustomizeResources("deploy/k8s");
function find<Spec>(kind: string, name?: string): K8sObject<Spec> {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.ok(found !== undefined, `a ${kind} ${name ?? ""}`);
  return found as K8sObject<Spec>;
}

describe("deploy/k8s", () => {
  const sts = find<StatefulSetSpec>("StatefulSet", "ringkv");
  const headless = find<ServiceSpec>("Service", sts.spec.serviceName);
  const client = objects.find((o) => o.kind === "Service" && o.metadata.name !== headless.metadata.name) as
    | K8sObject<ServiceSpec>
    | undefined;
  const pdb = find<PdbSpec>("PodDisruptionBudget");
  const pod = sts.spec.template.spec;
  const container = pod.containers[0] as Container;
  const env = (ordinal: number, namespace = "shop") =>
    podEnv(container.env, {
      "metadata.name": `${sts.metadata.name}-${ordinal}`,
      "metadata.namespace": namespace,
    });
  const port = (name: string): number => {
    const p = container.ports.find((x) => x.name === name);
    assert.ok(p !== undefined, `container port ${name}`);
    return p.containerPort;
  };

  test("every manifest has an apiVersion, kind and name", () => {
    assert.equal(objects.length, 4);
    for (const o of objects)
      assert.ok(o.apiVersion && o.kind && o.metadata?.name, JSON.stringify(o).slice(0, 80));
    assert.equal(sts.apiVersion, "apps/v1");
    assert.equal(pdb.apiVersion, "policy/v1");
  });

  test("a StatefulSet of 5 behind a headless Service that publishes pods before they are ready", () => {
    assert.equal(sts.spec.replicas, 5);
    assert.equal(headless.spec.clusterIP, "None");
    assert.equal(
      headless.spec.publishNotReadyAddresses,
      true,
      "a joining pod must be reachable by its peers",
    );
    assert.equal(
      sts.spec.podManagementPolicy,
      "OrderedReady",
      "ringkv-0 forms the cluster before others start",
    );
    const labels = sts.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    assert.ok(selects(sts.spec.selector.matchLabels));
    assert.ok(selects(headless.spec.selector));
    assert.ok(client !== undefined && selects(client.spec.selector));
    assert.ok(selects(pdb.spec.selector.matchLabels));
    assert.equal(pdb.spec.maxUnavailable, 1);
    const headlessPorts = headless.spec.ports.map((p) => p.targetPort);
    assert.ok(headlessPorts.includes("peer") && headlessPorts.includes("http"));
    assert.deepEqual(
      client?.spec.ports.map((p) => p.targetPort),
      ["http"],
    );
  });

  test("each pod's environment is a valid `ringkv start` configuration: id = pod name, advertised DNS name", () => {
    for (const ordinal of [0, 1, 4]) {
      const e = env(ordinal);
      const options = startOptions(
        Object.fromEntries(Object.entries(e).filter(([k]) => k.startsWith("RINGKV_"))),
      );
      const dns = `ringkv-${ordinal}.${headless.metadata.name}.shop.svc.cluster.local`;
      assert.equal(options.id, `ringkv-${ordinal}`);
      assert.deepEqual(options.advertiseListen, { host: dns, port: port("peer") });
      assert.deepEqual(options.advertiseHttp, { host: dns, port: port("http") });
      assert.equal(options.listen.port, port("peer"));
      assert.equal(options.http.port, port("http"));
      // Seeds: the first pods' stable names, which exist as long as the StatefulSet has that many.
      assert.deepEqual(
        options.seeds.map((s) => `${s.host}:${s.port}`),
        [0, 1, 2].map((i) => `ringkv-${i}.${headless.metadata.name}.shop.svc.cluster.local:${port("peer")}`),
      );
      assert.ok(sts.spec.replicas > 2);
    }
  });

  test("data on a per-pod claim at the data directory; probes on /health; a grace period longer than the drain", () => {
    const e = env(0);
    const claim = sts.spec.volumeClaimTemplates[0];
    assert.ok(claim !== undefined);
    const mount = container.volumeMounts.find((m) => m.name === claim.metadata.name);
    assert.equal(mount?.mountPath, e.RINGKV_DATA_DIR);
    assert.deepEqual(claim.spec.accessModes, ["ReadWriteOnce"]);
    const volumeBytes = Number(/^(\d+)Gi$/.exec(claim.spec.resources.requests.storage)?.[1]) * 1024 ** 3;
    assert.ok(Number(e.RINGKV_MAX_STORAGE_BYTES) < volumeBytes, "507 before the volume is full");
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe])
      assert.deepEqual(probe?.httpGet, { path: "/health", port: "http" });
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > Number(e.RINGKV_SHUTDOWN_GRACE_MS));
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory);
    assert.ok(container.resources?.limits?.memory);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`, imageUser);
    assert.equal(sts.spec.persistentVolumeClaimRetentionPolicy.whenScaled, "Delete");
  });

  describe("the pods' start script (sh, with fake node and getent)", () => {
    const dir = mkdtempSync(join(tmpdir(), "ringkv-k8s-script-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // `node` prints what it would run with; `getent hosts NAME` succeeds for names in RESOLVABLE.
    writeFileSync(join(dir, "node"), '#!/bin/sh\nprintf "%s|%s|%s" "$RINGKV_ID" "$RINGKV_SEEDS" "$*"\n');
    writeFileSync(
      join(dir, "getent"),
      '#!/bin/sh\nfor n in $RESOLVABLE; do [ "$n" = "$2" ] && { echo "10.0.0.9 $2"; exit 0; }; done\nexit 2\n',
    );
    chmodSync(join(dir, "node"), 0o755);
    chmodSync(join(dir, "getent"), 0o755);
    assert.deepEqual(container.command, ["sh", "-c"]);
    const script = container.args?.[0] ?? "";

    const start = (ordinal: number, resolvable: number[]) => {
      const e = env(ordinal);
      const names = resolvable.map((i) => `ringkv-${i}.${headless.metadata.name}.shop.svc.cluster.local`);
      const result = spawnSync("sh", ["-c", script], {
        env: { ...e, PATH: `${dir}:${process.env.PATH ?? ""}`, RESOLVABLE: names.join(" ") },
        encoding: "utf8",
      });
      assert.equal(result.status, 0, result.stderr);
      const [id, seeds, args] = result.stdout.split("|");
      return { id, seeds, args, configured: e.RINGKV_SEEDS };
    };

    test("ringkv-0 forms the cluster when no other pod exists yet (its own name does not count)", () => {
      for (const resolvable of [[], [0]]) {
        const run = start(0, resolvable);
        assert.equal(run.id, "ringkv-0");
        assert.equal(run.seeds, "");
        assert.equal(run.args, "/app/bin/ringkv.js start", "it runs the image's command");
      }
    });

    test("ringkv-0 keeps its seeds when other pods exist (a restart with a lost volume rejoins)", () => {
      const run = start(0, [0, 1, 2]);
      assert.equal(run.seeds, run.configured);
    });

    test("every other pod always joins through the seeds", () => {
      for (const resolvable of [[], [0, 1, 2]]) {
        const run = start(3, resolvable);
        assert.equal(run.id, "ringkv-3");
        assert.equal(run.seeds, run.configured);
      }
    });
  });
});
