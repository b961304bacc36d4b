import { spawnSync } from "node:child_process";

/** The Debian packages that provide each server binary. */
const PACKAGES: Record<string, string> = { etcd: "etcd-server", "redis-server": "redis-server" };

export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * Installs etcd and Redis from Debian's packages when their binaries are missing
 * (`apt-get update && apt-get install -y etcd-server redis-server`, through sudo unless root).
 * Debian starts no service from a package in a container whose policy-rc.d forbids it; the
 * comparison only uses the processes it starts itself.
 */
export function ensureServerPackages(log: (line: string) => void): void {
  const missing = Object.keys(PACKAGES).filter((command) => !hasCommand(command));
  if (missing.length === 0) return;
  const packages = missing.map((command) => PACKAGES[command]!);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  log(`installing ${packages.join(" ")} (missing: ${missing.join(", ")})`);
  for (const args of [
    ["apt-get", "update"],
    ["apt-get", "install", "-y", ...packages],
  ]) {
    const command = [...sudo, ...args];
    const result = spawnSync(command[0]!, command.slice(1), {
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    if (result.status !== 0) throw new Error(`${command.join(" ")} failed (exit ${result.status})`);
  }
  const still = missing.filter((command) => !hasCommand(command));
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(", ")}`);
}
