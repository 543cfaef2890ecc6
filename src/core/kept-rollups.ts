// Where the kept rollup rows begin, after the clean-ups pruned older ones: readers answer from rows only where they
// are kept, and from the stored executions (or not at all) before. The same on every backend.
/** Where the kept rollup rows begin (-Infinity: nothing was pruned). */
export interface KeptRollups {
  nodeHoursFrom: number;
  workflowHoursFrom: number;
  daysFrom: number;
}

/** Where the kept rollup rows begin as a database records it (insight_settings): null where nothing was pruned. */
export interface StoredKeptRollups {
  nodeHoursKeptFrom: number | null;
  workflowHoursKeptFrom: number | null;
  daysKeptFrom: number | null;
}

export function keptRollupsOf(stored: StoredKeptRollups): KeptRollups {
  return {
    nodeHoursFrom: stored.nodeHoursKeptFrom ?? Number.NEGATIVE_INFINITY,
    workflowHoursFrom: stored.workflowHoursKeptFrom ?? Number.NEGATIVE_INFINITY,
    daysFrom: stored.daysKeptFrom ?? Number.NEGATIVE_INFINITY,
  };
}
