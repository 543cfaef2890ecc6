// A series of counts as one line of block characters, ▁ to █, scaled to its largest value: a timeline that
// fits in a terminal line. Zero is a space, so that quiet hours read as gaps.
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export function sparkline(values: number[]): string {
  const largest = Math.max(0, ...values);
  return values
    .map((value) => (value <= 0 || largest === 0 ? ' ' : (BLOCKS[Math.min(BLOCKS.length - 1, Math.ceil((value / largest) * BLOCKS.length) - 1)] as string)))
    .join('');
}
