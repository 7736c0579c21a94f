/**
 * Personal data and secrets in a raw JSONL line: e-mail addresses, phone numbers, payment card
 * numbers and API keys / private keys / tokens.
 *
 * Detectors read the line as it is in the file (JSON escapes and all), so offsets are editor
 * columns. An escape such as `\n` counts as a separator: `"call\n555-123-4567"` finds the number.
 * Values written with `\u` escapes are not decoded, so `bob\u0040example.com` is not found.
 *
 * Most lines hold nothing, so each detector starts from a cheap native search (`indexOf('@')`,
 * `indexOf` of a character every key prefix holds, one regular expression for a run of digits)
 * and only then looks closer, by hand rather than with backtracking patterns.
 *
 * Choices:
 * - E-mail: a dot in the domain and a letters-only top-level domain are required, so `user@host`,
 *   `pkg@1.2.3`, `icon@2x.png` and `git@github.com:org/repo` are not addresses. Addresses at
 *   reserved domains (example.com/.net/.org, .example, .test, .invalid, .localhost) are reported
 *   with detail 'example domain': they are not personal data, but a rule may still want to say so.
 * - Phone: with a leading `+` or `00`, 9 to 15 digits (E.164); without, only shapes that are clearly
 *   phone numbers: North American (`(415) 555-2671`, `415-555-2671`, `415.555.2671`,
 *   `1 415 555 2671`, area code and exchange starting 2–9) and trunk-prefixed national numbers
 *   (`020 7946 0958`, `06 12 34 56 78`: a leading 0, 9 to 12 digits in groups of 2 to 8 with one
 *   kind of separator). A bare run of digits is never a phone number (ids, epoch times, amounts),
 *   nor is a number glued to letters, `_`, `-`, `.`, `/`, `:`, `#` or `$` (ids, dates, times,
 *   versions, paths, prices).
 * - Payment card: 13 to 19 digits, contiguous or grouped 4-4-4-4(-1..3), 4-6-5 or 4-6-4 with
 *   one kind of separator, a known issuer prefix and a valid Luhn checksum. Well-known test
 *   numbers (4242 4242 4242 4242, ...) get detail 'test card number'.
 * - Secret key: known prefixes with the length and alphabet of real keys, and, for the random
 *   base62 kinds, both cases and a digit, so `sk-learn-is-great` is not an OpenAI key.
 *   The detail names the issuer.
 */

export type PiiKind = 'email' | 'phone' | 'credit-card' | 'secret-key';

export interface PiiMatch {
  kind: PiiKind;
  /** UTF-16 offset in the line. */
  offset: number;
  length: number;
  /** The text as it is in the line. */
  value: string;
  /** Issuer of a key or card, 'example domain', 'test card number', ... */
  detail?: string;
  /**
   * Whether the match is inside a JSON string. Only a contiguous card number can be outside (a
   * JSON number): replacing it with a masked value needs quotes there.
   */
  inString: boolean;
}

const BACKSLASH = 0x5c;

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isWord = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 0x5f;

/** Whether the character at `p` is escaped (an odd run of backslashes before it). */
function isEscaped(line: string, p: number): boolean {
  let b = p - 1;
  while (b >= 0 && line.charCodeAt(b) === BACKSLASH) b--;
  return ((p - 1 - b) & 1) === 1;
}

/**
 * Whether `p` starts a token: the character before is not a word character, or it ends a JSON
 * escape (`\n`, `\t`, `\u00a0`, ...) and so stands for a separator.
 */
function startsToken(line: string, p: number, alsoGlue: string): boolean {
  if (p === 0) return true;
  const c = line.charCodeAt(p - 1);
  if (alsoGlue.length > 0 && alsoGlue.includes(line[p - 1])) return false;
  if (!isWord(c)) return true;
  if (isEscaped(line, p - 1)) return c !== 0x75; // `\u` alone is not a whole escape
  // `\uXXXX` ending at p - 1.
  return p >= 6 && line.charCodeAt(p - 5) === 0x75 && line.charCodeAt(p - 6) === BACKSLASH && isEscaped(line, p - 5);
}

// ---------------------------------------------------------------- e-mail

const isLocalChar = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 0x2e || c === 0x5f || c === 0x25 || c === 0x2b || c === 0x2d;
const isDomainChar = (c: number): boolean => isAlpha(c) || isDigit(c) || c === 0x2e || c === 0x2d;

const EXAMPLE_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)$/i;

function findEmails(line: string, out: PiiMatch[]): void {
  const n = line.length;
  for (let at = line.indexOf('@'); at >= 0; at = line.indexOf('@', at + 1)) {
    let s = at;
    while (s > 0 && isLocalChar(line.charCodeAt(s - 1))) s--;
    // `\nbob@...`: the `n` belongs to the escape.
    if (s > 0 && line.charCodeAt(s - 1) === BACKSLASH && isEscaped(line, s)) s += line.charCodeAt(s) === 0x75 ? 5 : 1;
    while (s < at && line.charCodeAt(s) === 0x2e) s++;
    if (s >= at || at - s > 64) continue;
    let e = at + 1;
    while (e < n && isDomainChar(line.charCodeAt(e))) e++;
    while (e > at + 1 && (line.charCodeAt(e - 1) === 0x2e || line.charCodeAt(e - 1) === 0x2d)) e--;
    if (!validDomain(line, at + 1, e)) continue;
    const local = line.slice(s, at);
    if (local.endsWith('.') || local.includes('..')) continue;
    // `git@github.com:org/repo`, `user:password@host` in a URL: not a mailbox.
    if (line.charCodeAt(e) === 0x3a && local === 'git') continue;
    if (s > 0 && line.charCodeAt(s - 1) === 0x3a && isUrlUserinfo(line, s - 1)) continue;
    const domain = line.slice(at + 1, e);
    // Retina image names: `icon@2x.png`.
    if (/^\d+x\./.test(domain)) continue;
    const m: PiiMatch = { kind: 'email', offset: s, length: e - s, value: line.slice(s, e), inString: true };
    if (EXAMPLE_DOMAIN.test(domain)) m.detail = 'example domain';
    out.push(m);
    at = e - 1;
  }
}

function validDomain(line: string, s: number, e: number): boolean {
  if (e - s < 4 || e - s > 253) return false;
  let labelStart = s;
  let dots = 0;
  for (let i = s; i <= e; i++) {
    if (i < e && line.charCodeAt(i) !== 0x2e) continue;
    const len = i - labelStart;
    if (len === 0 || len > 63) return false;
    if (line.charCodeAt(labelStart) === 0x2d || line.charCodeAt(i - 1) === 0x2d) return false;
    if (i < e) dots++;
    labelStart = i + 1;
  }
  if (dots === 0) return false;
  const tldStart = line.lastIndexOf('.', e - 1) + 1;
  if (e - tldStart < 2) return false;
  for (let i = tldStart; i < e; i++) if (!isAlpha(line.charCodeAt(i))) return false;
  return true;
}

/** `colon` is the `:` in `scheme://user:password@`: look back for `://` within the same token. */
function isUrlUserinfo(line: string, colon: number): boolean {
  for (let i = colon - 1, steps = 0; i >= 2 && steps < 256; i--, steps++) {
    const c = line.charCodeAt(i);
    if (c === 0x2f && line.charCodeAt(i - 1) === 0x2f && line.charCodeAt(i - 2) === 0x3a) return true;
    if (c === 0x22 || c === 0x20 || c === BACKSLASH) return false;
  }
  return false;
}

// ---------------------------------------------------------------- phone numbers and cards

/**
 * Two digits, then at least seven more split by up to two of ` .()-`: every phone or card shape
 * has 9 digits or more, a date (8) does not. It starts with a fixed `\d\d` so that the regex
 * engine can skip ahead (Boyer–Moore) instead of trying every position; the start is then
 * widened to a `+`, `(` or short leading group (`+1 `, `1-`) by hand. The lookbehind, placed
 * after the fixed part so as not to defeat the skipping, stops retries inside a run of digits;
 * the exact `{7}` (the regex only finds a start) keeps each match short, so that a megabyte of
 * `11 11 11 …` is not matched to its end again and again.
 */
const NUMBER_SPAN = /\d\d(?<!\d\d\d)(?:[ .()-]{0,2}\d){7}/g;

const MAX_GROUPS = 8;

interface NumberShape {
  start: number;
  end: number;
  plus: boolean;
  digits: string;
  groups: number[];
  /** End offset of each group (after its closing parenthesis, if any). */
  ends: number[];
  /** Separator characters between groups, ')' for a closing parenthesis (with or without a space). */
  seps: string;
  /** Index of the group written in parentheses, -1 if none. */
  paren: number;
}

/** Reads groups of digits from `p` (at a digit, `+` or `(`); null when the shape is not a number. */
function readNumber(line: string, p: number): NumberShape | null {
  const n = line.length;
  const start = p;
  let plus = false;
  if (line.charCodeAt(p) === 0x2b) {
    plus = true;
    p++;
  }
  const groups: number[] = [];
  const ends: number[] = [];
  let seps = '';
  let digits = '';
  let paren = -1;
  for (;;) {
    let opened = false;
    if (line.charCodeAt(p) === 0x28 && paren < 0 && groups.length <= 1) {
      opened = true;
      p++;
    }
    const g = p;
    while (p < n && isDigit(line.charCodeAt(p))) p++;
    if (p === g) return null;
    groups.push(p - g);
    digits += line.slice(g, p);
    if (opened) {
      if (line.charCodeAt(p) !== 0x29) return null;
      paren = groups.length - 1;
      p++;
      ends.push(p);
      if (line.charCodeAt(p) === 0x20 || line.charCodeAt(p) === 0x2d) p++;
      if (!isDigit(line.charCodeAt(p))) return null;
      seps += ')';
      continue;
    }
    ends.push(p);
    // No phone or card number has more groups; stopping keeps a megabyte of `1 2 3 …` linear.
    if (groups.length === MAX_GROUPS) break;
    const c = line.charCodeAt(p);
    const next = line.charCodeAt(p + 1);
    if ((c === 0x20 || c === 0x2d || c === 0x2e) && (isDigit(next) || (next === 0x28 && paren < 0 && groups.length <= 1))) {
      seps += line[p];
      p++;
      continue;
    }
    break;
  }
  return { start, end: p, plus, digits, groups, ends, seps, paren };
}

/** The number is glued to what follows: a word, or `.5` / `-7` / `:30` / `/2` / `,5` continuing it. */
function gluedAfter(line: string, end: number): boolean {
  const c = line.charCodeAt(end);
  if (isWord(c)) return true;
  if (c === 0x2e || c === 0x2d || c === 0x3a || c === 0x2f || c === 0x2c) return isDigit(line.charCodeAt(end + 1));
  return false;
}

/** One kind of separator, except that spaces, dashes and a parenthesised group may mix. */
function consistent(seps: string): boolean {
  if (seps.includes('.')) {
    for (let i = 0; i < seps.length; i++) if (seps[i] !== '.') return false;
    return true;
  }
  if (seps.includes(')')) return true;
  for (let i = 1; i < seps.length; i++) if (seps[i] !== seps[0]) return false;
  return true;
}

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function cardIssuer(d: string): string | null {
  const len = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4' && (len === 13 || len === 16 || len === 19)) return 'visa';
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len === 16) return 'mastercard';
  if ((p2 === 34 || p2 === 37) && len === 15) return 'amex';
  if ((p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) && len >= 16 && len <= 19) return 'discover';
  if (p4 >= 3528 && p4 <= 3589 && len >= 16 && len <= 19) return 'jcb';
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && len >= 14 && len <= 19) return 'diners';
  if (p2 === 62 && len >= 16 && len <= 19) return 'unionpay';
  if ((p2 === 50 || (p2 >= 56 && p2 <= 69)) && len >= 12 && len <= 19) return 'maestro';
  return null;
}

const TEST_CARDS = new Set([
  '4242424242424242', '4111111111111111', '4000056655665556', '4012888888881881', '4222222222222',
  '5555555555554444', '5105105105105100', '2223003122003222', '5200828282828210',
  '378282246310005', '371449635398431', '378734493671000',
  '6011111111111117', '6011000990139424', '3056930009020004', '36227206271667',
  '3566002020360505', '3530111333300000', '6200000000000005',
]);

const CARD_SHAPES = ['4,4,4,4', '4,4,4,4,1', '4,4,4,4,2', '4,4,4,4,3', '4,6,5', '4,6,4'];

function asCard(line: string, s: NumberShape): PiiMatch | null {
  if (s.plus || s.paren >= 0) return null;
  const len = s.digits.length;
  if (len < 13 || len > 19) return null;
  if (s.groups.length > 1) {
    if (s.groups[0] !== 4 || s.seps.includes('.') || !consistent(s.seps) || (s.seps.includes(' ') && s.seps.includes('-')) || !CARD_SHAPES.includes(s.groups.join(','))) return null;
  }
  const issuer = cardIssuer(s.digits);
  if (!issuer || !luhn(s.digits)) return null;
  return {
    kind: 'credit-card',
    offset: s.start,
    length: s.end - s.start,
    value: line.slice(s.start, s.end),
    detail: TEST_CARDS.has(s.digits) ? 'test card number' : issuer,
    inString: true,
  };
}

function asPhone(line: string, s: NumberShape): PiiMatch | null {
  const d = s.digits;
  const g = s.groups;
  let ok: boolean;
  if (s.plus || d.startsWith('00')) {
    // E.164 (`+` or the `00` international prefix): a country code of 1–3 digits, not starting with 0.
    const rest = s.plus ? d : d.slice(2);
    ok = rest.length >= 9 && rest.length <= 15 && rest[0] !== '0' && (s.plus ? g.length === 1 || g[0] <= 3 : g.length >= 2 && g[0] <= 5 && consistent(s.seps));
  } else if (d[0] === '0') {
    // Trunk prefix: 020 7946 0958, 06 12 34 56 78, (030) 12345678.
    ok = d.length >= 9 && d.length <= 12 && g.length >= 2 && s.paren <= 0 && consistent(s.seps) && g[0] <= 5 && g.every((x) => x >= 2 && x <= 8);
  } else {
    // North American: [1] NXX NXX XXXX.
    const lead = g.length === 4 && g[0] === 1 && d[0] === '1' ? 1 : 0;
    const shape = g.length - lead === 3 && g[lead] === 3 && g[lead + 1] === 3 && g[lead + 2] === 4;
    ok = shape && d[lead] >= '2' && d[lead + 3] >= '2' && (s.paren < 0 || s.paren === lead) && consistent(s.seps);
  }
  if (!ok) return null;
  return { kind: 'phone', offset: s.start, length: s.end - s.start, value: line.slice(s.start, s.end), inString: true };
}

/** The first `count` groups of a shape. */
function prefix(s: NumberShape, count: number): NumberShape {
  let digits = 0;
  for (let i = 0; i < count; i++) digits += s.groups[i];
  return {
    ...s,
    end: s.ends[count - 1],
    digits: s.digits.slice(0, digits),
    groups: s.groups.slice(0, count),
    ends: s.ends.slice(0, count),
    seps: s.seps.slice(0, count - 1),
    paren: s.paren < count ? s.paren : -1,
  };
}

/**
 * Whether any prefix of the shape can be a card or a phone number, decided from its first groups:
 * `+` or a leading 0 (international, trunk), a first group of 4 (grouped card) or 13+ (contiguous
 * card), 3 or 1 then 3 (North American). Rejecting `11 11 11 …` here keeps such text cheap.
 */
function mayClassify(shape: NumberShape): boolean {
  const g = shape.groups;
  return shape.plus || shape.digits.charCodeAt(0) === 0x30 || g[0] === 4 || g[0] >= 13 || g[0] === 3 || (g[0] === 1 && g[1] === 3);
}

function classify(line: string, shape: NumberShape): PiiMatch | null {
  if (!mayClassify(shape)) return null;
  if (!gluedAfter(line, shape.end)) {
    const whole = asCard(line, shape) ?? asPhone(line, shape);
    if (whole) return whole;
  }
  // Numbers written next to each other (`415-555-2671 2025`): try the shape cut at each space.
  let digits = shape.digits.length;
  for (let count = shape.groups.length - 1; count >= 1; count--) {
    digits -= shape.groups[count];
    // Every phone or card number has 9 digits or more (a leading `00` or `+` counted).
    if (digits < 9) break;
    if (shape.seps[count - 1] !== ' ') continue;
    const part = prefix(shape, count);
    const found = asCard(line, part) ?? asPhone(line, part);
    if (found) return found;
  }
  return null;
}

/** Widens a span found at `at` to a `(`, a leading group of 1–3 digits (`1-`, `+44 `) and `+`. */
function widenStart(line: string, at: number): number {
  let s = at;
  if (line.charCodeAt(s - 1) === 0x28) s--;
  const sep = line.charCodeAt(s - 1);
  if (sep === 0x20 || sep === 0x2d || sep === 0x2e) {
    let g = s - 1;
    while (g > 0 && isDigit(line.charCodeAt(g - 1)) && s - 1 - g < 4) g--;
    const len = s - 1 - g;
    // `1-415-…`, `1 (415) …`, `+1 415 …`, `+44 20 …`; a longer group is a number of its own.
    if (len >= 1 && len <= 3 && !isDigit(line.charCodeAt(g - 1)) && (len === 1 || line.charCodeAt(g - 1) === 0x2b)) s = g;
  }
  if (line.charCodeAt(s - 1) === 0x2b) s--;
  return s;
}

function findNumbers(line: string, out: PiiMatch[]): void {
  NUMBER_SPAN.lastIndex = 0;
  for (let m = NUMBER_SPAN.exec(line); m; m = NUMBER_SPAN.exec(line)) {
    const at = widenStart(line, m.index);
    const shape = startsToken(line, at, '-.+/:#$') ? readNumber(line, at) : null;
    const found = shape ? classify(line, shape) : null;
    if (found) {
      out.push(found);
      NUMBER_SPAN.lastIndex = found.offset + found.length;
    } else {
      // Past this run of digits; a later group after a space may still start a number.
      let p = m.index + 1;
      while (p < line.length && isDigit(line.charCodeAt(p))) p++;
      NUMBER_SPAN.lastIndex = p;
    }
  }
}

// ---------------------------------------------------------------- secret keys

const BASE62 = 1;
const URLSAFE = 2; // base62 + `-` `_`
const UPPER32 = 3; // A-Z 0-9
const WORDISH = 4; // base62 + `_`
const SLACK = 5; // base62 + `-`

function inAlphabet(c: number, alphabet: number): boolean {
  if (isAlpha(c) || isDigit(c)) return alphabet !== UPPER32 || !(c >= 0x61 && c <= 0x7a);
  if (c === 0x2d) return alphabet === URLSAFE || alphabet === SLACK;
  if (c === 0x5f) return alphabet === URLSAFE || alphabet === WORDISH;
  return false;
}

/** End of the run of `alphabet` characters from `p`, looking at most `max + 1` characters ahead. */
function runEnd(line: string, p: number, alphabet: number, max = 512): number {
  const n = Math.min(line.length, p + max + 1);
  while (p < n && inAlphabet(line.charCodeAt(p), alphabet)) p++;
  return p;
}

/** Random base62 has both cases and digits; words and identifiers usually do not. */
function looksRandom(line: string, s: number, e: number, needDigit: boolean): boolean {
  let upper = false;
  let lower = false;
  let digit = false;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) upper = true;
    else if (c >= 0x61 && c <= 0x7a) lower = true;
    else if (isDigit(c)) digit = true;
  }
  return upper && lower && (digit || !needDigit);
}

interface KeyHit {
  end: number;
  detail: string;
}

function matchKey(line: string, p: number): KeyHit | null {
  const c = line.charCodeAt(p);
  if (c === 0x2d) return matchPem(line, p);
  const hit = (prefixLen: number, alphabet: number, min: number, max: number, detail: string, needDigit = true, random = true): KeyHit | null => {
    const s = p + prefixLen;
    const e = runEnd(line, s, alphabet, max);
    const len = e - s;
    if (len < min || len > max) return null;
    if (random && !looksRandom(line, s, e, needDigit)) return null;
    return { end: e, detail };
  };
  if (line.startsWith('sk-ant-', p)) return hit(7, URLSAFE, 32, 400, 'anthropic');
  if (line.startsWith('sk-', p)) return hit(3, URLSAFE, 20, 400, 'openai');
  if (line.startsWith('sk_live_', p) || line.startsWith('rk_live_', p)) return hit(8, BASE62, 20, 255, 'stripe');
  if (line.startsWith('github_pat_', p)) return hit(11, WORDISH, 50, 255, 'github');
  if (line.startsWith('gh', p)) return hit(4, BASE62, 30, 255, 'github');
  if (line.startsWith('AKIA', p) || line.startsWith('ASIA', p)) {
    const h = hit(4, UPPER32, 16, 16, 'aws', false, false);
    if (h && line.startsWith('EXAMPLE', h.end - 7)) h.detail = 'aws (documentation example)';
    return h;
  }
  if (line.startsWith('AIza', p)) return hit(4, URLSAFE, 35, 35, 'google', false, false);
  if (line.startsWith('xox', p)) {
    const h = hit(5, SLACK, 10, 255, 'slack', true, false);
    return h && /\d/.test(line.slice(p + 5, h.end)) ? h : null;
  }
  if (line.startsWith('hf_', p)) return hit(3, BASE62, 34, 255, 'hugging-face', false);
  if (line.startsWith('eyJ', p)) return matchJwt(line, p);
  return null;
}

/** Longest JWT segment looked at (a claims payload of a few kilobytes). */
const JWT_MAX = 16_384;

function matchJwt(line: string, p: number): KeyHit | null {
  const a = runEnd(line, p, URLSAFE, JWT_MAX);
  if (a - p < 10 || a - p > JWT_MAX || line.charCodeAt(a) !== 0x2e) return null;
  const b = runEnd(line, a + 1, URLSAFE, JWT_MAX);
  if (b - a - 1 < 8 || b - a - 1 > JWT_MAX || line.charCodeAt(b) !== 0x2e) return null;
  const c = runEnd(line, b + 1, URLSAFE, JWT_MAX);
  if (c - b - 1 < 16 || c - b - 1 > JWT_MAX) return null;
  return { end: c, detail: 'jwt' };
}

const PEM_MAX = 16_384;
const PEM_HEADER = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/y;
/** Key material after the header: line breaks (raw or escaped), headers such as `Proc-Type:`, base64. */
const PEM_BODY = /(?:\s|\\[rn])*(?:[A-Za-z-]+: [^\\"]*(?:\s|\\[rn])+)*[A-Za-z0-9+/=]{16}/y;

function matchPem(line: string, p: number): KeyHit | null {
  PEM_HEADER.lastIndex = p;
  const h = PEM_HEADER.exec(line);
  if (!h) return null;
  const headerEnd = p + h[0].length;
  // A header alone (documentation, a masked key) is not a key.
  PEM_BODY.lastIndex = headerEnd;
  if (!PEM_BODY.test(line)) return null;
  const footer = `-----END ${h[1]}PRIVATE KEY-----`;
  // Keys are a few kilobytes: look for the footer nearby only, so that many headers stay linear.
  const near = line.slice(headerEnd, headerEnd + PEM_MAX);
  const f = near.indexOf(footer);
  // The footer must be in the same JSON string: no unescaped quote in between.
  let end = headerEnd;
  if (f >= 0) {
    let q = near.indexOf('"');
    while (q >= 0 && q < f && isEscaped(line, headerEnd + q)) q = near.indexOf('"', q + 1);
    if (q < 0 || q > f) end = headerEnd + f + footer.length;
  }
  return { end, detail: 'private key' };
}

function pushKey(line: string, start: number, out: PiiMatch[]): number {
  if (!startsToken(line, start, '')) return -1;
  const hit = matchKey(line, start);
  if (!hit) return -1;
  out.push({ kind: 'secret-key', offset: start, length: hit.end - start, value: line.slice(start, hit.end), detail: hit.detail, inString: true });
  return hit.end;
}

/**
 * Every prefix holds a `-` or `_`, or starts with `A` or ends with `J`: a search for a single,
 * mostly rare character (`indexOf` is native and quick) finds the few places to look at, where a
 * regular expression over all prefixes would try every position (measured 3–10× slower).
 */
function findKeys(line: string, out: PiiMatch[]): void {
  // sk-…, sk-ant-…, xox[abpr]-…, -----BEGIN …
  // End of the URL-safe run around the last `sk-` that was not a key: a later `sk-` in that run
  // shares its end, so it can only be a key within 407 characters of it (`sk-sk-sk-…` stays linear).
  let skRunEnd = -1;
  for (let p = line.indexOf('-'); p >= 0; p = line.indexOf('-', p + 1)) {
    let start = -1;
    const c1 = line.charCodeAt(p - 1);
    if (c1 === 0x6b && line.charCodeAt(p - 2) === 0x73) {
      if (p < skRunEnd && p - 2 < skRunEnd - 407) continue;
      const end = pushKey(line, p - 2, out);
      if (end > p) p = end;
      else if (p >= skRunEnd) skRunEnd = runEnd(line, p, URLSAFE, Infinity);
      continue;
    }
    else if ((c1 === 0x61 || c1 === 0x62 || c1 === 0x70 || c1 === 0x72) && line.startsWith('xox', p - 4)) start = p - 4;
    else if (line.startsWith('-----BEGIN ', p)) {
      const hit = matchPem(line, p);
      if (hit) {
        out.push({ kind: 'secret-key', offset: p, length: hit.end - p, value: line.slice(p, hit.end), detail: hit.detail, inString: true });
        p = hit.end;
      }
      continue;
    }
    if (start >= 0) {
      const end = pushKey(line, start, out);
      if (end > p) p = end;
    }
  }
  // sk_live_…, rk_live_…, gh[pousr]_…, github_pat_…, hf_…
  for (let p = line.indexOf('_'); p >= 0; p = line.indexOf('_', p + 1)) {
    let start = -1;
    const c1 = line.charCodeAt(p - 1);
    const c2 = line.charCodeAt(p - 2);
    if (c1 === 0x6b && (c2 === 0x73 || c2 === 0x72) && line.startsWith('live_', p + 1)) start = p - 2;
    else if (c2 === 0x68 && line.charCodeAt(p - 3) === 0x67 && (c1 === 0x70 || c1 === 0x6f || c1 === 0x75 || c1 === 0x73 || c1 === 0x72)) start = p - 3;
    else if (c1 === 0x66 && c2 === 0x68) start = p - 2;
    else if (c1 === 0x62 && line.startsWith('github_pat_', p - 6)) start = p - 6;
    if (start >= 0) {
      const end = pushKey(line, start, out);
      if (end > p) p = end;
    }
  }
  // AKIA…, ASIA…, AIza…
  for (let p = line.indexOf('A'); p >= 0; p = line.indexOf('A', p + 1)) {
    const c1 = line.charCodeAt(p + 1);
    if ((c1 === 0x4b && line.startsWith('IA', p + 2)) || (c1 === 0x53 && line.startsWith('IA', p + 2)) || (c1 === 0x49 && line.startsWith('za', p + 2))) {
      const end = pushKey(line, p, out);
      if (end > p) p = end;
    }
  }
  // eyJ… (JWT). A token starting later in the same run would end its first segment at the same
  // place, so after a miss the rest of the run is skipped: `eyJ-eyJ-eyJ-…` stays linear.
  for (let p = line.indexOf('J'); p >= 0; p = line.indexOf('J', p + 1)) {
    if (p >= 2 && line.charCodeAt(p - 1) === 0x79 && line.charCodeAt(p - 2) === 0x65) {
      const end = pushKey(line, p - 2, out);
      p = end > p ? end : Math.max(p, runEnd(line, p, URLSAFE, JWT_MAX) - 1);
    }
  }
}

// ---------------------------------------------------------------- entry points

/**
 * Personal data and secrets in one raw JSONL line, in order of offset, without overlaps.
 */
export function findPii(line: string): PiiMatch[] {
  const out: PiiMatch[] = [];
  if (line.indexOf('@') >= 0) findEmails(line, out);
  findKeys(line, out);
  findNumbers(line, out);
  if (out.length === 0) return out;
  if (out.length > 1) {
    out.sort((a, b) => a.offset - b.offset || b.length - a.length);
    let w = 1;
    for (let r = 1; r < out.length; r++) {
      const prev = out[w - 1];
      if (out[r].offset >= prev.offset + prev.length) out[w++] = out[r];
    }
    out.length = w;
  }
  // In valid JSON only a run of digits can stand outside a string (as a number): look only then.
  for (const m of out) {
    if (m.kind === 'credit-card' && isDigit(m.value.charCodeAt(4))) {
      markStrings(line, out);
      break;
    }
  }
  return out;
}

/** Sets `inString` for matches (sorted by offset) in one pass over the line up to the last. */
function markStrings(line: string, matches: PiiMatch[]): void {
  let inString = false;
  let i = 0;
  for (const m of matches) {
    for (; i < m.offset; i++) {
      const c = line.charCodeAt(i);
      if (c === BACKSLASH && inString) i++;
      else if (c === 0x22) inString = !inString;
    }
    m.inString = inString;
  }
}

const KEY_PREFIXES = ['sk-ant-', 'sk-proj-', 'sk-svcacct-', 'sk-admin-', 'sk-', 'sk_live_', 'rk_live_', 'github_pat_', 'ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'AKIA', 'ASIA', 'AIza', 'xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'hf_', 'eyJ'];

/** Replaces every digit but the last four with `*`, keeping separators. */
function maskDigits(value: string): string {
  let total = 0;
  for (let i = 0; i < value.length; i++) if (isDigit(value.charCodeAt(i))) total++;
  let seen = 0;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isDigit(c) && ++seen <= total - 4) out += '*';
    else out += value[i];
  }
  return out;
}

/**
 * A masked stand-in for a found value, safe inside a JSON string: `j***@example.com`,
 * `(***) ***-2671`, `**** **** **** 4242`, `sk-…[redacted]`.
 */
export function maskPii(value: string, kind: PiiKind): string {
  switch (kind) {
    case 'email': {
      const at = value.lastIndexOf('@');
      return at <= 0 ? '***' : `${value[0]}***${value.slice(at)}`;
    }
    case 'phone':
    case 'credit-card':
      return maskDigits(value);
    case 'secret-key': {
      const pem = /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.exec(value);
      if (pem) return `${pem[0]}…[redacted]`;
      const prefix = KEY_PREFIXES.find((p) => value.startsWith(p));
      return `${prefix ?? ''}…[redacted]`;
    }
  }
}
