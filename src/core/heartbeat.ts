// Keeps an instance's row current while its store is open, on a timer of its own: never on a write's path, and
// never what keeps the process alive (the timers are unref'd). A beat that fails (a busy SQLite file, a PostgreSQL
// server away) is tried again soon, well inside the lease, rather than at the next tick.

/** What a beat reports: 'done', or 'retry' when the database could not take it now. */
export type BeatOutcome = 'done' | 'retry';

/** How soon a failed beat is tried again, at most: a fraction of the interval, with jitter so instances spread out. */
const RETRY_FRACTION = 1 / 8;

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private beating = false;
  private stopped = false;

  constructor(
    private readonly beat: () => BeatOutcome | Promise<BeatOutcome>,
    private readonly intervalMs: number,
  ) {}

  /** Starts beating every intervalMs (the first beat is the caller's own write); a second call does nothing. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
  }

  private async tick(): Promise<void> {
    if (this.beating || this.stopped) return; // a beat still waiting on the database is the one that counts
    this.beating = true;
    clearTimeout(this.retry);
    let outcome: BeatOutcome;
    try {
      outcome = await this.beat();
    } catch {
      outcome = 'retry';
    } finally {
      this.beating = false;
    }
    if (outcome === 'retry' && !this.stopped) {
      const delay = Math.max(10, this.intervalMs * RETRY_FRACTION * (0.5 + Math.random()));
      this.retry = setTimeout(() => void this.tick(), delay).unref();
    }
  }
}
