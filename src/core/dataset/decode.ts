import { isUtf8 } from 'node:buffer';
import { binaryFile } from '../lint/rules/binaryFile';
import { invalidUtf8 } from '../lint/rules/invalidUtf8';
import { finding, type Finding } from '../lint/types';

export interface Decoded {
  /** The text to lint, or null when the file is not text at all. */
  text: string | null;
  findings: Finding[];
}

export const signatures: [bytes: number[], what: string, advice: string][] = [
  [[0x1f, 0x8b], 'gzip-compressed', 'decompress it first (gunzip)'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd-compressed', 'decompress it first (zstd -d)'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive', 'extract it first'],
  [[0x50, 0x41, 0x52, 0x31], 'a Parquet file', 'convert it to JSON Lines (pandas: read_parquet(...).to_json(orient="records", lines=True))'],
  [[0xff, 0xfe], 'UTF-16 (little-endian) text', 're-save it as UTF-8'],
  [[0xfe, 0xff], 'UTF-16 (big-endian) text', 're-save it as UTF-8'],
];

const startsWith = (buf: Uint8Array, sig: number[]): boolean => sig.every((b, i) => buf[i] === b);

/** Offset of the first byte that breaks UTF-8 (only called when `isUtf8` said no). */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Line and UTF-16 column of a byte offset (valid UTF-8 assumed before it). */
export function positionOfByte(buf: Uint8Array, offset: number): { line: number; column: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = buf.indexOf(0x0a); i >= 0 && i < offset; i = buf.indexOf(0x0a, i + 1)) {
    line++;
    lineStart = i + 1;
  }
  const prefix = Buffer.from(buf.buffer, buf.byteOffset + lineStart, offset - lineStart).toString('utf8');
  const bom = line === 0 && prefix.charCodeAt(0) === 0xfeff ? 1 : 0;
  return { line, column: prefix.length - bom };
}

/**
 * Turns file bytes into text for the linter. Binary, compressed and UTF-16 files are refused with
 * one finding; invalid UTF-8 is reported at its exact position and the rest is still linted.
 */
export function decodeDataset(buf: Uint8Array): Decoded {
  for (const [sig, what, advice] of signatures) {
    if (buf.length >= sig.length && startsWith(buf, sig)) {
      return {
        text: null,
        findings: [finding(binaryFile, 0, 0, 0, 1, `This file is ${what}, not UTF-8 JSON Lines text: ${advice}. Nothing else was checked.`)],
      };
    }
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) {
    const { line, column } = positionOfByte(buf, nul);
    return {
      text: null,
      findings: [
        finding(binaryFile, line, column, line, column + 1, `This file is binary (a NUL byte at byte offset ${nul}), not JSON Lines text. Nothing else was checked.`),
      ],
    };
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const text = b.toString('utf8');
  if (isUtf8(b)) return { text, findings: [] };
  return { text, findings: [invalidUtf8Finding(buf)] };
}

/**
 * The invalid-utf8 finding for the first bad sequence of `buf`, which starts at byte `baseOffset`
 * and line `baseLine` of its file (streamed files are checked piece by piece).
 */
export function invalidUtf8Finding(buf: Uint8Array, baseOffset = 0, baseLine = 0): Finding {
  const bad = firstInvalidUtf8(buf);
  const { line, column } = positionOfByte(buf, bad);
  const bytes = Array.from(buf.subarray(bad, Math.min(bad + 4, buf.length)))
    .map((x) => '0x' + x.toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');
  return finding(
    invalidUtf8,
    baseLine + line,
    column,
    baseLine + line,
    column + 1,
    `Invalid UTF-8 at byte offset ${baseOffset + bad} (bytes ${bytes}): the file must be UTF-8. If it is Latin-1 or Windows-1252 text, re-encode it (iconv -f WINDOWS-1252 -t UTF-8).`,
  );
}
