// A mistake of the person at the terminal (an unknown id, a missing file, a bad argument): printed as one plain
// message with what to do about it, never with a stack trace.

/** Exit codes: 1 when something the command was asked about is wrong or missing, 2 for bad arguments. */
export const EXIT = { problem: 1, usage: 2 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.problem,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
