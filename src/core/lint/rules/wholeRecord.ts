import type { Target } from '../types';

/** Target covering a record's text without surrounding whitespace (file rules precompute it in collect). */
export function wholeRecord(text: string): Target {
  const start = text.length - text.trimStart().length;
  return { offset: start, length: text.trim().length };
}
