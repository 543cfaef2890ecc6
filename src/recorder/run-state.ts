// What the recorder keeps of a run between the workflow's calls and the writer's batches. Everything here was
// captured when the workflow handed it over: payloads as encoded text, times as numbers.
import type { EncodedPayload } from '../core/payload.js';
import type { BatchStep, ExecutionStatus, RunStep, TriggerType } from '../core/types.js';
import type { DropReason } from './drops.js';
import type { RunPlan } from './save-policy.js';

export interface RunState {
  id: string;
  workflowId: string;
  workflowName: string;
  triggerType: TriggerType;
  triggerData: EncodedPayload | undefined;
  metadata: EncodedPayload | undefined;
  startedAt: number;
  plan: RunPlan;
  /** The next step index the recorder gives. */
  nextStepIndex: number;
  end: RunEnd | undefined;
  /**
   * 'live' while its parts are written as they come; 'held' while its steps wait for its end (sampled out);
   * 'stored' once its end decided it is stored; 'counted' once it decided it is counted only; 'lost' when its start
   * was dropped (nothing more of it is written).
   */
  fate: 'live' | 'held' | 'stored' | 'counted' | 'lost';
  /** Whether its running row is in the database (its start's batch committed). */
  startWritten: boolean;
  /** Held steps (fate 'held'), in the order they finished. */
  held: StepItem[];
  dropped: { payloads: number; steps: number; reasons: Set<DropReason> };
}

export interface RunEnd {
  status: ExecutionStatus;
  completedAt: number;
  errorMessage?: string;
  errorStack?: string;
}

interface ItemBase {
  run: RunState;
  /** What it holds in memory, as the buffer counts it. */
  bytes: number;
  /** Set once written or dropped: the buffer's lists let go of it lazily. */
  done: boolean;
  /** Taken by the batch being written: not to be dropped or stripped meanwhile. */
  inFlight: boolean;
  /** In the write queue (held steps are not, until their run ends stored). */
  queued?: boolean;
}

export interface StartItem extends ItemBase {
  kind: 'start';
}

export interface StepItem extends ItemBase {
  kind: 'step';
  step: BatchStep;
  /** Bytes of its payloads (part of `bytes`): what dropping them frees. */
  payloadBytes: number;
}

export interface EndItem extends ItemBase {
  kind: 'end';
}

/** A run counted in the insights only: its held steps (payloads let go) and its end. */
export interface CountedItem extends ItemBase {
  kind: 'counted';
  steps: RunStep[];
}

export type Item = StartItem | StepItem | EndItem | CountedItem;

/**
 * What an item costs the buffer besides its payload texts: the objects around them. Measured on Node 20: 560 bytes of
 * heap a step item without payloads (after a full GC), with room to spare.
 */
export const ITEM_OVERHEAD_BYTES = 640;

/** Bytes a text holds in memory (UTF-16). */
export const textBytes = (text: string | undefined | null) => (text == null ? 0 : text.length * 2);
