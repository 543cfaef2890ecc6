// Which value is a percentile: the nearest-rank definition, the ceil(p% × n)-th smallest of n values (the first for
// any p at or near 0). One rule for every percentile the package reports, exact (read from the stored rows by rank)
// or from histograms, so that they mean the same thing whichever way they are computed.

/** The 1-based rank of the `percent`-th percentile among `count` values (count > 0). */
export function nearestRank(percent: number, count: number): number {
  return Math.max(1, Math.ceil((percent * count) / 100));
}
