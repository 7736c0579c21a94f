/** Money, counts and durations as the CLI, the CodeLens and the breakdown view print them. */

/** `$1,234` from $100, `$12.34`, `$0.0042` below a cent, `$0` for nothing. */
export const formatUsd = (x: number): string => (x >= 100 ? `$${Math.round(x).toLocaleString('en-US')}` : x >= 0.01 ? `$${x.toFixed(2)}` : x > 0 ? `$${x.toPrecision(2)}` : '$0');

export const formatInt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** `12 h`, `1.5 h`, or minutes below 0.1 h (at least `1 min`). */
export const formatHours = (h: number): string => (h >= 10 ? `${Math.round(h)} h` : h >= 0.1 ? `${h.toFixed(1)} h` : `${Math.max(1, Math.round(h * 60))} min`);
