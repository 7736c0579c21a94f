/**
 * The smallest single replacement that turns one text into another (common prefix and suffix kept).
 * Applying a saved decision this way leaves the rest of an open llmops.yaml alone: cursor, folding,
 * undo history and decorations outside the `decision:` section do not move. Pure (unit-tested).
 */
export interface TextReplacement {
  /** Offsets in the old text. */
  start: number;
  end: number;
  text: string;
}

export function minimalReplacement(oldText: string, newText: string): TextReplacement | null {
  if (oldText === newText) return null;
  const max = Math.min(oldText.length, newText.length);
  let p = 0;
  while (p < max && oldText.charCodeAt(p) === newText.charCodeAt(p)) p++;
  // Never split a surrogate pair or a CRLF.
  if (p > 0 && p < max && (isLow(oldText.charCodeAt(p)) || (oldText[p - 1] === '\r' && oldText[p] === '\n'))) p--;
  let s = 0;
  while (s < max - p && oldText.charCodeAt(oldText.length - 1 - s) === newText.charCodeAt(newText.length - 1 - s)) s++;
  if (s > 0) {
    const i = oldText.length - s;
    if (isLow(oldText.charCodeAt(i)) || (oldText[i - 1] === '\r' && oldText[i] === '\n')) s--;
  }
  return { start: p, end: oldText.length - s, text: newText.slice(p, newText.length - s) };
}

const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;
