// How late the master's periodic tick runs. While its event loop is blocked
// (a long synchronous step, a stopped process, a paused VM) the master hears no
// heartbeat: they wait in its sockets. The time a tick is late by is time the
// master was deaf, and the worker registry does not count it against any
// worker's lease. Pure: time is passed in. Used by the master's tick().

export class LoopLateness {
  /**
   * @param intervalMs the tick's period
   * @param toleranceMs lateness up to this is timer jitter, not deafness
   * @param last when the ticks start (a loop blocked before the first tick is late too)
   */
  constructor(
    private readonly intervalMs: number,
    private readonly toleranceMs: number,
    private last: number,
  ) {}

  /** Called at each tick: how long the loop was blocked since the last one (0 when on time). */
  observe(now: number): number {
    const late = now - this.last - this.intervalMs;
    this.last = now;
    return late > this.toleranceMs ? late : 0;
  }
}
