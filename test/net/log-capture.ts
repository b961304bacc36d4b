import { pino } from "pino";
import type { Logger } from "../../src/log/logger.js";

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far, parsed. */
  entries(): Array<Record<string, unknown>>;
}

/** A logger whose lines a test can inspect (warnings about misbehaving peers, for instance). */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
  return {
    logger,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
