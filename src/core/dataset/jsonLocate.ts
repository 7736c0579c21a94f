/**
 * Finds where a value (or its key) sits in the text of one JSON value, given its path, so that a
 * finding computed on the parsed record (a schema issue at `messages[2].role`) can be shown at the
 * right columns.
 *
 * It never builds the parsed value: strings are skipped with `indexOf('"')`, containers that are
 * not on the path with a depth counter (no stack, so 100,000 nested brackets are fine), and a key
 * is compared in place unless it holds an escape. Input is expected to be valid JSON (the line
 * `JSON.parse` accepted); on anything else the result is null or an unspecified range, never a
 * throw or a hang.
 */

/** A UTF-16 range in the text. */
export interface JsonRange {
  offset: number;
  length: number;
}

/** Object keys and array indexes; a number also matches the object key of the same spelling. */
export type JsonPath = readonly (string | number)[];

/**
 * `value`: the whole value (quotes and brackets included). `key`: the key with its quotes; for an
 * array element or the root, which have no key, the value instead.
 */
export type JsonPart = 'key' | 'value';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return i;
  }
}

/** `i` at the opening quote; returns the offset after the closing quote, or -1. */
function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    // The quote closes the string when an even number of backslashes precede it. Each run is
    // counted once (it ends at the quote it precedes), so this stays linear.
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if (((q - 1 - b) & 1) === 0) return q + 1;
    from = q + 1;
  }
}

/** `i` at `{` or `[`; returns the offset after the matching closer, or -1. */
function skipContainer(text: string, i: number): number {
  const n = text.length;
  let depth = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === LBRACE || c === LBRACKET) depth++;
    else if ((c === RBRACE || c === RBRACKET) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** `i` at the first character of a value; returns the offset after it, or -1. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === LBRACE || c === LBRACKET) return skipContainer(text, i);
  const n = text.length;
  let j = i;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === RBRACE || d === RBRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    j++;
  }
  return j > i ? j : -1;
}

/** Whether the key token `text[ks, ke)` (quotes included) decodes to `want`. */
function keyEquals(text: string, ks: number, ke: number, want: string, wantHasBackslash: boolean): boolean {
  const rawLen = ke - ks - 2;
  // Escapes only shorten a key, so a raw key shorter than `want` cannot decode to it.
  if (rawLen < want.length) return false;
  if (rawLen === want.length && text.startsWith(want, ks + 1) && !wantHasBackslash) return true;
  let escaped = false;
  for (let j = ks + 1; j < ke - 1; j++) {
    if (text.charCodeAt(j) === BACKSLASH) {
      escaped = true;
      break;
    }
  }
  if (!escaped) return false;
  try {
    return JSON.parse(text.slice(ks, ke)) === want;
  } catch {
    return false;
  }
}

function start(text: string): number {
  return skipWs(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
}

const CANONICAL_INDEX = /^(?:0|[1-9][0-9]{0,15})$/;

function asIndex(seg: string | number): number {
  if (typeof seg === 'number') return Number.isInteger(seg) && seg >= 0 ? seg : -1;
  return CANONICAL_INDEX.test(seg) ? Number(seg) : -1;
}

interface TrieNode {
  /** Segment as an object key. */
  key: string;
  keyHasBackslash: boolean;
  /** Segment as an array index, -1 when it is not one. */
  index: number;
  children: TrieNode[];
  /** Built when there are many children, so a wide batch does not compare every key with each. */
  byKey: Map<string, TrieNode> | null;
  byIndex: Map<number, TrieNode> | null;
  /** Paths (indexes into the caller's list) that end here. */
  ends: number[];
  /** Paths that end here or below: cleared when a later duplicate key takes over. */
  below: number[];
  seen: boolean;
}

const MAP_FROM = 8;

function buildTrie(paths: readonly JsonPath[]): TrieNode {
  const make = (key: string, index: number): TrieNode => ({
    key,
    keyHasBackslash: key.includes('\\'),
    index,
    children: [],
    byKey: null,
    byIndex: null,
    ends: [],
    below: [],
    seen: false,
  });
  const root = make('', -1);
  for (let p = 0; p < paths.length; p++) {
    let node = root;
    node.below.push(p);
    for (const seg of paths[p]) {
      const key = typeof seg === 'string' ? seg : String(seg);
      let child = node.byKey ? node.byKey.get(key) : node.children.find((ch) => ch.key === key);
      if (!child) {
        child = make(key, asIndex(seg));
        node.children.push(child);
        if (node.children.length === MAP_FROM) {
          node.byKey = new Map(node.children.map((ch) => [ch.key, ch]));
          node.byIndex = new Map();
        } else {
          node.byKey?.set(key, child);
        }
        if (node.byIndex) {
          node.byIndex.clear();
          for (const ch of node.children) if (ch.index >= 0) node.byIndex.set(ch.index, ch);
        }
      }
      node = child;
      node.below.push(p);
    }
    node.ends.push(p);
  }
  return root;
}

function childByKey(node: TrieNode, text: string, ks: number, ke: number): TrieNode | undefined {
  if (node.byKey) {
    let raw = text.slice(ks + 1, ke - 1);
    if (raw.includes('\\')) {
      try {
        raw = JSON.parse(text.slice(ks, ke)) as string;
      } catch {
        return undefined;
      }
    }
    return node.byKey.get(raw);
  }
  for (const ch of node.children) if (keyEquals(text, ks, ke, ch.key, ch.keyHasBackslash)) return ch;
  return undefined;
}

function childByIndex(node: TrieNode, index: number): TrieNode | undefined {
  if (node.byIndex) return node.byIndex.get(index);
  for (const ch of node.children) if (ch.index === index) return ch;
  return undefined;
}

/**
 * The ranges of many paths in one pass over `text` (one valid JSON value, any whitespace): the
 * value at each path, or its key with `part: 'key'`; null where a path does not exist. With
 * duplicate keys the last one counts, as in `JSON.parse`.
 *
 * One pass, because a path has to be followed into the first occurrence of a key and the rest of
 * the object still read for a later duplicate: skipping a value to look for duplicates and then
 * descending into it would make 100,000 nested objects quadratic.
 */
export function locateJsonPaths(text: string, paths: readonly JsonPath[], part: JsonPart = 'value'): (JsonRange | null)[] {
  const out: (JsonRange | null)[] = new Array<JsonRange | null>(paths.length).fill(null);
  if (paths.length === 0) return out;
  const root = buildTrie(paths);
  // Frames only for containers on some path, so the stack is as deep as the longest path.
  const nodes: TrieNode[] = [];
  const starts: number[] = [];
  const isObject: boolean[] = [];
  const counts: number[] = [];

  const setValue = (node: TrieNode, from: number, to: number): void => {
    for (const p of node.ends) if (part === 'value' || out[p] === null) out[p] = { offset: from, length: to - from };
  };
  /** Enters the value at `i` for `node`: the offset after it, or just inside it when it is followed. */
  const visit = (node: TrieNode, i: number, ks: number, ke: number): number => {
    if (node.seen) for (const p of node.below) out[p] = null;
    node.seen = true;
    if (part === 'key' && ks >= 0) for (const p of node.ends) out[p] = { offset: ks, length: ke - ks };
    const c = text.charCodeAt(i);
    if (node.children.length > 0 && (c === LBRACE || c === LBRACKET)) {
      nodes.push(node);
      starts.push(i);
      isObject.push(c === LBRACE);
      counts.push(0);
      return i + 1;
    }
    const end = skipValue(text, i);
    if (end >= 0) setValue(node, i, end);
    return end;
  };

  let i = visit(root, start(text), -1, -1);
  while (nodes.length > 0 && i >= 0) {
    const top = nodes.length - 1;
    const node = nodes[top];
    i = skipWs(text, i);
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === RBRACE || c === RBRACKET) {
      i++;
      setValue(node, starts[top], i);
      nodes.pop();
      starts.pop();
      isObject.pop();
      counts.pop();
      continue;
    }
    let child: TrieNode | undefined;
    let ks = -1;
    let ke = -1;
    if (isObject[top]) {
      if (c !== QUOTE) break;
      ks = i;
      ke = skipString(text, i);
      if (ke < 0) break;
      i = skipWs(text, ke);
      if (text.charCodeAt(i) !== COLON) break;
      i = skipWs(text, i + 1);
      child = childByKey(node, text, ks, ke);
    } else {
      child = childByIndex(node, counts[top]++);
    }
    i = child ? visit(child, i, ks, ke) : skipValue(text, i);
  }
  // Malformed text: drop what was found inside containers that never closed.
  for (const node of nodes) for (const p of node.below) out[p] = null;
  return out;
}

/**
 * The range of the value at `path` in `text` (one valid JSON value, any whitespace), or of its key
 * with `part: 'key'`. Null when the path does not exist. With duplicate keys the last one counts,
 * as in `JSON.parse`.
 */
export function locateJsonPath(text: string, path: JsonPath, part: JsonPart = 'value'): JsonRange | null {
  const depth = path.length;
  let i = start(text);
  if (depth === 0) {
    const end = skipValue(text, i);
    return end < 0 ? null : { offset: i, length: end - i };
  }
  // Level L is the container holding path[L]; `counts[L]` is the next element index (arrays) or
  // -1 (objects). Only the deepest match is kept: a later duplicate at any level clears it.
  const counts = new Int32Array(depth);
  const indexes = new Int32Array(depth);
  const keys: string[] = [];
  const keyHasBackslash = new Uint8Array(depth);
  for (let d = 0; d < depth; d++) {
    const seg = path[d];
    keys.push(typeof seg === 'string' ? seg : String(seg));
    keyHasBackslash[d] = keys[d].includes('\\') ? 1 : 0;
    indexes[d] = asIndex(seg);
  }
  let level = 0;
  let found: JsonRange | null = null;
  const enter = (at: number): boolean => {
    const c = text.charCodeAt(at);
    if (c === LBRACE) counts[level] = -1;
    else if (c === LBRACKET) counts[level] = 0;
    else return false;
    return true;
  };
  if (!enter(i)) return null;
  i++;
  for (;;) {
    i = skipWs(text, i);
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === RBRACE || c === RBRACKET) {
      i++;
      if (level === 0) return found;
      level--;
      continue;
    }
    let match: boolean;
    let ks = -1;
    let ke = -1;
    if (counts[level] < 0) {
      if (c !== QUOTE) return null;
      ks = i;
      ke = skipString(text, i);
      if (ke < 0) return null;
      i = skipWs(text, ke);
      if (text.charCodeAt(i) !== COLON) return null;
      i = skipWs(text, i + 1);
      match = keyEquals(text, ks, ke, keys[level], keyHasBackslash[level] === 1);
    } else {
      match = counts[level]++ === indexes[level];
    }
    if (!match) {
      i = skipValue(text, i);
      if (i < 0) return null;
      continue;
    }
    found = null;
    if (level === depth - 1) {
      const end = skipValue(text, i);
      if (end < 0) return null;
      found = part === 'key' && ks >= 0 ? { offset: ks, length: ke - ks } : { offset: i, length: end - i };
      i = end;
    } else {
      level++;
      if (enter(i)) {
        i++;
      } else {
        level--;
        i = skipValue(text, i);
        if (i < 0) return null;
      }
    }
  }
}
