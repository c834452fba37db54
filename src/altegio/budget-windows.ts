/**
 * Window arithmetic of the call budget, apart from the queueing so it reads (and is tested) on its
 * own. A call occupies its slot while in flight and for `windowMs` after it finished.
 */

/** One rolling window as a priority sees it: at most `max` slots in any `windowMs`. */
export interface BudgetWindow {
  max: number;
  windowMs: number;
}

/** The slots taken: finish times in ascending order, plus calls still in flight. */
export interface Occupancy {
  finished: readonly number[];
  inFlight: number;
}

/**
 * The earliest time ≥ `now` at which one more call fits every window, or `Infinity` when only a
 * release can make room (every slot of some window is in flight). Because finish times ascend,
 * the slot that has to leave a full window is found by index, without scanning.
 */
export function firstFreeAt(occupancy: Occupancy, windows: readonly BudgetWindow[], now: number): number {
  let at = now;
  for (const { max, windowMs } of windows) {
    const room = max - occupancy.inFlight;
    if (room <= 0) return Number.POSITIVE_INFINITY;
    // `room` finished slots may still be in the window; the one `room` from the end must have left.
    const index = occupancy.finished.length - room;
    if (index < 0) continue;
    const leavesAt = (occupancy.finished[index] ?? 0) + windowMs;
    if (leavesAt > at) at = leavesAt;
  }
  return at;
}
