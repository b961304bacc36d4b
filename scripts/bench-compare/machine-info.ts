import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  ramGiB: number;
  os: string;
  node: string;
  ringkv: string;
  etcd: string;
  redis: string;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function run(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  return result.status === 0 ? `${result.stdout}`.trim() : "";
}

/** The git revision of the working tree, marked when it has uncommitted changes to tracked files. */
export function gitRevision(repoDir: string): string {
  const rev = run("git", ["rev-parse", "--short", "HEAD"], repoDir);
  if (rev === "") return "unknown (not a git checkout)";
  const dirty = run("git", ["status", "--porcelain", "--untracked-files=no"], repoDir) !== "";
  return dirty ? `${rev} with uncommitted changes` : rev;
}

/** Cores, CPU model and RAM from /proc (os.* as a fallback), and each program's version. */
export function machineInfo(repoDir: string): MachineInfo {
  const cpuinfo = read("/proc/cpuinfo");
  const meminfo = read("/proc/meminfo");
  const osRelease = read("/etc/os-release");
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length || cpus().length;
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? "unknown";
  const memKiB = Number(/^MemTotal:\s*(\d+) kB/m.exec(meminfo)?.[1] ?? totalmem() / 1024);
  const distro = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(osRelease)?.[1] ?? "";
  const etcd = /etcd Version:\s*(\S+)/.exec(run("etcd", ["--version"]))?.[1] ?? "unknown";
  const redis = /v=(\S+)/.exec(run("redis-server", ["--version"]))?.[1] ?? "unknown";
  return {
    cores,
    cpuModel,
    ramGiB: Math.round((memKiB / 1024 / 1024) * 10) / 10,
    os: `Linux ${release()}${distro === "" ? "" : `, ${distro}`}`,
    node: process.version,
    ringkv: gitRevision(repoDir),
    etcd,
    redis,
  };
}

/** The 1-minute load average: how busy the machine was (other processes compete for the cores). */
export function loadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
