/** The longest delay a timer can wait: Node fires a longer `setTimeout` after 1 ms (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2_147_483_647;

/** A delay or timeout in ms that a timer can honour: finite, > 0 (or ≥ 0 with `allowZero`), at most 2^31−1. */
export const isTimerMs = (v: unknown, allowZero = false): boolean =>
  typeof v === 'number' && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && v <= MAX_TIMER_MS;

/** The reason text for a value that {@link isTimerMs} rejects. */
export const timerReason = (v: unknown, allowZero = false): string =>
  typeof v === 'number' && v > MAX_TIMER_MS
    ? `expected at most ${MAX_TIMER_MS} ms (2^31−1, the longest timer), got ${v}`
    : `expected a number of ms ${allowZero ? '≥' : '>'} 0, got ${String(v)}`;
