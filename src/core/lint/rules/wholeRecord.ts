import type { Target } from '../types';

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/**
 * Target covering a record's text without surrounding whitespace. Allocation-free: file rules call
 * it for every record, and `trim()` would copy each line.
 */
export function wholeRecord(text: string): Target {
  let s = 0;
  let e = text.length;
  while (s < e && isWs(text.charCodeAt(s))) s++;
  while (e > s && isWs(text.charCodeAt(e - 1))) e--;
  return { offset: s, length: e - s };
}
