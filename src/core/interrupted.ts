// What recovery writes into executions and steps whose process died mid-run. One wording for every backend, so that a
// user (and a test) reads the same words whichever database holds the history.
export const INTERRUPTED_EXECUTION_MESSAGE =
  'Interrupted: the process running this execution stopped before it finished (marked by recoverInterruptedExecutions)';
export const INTERRUPTED_STEP_MESSAGE = 'Interrupted: the execution stopped while this step was running';
