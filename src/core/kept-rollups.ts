// Where the kept rollup rows begin, after the clean-ups pruned older ones: readers answer from rows only where they
// are kept, and from the stored executions (or not at all) before. The same on every backend.
/** Where the kept rollup rows begin (-Infinity: nothing was pruned). */
export interface KeptRollups {
  nodeHoursFrom: number;
  workflowHoursFrom: number;
  daysFrom: number;
}
