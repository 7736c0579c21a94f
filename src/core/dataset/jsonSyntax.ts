/**
 * A small JSON scanner that explains *where* and *why* text is not valid JSON.
 *
 * The hot path of linting is `JSON.parse`; this scanner only runs on the rare line that
 * `JSON.parse` rejected, because V8's error messages differ between Node versions and do not
 * always carry a position. It is iterative (no recursion), so a 50 MB line or 100,000 nested
 * brackets cannot overflow the stack.
 */

export interface JsonSyntaxError {
  /** Offset (UTF-16 code units) of the first offending character. */
  offset: number;
  /** Length of the offending span (at least 1 unless at end of input). */
  length: number;
  message: string;
}

const enum State {
  Value,
  /** After `{` — a key or `}`. */
  FirstKey,
  /** After `,` in an object — a key only. */
  Key,
  Colon,
  /** After a value inside a container — `,` or the closer. */
  AfterValue,
  /** After the top-level value — only whitespace. */
  Done,
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isIdent = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || isDigit(c) || c === 0x5f || c === 0x24 || c === 0x2d || c === 0x2b || c === 0x2e;

function describeChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c < 0x20 || c === 0x7f) return `control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c === 0xfeff) return 'byte order mark (U+FEFF)';
  return `'${ch}'`;
}

function col(offset: number, start: number): number {
  return offset - start + 1;
}

export interface ScanResult {
  /** End offset (exclusive) of the first complete JSON value, when `error` is null. */
  end: number;
  error: JsonSyntaxError | null;
}

/**
 * Scans one JSON value starting at `start` (leading whitespace allowed).
 * With `stopAfterValue` the scan ends right after the value (used to split concatenated
 * pretty-printed JSON); otherwise anything but whitespace after the value is an error.
 */
export function scanJsonValue(text: string, start = 0, end = text.length, stopAfterValue = false): ScanResult {
  const stack: { ch: number; offset: number }[] = [];
  let state = State.Value;
  let i = start;
  const fail = (offset: number, length: number, message: string): ScanResult => ({
    end: offset,
    error: { offset, length: Math.max(0, Math.min(length, end - offset)), message },
  });
  const closeContainer = (): void => {
    stack.pop();
    state = stack.length === 0 ? State.Done : State.AfterValue;
  };

  for (;;) {
    if (state === State.Done && stopAfterValue) return { end: i, error: null };
    while (i < end && isWs(text.charCodeAt(i))) i++;
    if (state === State.Done && i >= end) return { end: i, error: null };
    if (i >= end) {
      if (stack.length === 0) return fail(end, 0, 'Unexpected end of input: expected a JSON value');
      const open = stack[stack.length - 1];
      const what = open.ch === 0x7b ? 'object' : 'array';
      return fail(
        end,
        0,
        `Unexpected end of line: the ${what} opened at column ${col(open.offset, start)} is not closed` +
          (state === State.Colon ? " (expected ':')" : state === State.Value ? ' (expected a value)' : ''),
      );
    }
    const c = text.charCodeAt(i);

    // Comments are a common cause (JSONC/JSON5 habits); say so wherever they appear.
    if (c === 0x2f && (text.charCodeAt(i + 1) === 0x2f || text.charCodeAt(i + 1) === 0x2a)) {
      return fail(i, 2, 'Comments are not allowed in JSON');
    }

    switch (state) {
      case State.Done:
        return fail(i, end - i, 'Unexpected content after the JSON value: a JSON Lines record must be exactly one value per line');

      case State.Colon:
        if (c === 0x3a) {
          i++;
          state = State.Value;
          continue;
        }
        return fail(i, 1, `Expected ':' after property name, found ${describeChar(text[i])}`);

      case State.AfterValue: {
        const top = stack[stack.length - 1];
        const closer = top.ch === 0x7b ? 0x7d : 0x5d;
        if (c === 0x2c) {
          // Look ahead for a trailing comma.
          let j = i + 1;
          while (j < end && isWs(text.charCodeAt(j))) j++;
          if (j < end && (text.charCodeAt(j) === 0x7d || text.charCodeAt(j) === 0x5d)) {
            return fail(i, 1, `Trailing comma before '${text[j]}' is not allowed in JSON`);
          }
          i++;
          state = top.ch === 0x7b ? State.Key : State.Value;
          continue;
        }
        if (c === closer) {
          i++;
          closeContainer();
          continue;
        }
        if (c === 0x7d || c === 0x5d) {
          return fail(i, 1, `Unexpected '${text[i]}': the ${top.ch === 0x7b ? 'object' : 'array'} opened at column ${col(top.offset, start)} must be closed with '${String.fromCharCode(closer)}'`);
        }
        return fail(
          i,
          1,
          top.ch === 0x7b
            ? `Expected ',' or '}' after property value, found ${describeChar(text[i])}`
            : `Expected ',' or ']' after array element, found ${describeChar(text[i])}`,
        );
      }

      case State.FirstKey:
      case State.Key: {
        if (c === 0x7d && state === State.FirstKey) {
          i++;
          closeContainer();
          continue;
        }
        if (c === 0x22) {
          const r = scanString(text, i, end, start);
          if (r.error) return { end: r.end, error: r.error };
          i = r.end;
          state = State.Colon;
          continue;
        }
        if (c === 0x27) return fail(i, 1, "Property names must use double quotes, not single quotes");
        if (isIdent(c)) {
          let j = i;
          while (j < end && isIdent(text.charCodeAt(j))) j++;
          return fail(i, j - i, `Property names must be double-quoted strings: "${text.slice(i, Math.min(j, i + 40))}"`);
        }
        return fail(i, 1, `Expected a double-quoted property name, found ${describeChar(text[i])}`);
      }

      case State.Value: {
        if (c === 0x7b || c === 0x5b) {
          stack.push({ ch: c, offset: i });
          i++;
          state = c === 0x7b ? State.FirstKey : State.Value;
          if (c === 0x5b) {
            // Empty array.
            let j = i;
            while (j < end && isWs(text.charCodeAt(j))) j++;
            if (j < end && text.charCodeAt(j) === 0x5d) {
              i = j + 1;
              closeContainer();
            }
          }
          continue;
        }
        if (c === 0x22) {
          const r = scanString(text, i, end, start);
          if (r.error) return { end: r.end, error: r.error };
          i = r.end;
        } else if (c === 0x2d || isDigit(c)) {
          const r = scanNumber(text, i, end);
          if (r.error) return { end: r.end, error: r.error };
          i = r.end;
        } else if (c === 0x27) {
          return fail(i, 1, 'Strings must use double quotes, not single quotes');
        } else if (c === 0x2c) {
          const top = stack[stack.length - 1];
          return fail(i, 1, top ? 'Unexpected \',\': expected a value (empty element or doubled comma)' : "Unexpected ',': expected a JSON value");
        } else if (c === 0x5d || c === 0x7d) {
          return fail(i, 1, `Unexpected '${text[i]}': expected a value`);
        } else if (isIdent(c)) {
          let j = i;
          while (j < end && isIdent(text.charCodeAt(j))) j++;
          const word = text.slice(i, j);
          if (word === 'true' || word === 'false' || word === 'null') {
            i = j;
          } else {
            const lower = word.toLowerCase();
            let message: string;
            if (lower === 'true' || lower === 'false' || lower === 'null' || lower === 'none') {
              const want = lower === 'none' ? 'null' : lower;
              message = `'${word}' is not valid JSON: use lowercase ${want}`;
            } else if (word === 'NaN' || word === 'Infinity' || word === '-Infinity' || word === 'undefined') {
              message = `${word} is not valid JSON: use null or a number`;
            } else {
              message = `Unexpected '${word.length > 40 ? word.slice(0, 40) + '…' : word}': strings must be in double quotes`;
            }
            return fail(i, j - i, message);
          }
        } else {
          return fail(i, 1, `Unexpected ${describeChar(text[i])}: expected a JSON value`);
        }
        state = stack.length === 0 ? State.Done : State.AfterValue;
        continue;
      }
    }
  }
}

function scanString(text: string, i: number, end: number, lineStart: number): ScanResult {
  const open = i;
  i++;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return { end: i + 1, error: null };
    if (c === 0x5c) {
      const e = text.charCodeAt(i + 1);
      if (i + 1 >= end) break;
      if (e === 0x75) {
        for (let k = 2; k < 6; k++) {
          const h = text.charCodeAt(i + k);
          const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
          if (!hex || i + k >= end) {
            return { end: i, error: { offset: i, length: Math.min(6, end - i), message: 'Invalid \\u escape: expected four hex digits' } };
          }
        }
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
        continue;
      }
      return { end: i, error: { offset: i, length: 2, message: `Invalid escape sequence '\\${text[i + 1]}' in string` } };
    }
    if (c < 0x20) {
      const name = c === 0x09 ? 'tab' : c === 0x0a ? 'line feed' : c === 0x0d ? 'carriage return' : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
      return {
        end: i,
        error: { offset: i, length: 1, message: `Unescaped control character (${name}) in string: write it as an escape such as \\t or \\n` },
      };
    }
    i++;
  }
  return {
    end,
    error: { offset: open, length: 1, message: `Unterminated string starting at column ${open - lineStart + 1}` },
  };
}

function scanNumber(text: string, i: number, end: number): ScanResult {
  const s = i;
  if (text.charCodeAt(i) === 0x2d) i++;
  const bad = (message: string): ScanResult => {
    let j = i;
    while (j < end && isIdent(text.charCodeAt(j))) j++;
    return { end: s, error: { offset: s, length: Math.max(1, j - s), message } };
  };
  if (i >= end || !isDigit(text.charCodeAt(i))) {
    if (text.startsWith('Infinity', i)) return bad('-Infinity is not valid JSON: use null or a number');
    return bad("Invalid number: '-' must be followed by a digit");
  }
  if (text.charCodeAt(i) === 0x30 && isDigit(text.charCodeAt(i + 1))) return bad('Invalid number: leading zeros are not allowed');
  while (i < end && isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(text.charCodeAt(i)) || i >= end) return bad('Invalid number: a digit must follow the decimal point');
    while (i < end && isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(text.charCodeAt(i)) || i >= end) return bad('Invalid number: the exponent needs digits');
    while (i < end && isDigit(text.charCodeAt(i))) i++;
  }
  if (i < end && isIdent(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x2d && text.charCodeAt(i) !== 0x2b) {
    return bad(`Invalid number '${text.slice(s, Math.min(end, i + 10))}'`);
  }
  return { end: i, error: null };
}

/** Explains why `text[start, end)` is not a single JSON value, or returns null if it is one. */
export function findJsonSyntaxError(text: string, start = 0, end = text.length): JsonSyntaxError | null {
  return scanJsonValue(text, start, end, false).error;
}

export interface ConcatenatedJson {
  values: unknown[];
  /** Start offset of each value. */
  starts: number[];
  ends: number[];
}

/**
 * Parses text holding one or more JSON values separated only by whitespace (for example
 * pretty-printed objects one after another). Returns null when the text is anything else.
 */
export function parseConcatenatedJson(text: string, maxValues = Infinity): ConcatenatedJson | null {
  const values: unknown[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (;;) {
    while (i < n && isWs(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const r = scanJsonValue(text, i, n, true);
    if (r.error) return null;
    try {
      values.push(JSON.parse(text.slice(i, r.end)));
    } catch {
      return null;
    }
    starts.push(i);
    ends.push(r.end);
    i = r.end;
    if (values.length > maxValues) return null;
  }
  return values.length ? { values, starts, ends } : null;
}
