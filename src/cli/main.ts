import { readFileSync } from "node:fs";
import { RingkvError } from "../errors.js";
import { benchSpec, runBenchCommand } from "./bench-command.js";
import { certsSpec, runCerts } from "./certs-command.js";
import { demoSpec, runDemo } from "./demo-command.js";
import { devSpec, runDev } from "./dev-command.js";
import { type CommandSpec, helpText, type ParsedFlags, parseFlags } from "./flags.js";
import { keysSpec, runKeys } from "./keys-command.js";
import { deleteSpec, getSpec, putSpec, runDelete, runGet, runPut } from "./kv-commands.js";
import { leaveSpec, removeSpec, runLeave, runRemove } from "./membership-commands.js";
import { namespacesSpec, runNamespaces } from "./namespaces-command.js";
import { type Output, processOutput } from "./output.js";
import { runStart, startSpec } from "./start-command.js";
import { ringSpec, runRing, runStatus, statusSpec } from "./status-commands.js";
import { runToken, tokenSpec } from "./token-command.js";

interface Command {
  spec: CommandSpec;
  /** Parses the command's flags (help included) and runs it. */
  run(argv: readonly string[], out: Output): Promise<number>;
}

/** A command whose run function gets flags typed by its own spec. */
function command<S extends CommandSpec>(
  spec: S,
  run: (flags: ParsedFlags<S>, out: Output) => Promise<number>,
): Command {
  return {
    spec,
    run: (argv, out) => {
      const flags = parseFlags(spec, argv, process.env);
      if (!flags.help) return run(flags, out);
      out.stdout(helpText(spec));
      return Promise.resolve(0);
    },
  };
}

const COMMANDS: readonly Command[] = [
  command(startSpec, (flags) => runStart(flags)),
  command(devSpec, runDev),
  command(demoSpec, runDemo),
  command(getSpec, runGet),
  command(putSpec, runPut),
  command(deleteSpec, runDelete),
  command(keysSpec, runKeys),
  command(namespacesSpec, runNamespaces),
  command(statusSpec, runStatus),
  command(ringSpec, runRing),
  command(leaveSpec, runLeave),
  command(removeSpec, runRemove),
  command(tokenSpec, runToken),
  command(certsSpec, runCerts),
  command(benchSpec, runBenchCommand),
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
    return await command.run(rest, out);
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
