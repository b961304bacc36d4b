import { readFileSync } from "node:fs";
import { RingkvError } from "../errors.js";
import { benchSpec, runBenchCommand } from "./bench-command.js";
import { demoSpec, runDemo } from "./demo-command.js";
import { devSpec, runDev } from "./dev-command.js";
import { type CommandSpec, helpText, type ParsedFlags, parseFlags } from "./flags.js";
import { deleteSpec, getSpec, putSpec, runDelete, runGet, runPut } from "./kv-commands.js";
import { leaveSpec, removeSpec, runLeave, runRemove } from "./membership-commands.js";
import { type Output, processOutput } from "./output.js";
import { runStart, startSpec } from "./start-command.js";
import { ringSpec, runRing, runStatus, statusSpec } from "./status-commands.js";

interface Command {
  spec: CommandSpec;
  run(flags: ParsedFlags, out: Output): Promise<number>;
}

const COMMANDS: readonly Command[] = [
  { spec: startSpec, run: (flags) => runStart(flags) },
  { spec: devSpec, run: runDev },
  { spec: demoSpec, run: runDemo },
  { spec: getSpec, run: runGet },
  { spec: putSpec, run: runPut },
  { spec: deleteSpec, run: runDelete },
  { spec: statusSpec, run: runStatus },
  { spec: ringSpec, run: runRing },
  { spec: leaveSpec, run: runLeave },
  { spec: removeSpec, run: runRemove },
  { spec: benchSpec, run: runBenchCommand },
];

/** Exit codes: 0 ok, 1 failure (or key not found for get), 2 usage or configuration error. */
export const EXIT_USAGE = 2;

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  const lines = [
    "ringkv: a Dynamo-style distributed key-value store.",
    "",
    "Usage: ringkv <command> [options]      ringkv <command> --help",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "Every option can also be set as an environment variable RINGKV_<OPTION> (e.g. RINGKV_DATA_DIR).",
  ];
  return `${lines.join("\n")}\n`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

export async function main(argv: readonly string[], out: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out.stdout(topHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "--version" || name === "-V") {
    out.stdout(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (command === undefined) {
    out.stderr(
      `ringkv: unknown command "${name}"; commands: ${COMMANDS.map((c) => c.spec.name).join(", ")}\n`,
    );
    return EXIT_USAGE;
  }
  try {
    const flags = parseFlags(command.spec, rest, process.env);
    if (flags.booleans.has("help")) {
      out.stdout(helpText(command.spec));
      return 0;
    }
    return await command.run(flags, out);
  } catch (error) {
    if (error instanceof RingkvError) {
      out.stderr(`ringkv ${name}: ${error.message}\n`);
      return error.code === "config" ? EXIT_USAGE : 1;
    }
    throw error;
  }
}

main(process.argv.slice(2), processOutput).then(
  (code) => {
    process.exitCode = code;
    // A started node keeps handles open until stopped; leave once the command is done.
    if (
      code !== 0 ||
      process.argv[2] === "start" ||
      process.argv[2] === "dev" ||
      process.argv[2] === "demo" ||
      process.argv[2] === "bench"
    )
      setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(
      `ringkv: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
