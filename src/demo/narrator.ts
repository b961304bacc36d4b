/** Where the narration goes (the CLI's Output is one). */
export interface NarrationSink {
  stdout(text: string): void;
}

/** Seconds elapsed since `startMs`, with one decimal, for narration ("after 2.4 s"). */
export function secondsSince(startMs: number): string {
  return ((Date.now() - startMs) / 1000).toFixed(1);
}

/** How one step of the demo went. */
export interface StepOutcome {
  number: number;
  title: string;
  passed: boolean;
  /** The checks that failed (or the error that stopped the step), in order. */
  failures: string[];
}

/**
 * Prints the demo's narration: numbered steps, what is about to happen, what was observed, and a
 * ✓ or ✗ per check. Every check is also recorded, so the summary and the exit code come from the
 * same place as the lines the reader saw.
 */
export class Narrator {
  private current: StepOutcome | undefined;
  readonly outcomes: StepOutcome[] = [];

  constructor(
    private readonly out: NarrationSink,
    readonly totalSteps: number,
  ) {}

  private muted = false;

  /** Prints nothing more: after Ctrl-C, steps failing because their nodes were stopped would mislead. */
  mute(): void {
    this.muted = true;
  }

  private print(text: string): void {
    if (!this.muted) this.out.stdout(text);
  }

  /** Whether a step has begun and not ended. */
  get inStep(): boolean {
    return this.current !== undefined;
  }

  /** A paragraph of plain text, wrapped by the caller. */
  say(text: string): void {
    this.print(`${text}\n`);
  }

  beginStep(number: number, title: string, explanation: readonly string[]): void {
    this.current = { number, title, passed: true, failures: [] };
    this.outcomes.push(this.current);
    this.print(`\n── Step ${number} of ${this.totalSteps}: ${title} ──\n`);
    for (const line of explanation) this.print(`${line}\n`);
  }

  /** What the demo is about to do. */
  doing(text: string): void {
    this.print(`  → ${text}\n`);
  }

  /** What it saw. */
  saw(text: string): void {
    this.print(`    observed: ${text}\n`);
  }

  /** Records a check of the current step; returns `ok` so callers can branch on it. */
  check(ok: boolean, passText: string, failText = passText): boolean {
    this.print(ok ? `  ✓ ${passText}\n` : `  ✗ ${failText}\n`);
    if (!ok) this.fail(failText);
    return ok;
  }

  /** Marks the current step failed (a wait that timed out, an error) without a check line of its own. */
  fail(reason: string): void {
    if (this.current === undefined) return;
    this.current.passed = false;
    this.current.failures.push(reason);
  }

  endStep(): StepOutcome | undefined {
    const step = this.current;
    this.current = undefined;
    if (step === undefined) return undefined;
    if (step.passed) this.print(`✓ step ${step.number} passed: ${step.title}\n`);
    else this.print(`✗ step ${step.number} FAILED: ${step.title} (${step.failures.join("; ")})\n`);
    return step;
  }

  /** The closing summary; returns whether every step ran and passed. */
  summary(): boolean {
    const passed = this.outcomes.filter((s) => s.passed).length;
    this.print("\n── Summary ──\n");
    for (const step of this.outcomes) {
      this.print(
        step.passed
          ? `  ✓ step ${step.number}: ${step.title}\n`
          : `  ✗ step ${step.number}: ${step.title}: ${step.failures.join("; ")}\n`,
      );
    }
    const notRun = this.totalSteps - this.outcomes.length;
    if (notRun > 0) this.print(`  (${notRun} later step(s) not run after the failure)\n`);
    const ok = passed === this.totalSteps;
    this.print(
      ok
        ? `\ndemo passed: ${passed} of ${this.totalSteps} steps\n`
        : `\ndemo FAILED: ${passed} of ${this.totalSteps} steps passed\n`,
    );
    return ok;
  }
}
