// What a recorder drops, and why: never silent. Each drop is counted (stats), told (onDrop) and, when the run it
// belongs to is stored, marked on it (metadata.__dropped) so that a person looking at the run knows data is missing.

export type DropReason =
  /** The buffer was at its bound (maxBytes or maxItems). */
  | 'buffer-full'
  /** The database's disk or size limit was full: payloads go first. */
  | 'storage-full'
  /** What the workflow handed over could not be stored as it was (the store's validation refused it). */
  | 'invalid'
  /** The run had been deleted (or never stored) by the time its part was written. */
  | 'execution-missing'
  /** A write failed in a way retrying does not mend (a bug); see onError. */
  | 'write-failed'
  /** close() ended before everything was written. */
  | 'closed'
  /** A call the run or step did not expect (a second end, a step after the run ended): the call is ignored. */
  | 'misuse';

/** What was dropped: a step's payloads (the step row stays), a step, a run's start or end, or a whole run. */
export type DroppedPart = 'payload' | 'step' | 'start' | 'end' | 'run';

export interface RecorderDrop {
  reason: DropReason;
  part: DroppedPart;
  executionId: string;
  workflowId: string;
  nodeId?: string;
  /** What was wrong, for 'invalid', 'write-failed' and 'misuse'. */
  detail?: string;
}

/** What a stored run says of its dropped parts, in metadata.__dropped. */
export interface DroppedMark {
  payloads: number;
  steps: number;
  reasons: DropReason[];
}

export const DROP_REASONS: readonly DropReason[] = ['buffer-full', 'storage-full', 'invalid', 'execution-missing', 'write-failed', 'closed', 'misuse'];

/** The marker a step's payload is replaced with when it is dropped: the step row stays. */
export const droppedPayload = (reason: DropReason) => ({ __dropped: reason });
