/**
 * A small, fast JSON Schema validator for the schemas people write for tools and structured output
 * (OpenAI function `parameters`, pydantic-generated models, OpenAPI-style `nullable`).
 *
 * A schema is compiled once into a tree of plain nodes and cached by its JSON text. Checking a value
 * that conforms allocates nothing; only a value that fails is walked again to say where and why.
 * Supported: type (names, arrays of names, integer), nullable, enum, const, properties, required,
 * additionalProperties (boolean or schema), patternProperties, min/maxProperties, items (schema or
 * tuple), prefixItems, min/maxItems, uniqueItems, min/maxLength, pattern, minimum/maximum,
 * exclusiveMinimum/exclusiveMaximum (draft 4 booleans too), multipleOf, anyOf/oneOf/allOf/not, local
 * `$ref` (`#/...`), boolean schemas, and `format` date / date-time / email. Other keywords are ignored.
 */

export type SchemaPath = (string | number)[];

export interface SchemaViolation {
  /** Where in the validated value (object keys and array indexes). */
  path: SchemaPath;
  /** A sentence naming the place, e.g. `"priority" must be one of low, medium, high (got "urgent")`. */
  message: string;
}

export interface ValidateOptions {
  /** Most violations returned (default 10). */
  max?: number;
  /** What the root value is called in messages (default `the value`). */
  root?: string;
}

// A value's type as bits: an integer carries INTEGER and NUMBER, so `number` accepts it.
const NULL = 1;
const BOOLEAN = 2;
const INTEGER = 4;
const NUMBER = 8;
const STRING = 16;
const ARRAY = 32;
const OBJECT = 64;

const typeBitsByName: Readonly<Record<string, number>> = { null: NULL, boolean: BOOLEAN, integer: INTEGER, number: NUMBER, string: STRING, array: ARRAY, object: OBJECT };
const typeWords: readonly [number, string][] = [
  [OBJECT, 'an object'],
  [ARRAY, 'an array'],
  [STRING, 'a string'],
  [INTEGER, 'an integer'],
  [NUMBER, 'a number'],
  [BOOLEAN, 'a boolean'],
  [NULL, 'null'],
];

function typeBits(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return STRING;
    case 'number':
      return Number.isInteger(v) ? INTEGER | NUMBER : NUMBER;
    case 'boolean':
      return BOOLEAN;
    case 'object':
      return v === null ? NULL : Array.isArray(v) ? ARRAY : OBJECT;
    default:
      return 0;
  }
}

const enum Format {
  None,
  Date,
  DateTime,
  Email,
}

interface PatternProperty {
  re: RegExp;
  node: Node;
}

/** One compiled (sub)schema; absent keywords hold null / NaN so checks are plain comparisons. */
interface Node {
  /** A boolean schema (`true` accepts anything, `false` nothing); null for an object schema. */
  always: boolean | null;
  /** Allowed types as bits; 0 = any. */
  types: number;
  nullable: boolean;
  enumValues: unknown[] | null;
  /** Primitive-only enums, looked up without a walk. */
  enumSet: Set<unknown> | null;
  hasConst: boolean;
  constValue: unknown;
  properties: Map<string, Node> | null;
  patternProps: PatternProperty[] | null;
  /** false: no other properties; a node: they must match it; null: anything. */
  additional: Node | false | null;
  required: string[] | null;
  minProperties: number;
  maxProperties: number;
  items: Node | null;
  tuple: Node[] | null;
  minItems: number;
  maxItems: number;
  uniqueItems: boolean;
  minLength: number;
  maxLength: number;
  pattern: RegExp | null;
  format: Format;
  minimum: number;
  maximum: number;
  exclusiveMinimum: number;
  exclusiveMaximum: number;
  multipleOf: number;
  allOf: Node[] | null;
  anyOf: Node[] | null;
  oneOf: Node[] | null;
  not: Node | null;
}

function blankNode(): Node {
  return {
    always: null,
    types: 0,
    nullable: false,
    enumValues: null,
    enumSet: null,
    hasConst: false,
    constValue: undefined,
    properties: null,
    patternProps: null,
    additional: null,
    required: null,
    minProperties: 0,
    maxProperties: Infinity,
    items: null,
    tuple: null,
    minItems: 0,
    maxItems: Infinity,
    uniqueItems: false,
    minLength: 0,
    maxLength: Infinity,
    pattern: null,
    format: Format.None,
    minimum: NaN,
    maximum: NaN,
    exclusiveMinimum: NaN,
    exclusiveMaximum: NaN,
    multipleOf: NaN,
    allOf: null,
    anyOf: null,
    oneOf: null,
    not: null,
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

function regex(source: unknown): RegExp | null {
  if (typeof source !== 'string') return null;
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      // Patterns written for non-unicode engines (`\-`, `\_`) are common; accept them as such.
      return new RegExp(source);
    } catch {
      return null;
    }
  }
}

/** Compiles schemas of one document; `$ref`s resolve against its root, cycles through `byObject`. */
class Compiler {
  private readonly byObject = new Map<object, Node>();
  private depth = 0;

  constructor(private readonly root: unknown) {}

  compile(schema: unknown): Node {
    // Past MAX_DEPTH a subschema accepts anything, as `check` does for values.
    if (this.depth >= MAX_DEPTH) return blankNode();
    this.depth++;
    const n = this.compileNode(schema);
    this.depth--;
    return n;
  }

  private compileNode(schema: unknown): Node {
    if (typeof schema === 'boolean') {
      const n = blankNode();
      n.always = schema;
      return n;
    }
    if (!isPlainObject(schema)) return blankNode();
    const seen = this.byObject.get(schema);
    if (seen) return seen;
    const n = blankNode();
    this.byObject.set(schema, n);
    const s = schema;

    const type = s.type;
    if (typeof type === 'string') n.types = typeBitsByName[type] ?? 0;
    else if (Array.isArray(type)) {
      for (const t of type) if (typeof t === 'string') n.types |= typeBitsByName[t] ?? 0;
    }
    if (s.nullable === true) n.nullable = true;
    if (Array.isArray(s.enum)) {
      n.enumValues = s.enum;
      if (s.enum.every((e) => e === null || typeof e !== 'object')) n.enumSet = new Set(s.enum);
    }
    if ('const' in s) {
      n.hasConst = true;
      n.constValue = s.const;
    }

    if (isPlainObject(s.properties)) {
      n.properties = new Map();
      for (const k of Object.keys(s.properties)) n.properties.set(k, this.compile(s.properties[k]));
    }
    if (isPlainObject(s.patternProperties)) {
      n.patternProps = [];
      for (const k of Object.keys(s.patternProperties)) {
        const re = regex(k);
        if (re) n.patternProps.push({ re, node: this.compile(s.patternProperties[k]) });
      }
    }
    if (s.additionalProperties === false) n.additional = false;
    else if (isPlainObject(s.additionalProperties)) n.additional = this.compile(s.additionalProperties);
    if (Array.isArray(s.required)) n.required = s.required.filter((r): r is string => typeof r === 'string');
    n.minProperties = num(s.minProperties, 0);
    n.maxProperties = num(s.maxProperties, Infinity);

    if (Array.isArray(s.prefixItems)) {
      n.tuple = s.prefixItems.map((x) => this.compile(x));
      if (s.items !== undefined && !Array.isArray(s.items)) n.items = this.compile(s.items);
    } else if (Array.isArray(s.items)) {
      n.tuple = s.items.map((x) => this.compile(x));
      if (s.additionalItems !== undefined) n.items = this.compile(s.additionalItems);
    } else if (s.items !== undefined) n.items = this.compile(s.items);
    n.minItems = num(s.minItems, 0);
    n.maxItems = num(s.maxItems, Infinity);
    n.uniqueItems = s.uniqueItems === true;

    n.minLength = num(s.minLength, 0);
    n.maxLength = num(s.maxLength, Infinity);
    n.pattern = regex(s.pattern);
    n.format = s.format === 'date' ? Format.Date : s.format === 'date-time' ? Format.DateTime : s.format === 'email' ? Format.Email : Format.None;

    n.minimum = num(s.minimum, NaN);
    n.maximum = num(s.maximum, NaN);
    // Draft 4 spells exclusivity as a boolean next to minimum / maximum.
    if (s.exclusiveMinimum === true) [n.exclusiveMinimum, n.minimum] = [n.minimum, NaN];
    else n.exclusiveMinimum = num(s.exclusiveMinimum, NaN);
    if (s.exclusiveMaximum === true) [n.exclusiveMaximum, n.maximum] = [n.maximum, NaN];
    else n.exclusiveMaximum = num(s.exclusiveMaximum, NaN);
    n.multipleOf = num(s.multipleOf, NaN) > 0 ? (s.multipleOf as number) : NaN;

    const list = (v: unknown): Node[] | null => (Array.isArray(v) && v.length > 0 ? v.map((x) => this.compile(x)) : null);
    n.allOf = list(s.allOf);
    n.anyOf = list(s.anyOf);
    n.oneOf = list(s.oneOf);
    if (s.not !== undefined) n.not = this.compile(s.not);
    if (typeof s.$ref === 'string') {
      const target = this.resolve(s.$ref);
      // Siblings of $ref apply too (2019-09 and later; older drafts ignored them, which only ever hid errors).
      if (target !== undefined) (n.allOf ??= []).push(this.compile(target));
    }
    return n;
  }

  /** A local JSON pointer (`#`, `#/$defs/Task`); undefined for remote or broken references. */
  private resolve(ref: string): unknown {
    if (!ref.startsWith('#')) return undefined;
    let cur: unknown = this.root;
    let pointer: string;
    try {
      pointer = decodeURIComponent(ref.slice(1));
    } catch {
      return undefined;
    }
    if (pointer === '') return cur;
    if (!pointer.startsWith('/')) return undefined;
    for (const raw of pointer.slice(1).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(cur)) cur = cur[Number(key)];
      else if (isPlainObject(cur) && Object.hasOwn(cur, key)) cur = cur[key];
      else return undefined;
    }
    return cur;
  }
}

// ---------------------------------------------------------------------------------------------------
// Checking. One walk serves both modes: `ex` null answers valid / not at the first failure and
// allocates nothing; with `ex` it records every violation (up to a limit) with its path.

interface Explain {
  path: SchemaPath;
  out: SchemaViolation[];
  max: number;
  root: string;
}

/** Equality of JSON values (key order aside); values nested deeper than MAX_DEPTH count as different. */
function deepEqual(a: unknown, b: unknown, level = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || level >= MAX_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], level + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let n = 0;
  // No own-key check: a key missing from `bo` reads undefined or an inherited function, and
  // neither equals a JSON value.
  for (const k in ao) {
    if (!deepEqual(ao[k], bo[k], level + 1)) return false;
    n++;
  }
  for (const _ in bo) n--;
  return n === 0;
}

function includesEqual(values: readonly unknown[], v: unknown): boolean {
  for (const e of values) if (deepEqual(e, v)) return true;
  return false;
}

function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const EMAIL_RE = /^[^\s@"(),:;<>[\]\\]+@[^\s@"(),:;<>[\]\\]+\.[^\s@"(),:;<>[\]\\]+$/;

function validDate(y: string, m: string, d: string): boolean {
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) return false;
  const year = Number(y);
  return !(month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)));
}

function formatOk(f: Format, s: string): boolean {
  switch (f) {
    case Format.Date: {
      const m = DATE_RE.exec(s);
      return m !== null && validDate(m[1], m[2], m[3]);
    }
    case Format.DateTime: {
      const m = DATE_TIME_RE.exec(s);
      return m !== null && validDate(m[1], m[2], m[3]) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 61;
    }
    case Format.Email:
      return EMAIL_RE.test(s);
    default:
      return true;
  }
}

const formatWords = ['', 'a date (YYYY-MM-DD)', 'a date-time (RFC 3339, e.g. 2025-06-16T09:00:00Z)', 'an email address'];

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** `"recurrence.days_of_week[0]"`, or the root's name. */
export function describePath(path: SchemaPath, root = 'the value'): string {
  if (path.length === 0) return root;
  let s = '';
  for (const p of path) {
    if (typeof p === 'number') s += `[${p}]`;
    else if (IDENT.test(p)) s += s ? `.${p}` : p;
    else s += `[${JSON.stringify(p)}]`;
  }
  return `"${s.replace(/"/g, '\\"')}"`;
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    return typeWord(typeBits(v));
  }
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

function typeWord(bits: number): string {
  for (const [b, w] of typeWords) if (bits & b) return w;
  return 'a value';
}

function expectedTypes(n: Node): string {
  let bits = n.types | (n.nullable ? NULL : 0);
  // `number` covers integers: do not list both.
  if (bits & NUMBER) bits &= ~INTEGER;
  const words = typeWords.filter(([b]) => bits & b).map(([, w]) => w);
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function enumWords(values: readonly unknown[]): string {
  const shown = values.slice(0, 12).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.join(', ') + (values.length > 12 ? `, … (${values.length} values)` : '');
}

/** Edit distance counting a swap of neighbours as one edit (typos); returns max + 1 once it must exceed max. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate closest to `name` (case-insensitive, at most one edit per three letters), or null. */
export function closestName(name: string, candidates: Iterable<string>): string | null {
  const lower = name.toLowerCase();
  const max = Math.max(1, Math.floor(name.length / 3));
  let best: string | null = null;
  let bestD = max + 1;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase(), max);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

/** How messages name the current place (`key` appended): `"recurrence.frequency"`. */
function at(ex: Explain, key?: string | number): string {
  if (key === undefined) return describePath(ex.path, ex.root);
  ex.path.push(key);
  const s = describePath(ex.path, ex.root);
  ex.path.pop();
  return s;
}

/**
 * Records a violation at `ex.path` (+ `key`); returns false so callers can `return fail(...)`.
 * Messages are built by the caller only once `ex` is known to be set: closures here would make V8
 * allocate a context on every call of the hot path.
 */
function fail(ex: Explain, message: string, key?: string | number): false {
  if (ex.out.length >= ex.max) return false;
  ex.out.push({ path: key === undefined ? ex.path.slice() : [...ex.path, key], message });
  return false;
}

/**
 * Nesting a check follows at most. Real schemas nest a few levels; a recursive `$ref` with a value
 * nested 100,000 deep (or a `$ref` to itself) would overflow the stack, so past this depth a value
 * is accepted as is.
 */
const MAX_DEPTH = 256;
let depth = 0;

function check(n: Node, v: unknown, ex: Explain | null): boolean {
  if (depth >= MAX_DEPTH) return true;
  depth++;
  const ok = checkNode(n, v, ex);
  depth--;
  return ok;
}

function checkNode(n: Node, v: unknown, ex: Explain | null): boolean {
  if (n.always !== null) return n.always || (ex !== null && fail(ex, `${at(ex)} is not allowed here`));
  if (v === null && n.nullable) return true;
  const bits = typeBits(v);
  if (n.types !== 0 && (n.types & bits) === 0 && !(v === null && n.nullable)) {
    return ex !== null && fail(ex, `${at(ex)} must be ${expectedTypes(n)} (got ${typeWord(bits)}${bits & (OBJECT | ARRAY) ? '' : ` ${preview(v)}`})`);
  }
  let ok = true;
  if (n.enumValues !== null) {
    const found = n.enumSet !== null ? n.enumSet.has(v) : includesEqual(n.enumValues, v);
    if (!found) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must be one of ${enumWords(n.enumValues)} (got ${preview(v)})`);
    }
  }
  if (n.hasConst && !deepEqual(n.constValue, v)) {
    if (ex === null) return false;
    ok = fail(ex, `${at(ex)} must be ${preview(n.constValue)} (got ${preview(v)})`);
  }

  if (bits === STRING) {
    const s = v as string;
    if (n.minLength > 0 || n.maxLength !== Infinity) {
      let len = s.length;
      // Lengths count code points; UTF-16 units only overcount, so count exactly only near a bound.
      if (len > n.maxLength || len < 2 * n.minLength) len = codePoints(s);
      if (len < n.minLength) {
        if (ex === null) return false;
        ok = fail(ex, n.minLength === 1 ? `${at(ex)} must not be empty` : `${at(ex)} must be at least ${n.minLength} characters long (got ${len})`);
      } else if (len > n.maxLength) {
        if (ex === null) return false;
        ok = fail(ex, `${at(ex)} must be at most ${n.maxLength} characters long (got ${len})`);
      }
    }
    if (n.pattern !== null && !n.pattern.test(s)) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must match the pattern ${n.pattern.source} (got ${preview(s)})`);
    }
    if (n.format !== Format.None && !formatOk(n.format, s)) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must be ${formatWords[n.format]} (got ${preview(s)})`);
    }
  } else if (bits & NUMBER) {
    const x = v as number;
    let bad: string | null = null;
    if (x < n.minimum) bad = `>= ${n.minimum}`;
    else if (x > n.maximum) bad = `<= ${n.maximum}`;
    else if (x <= n.exclusiveMinimum) bad = `> ${n.exclusiveMinimum}`;
    else if (x >= n.exclusiveMaximum) bad = `< ${n.exclusiveMaximum}`;
    else if (n.multipleOf === n.multipleOf) {
      const q = x / n.multipleOf;
      if (Math.abs(q - Math.round(q)) > 1e-9) bad = `a multiple of ${n.multipleOf}`;
    }
    if (bad !== null) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must be ${bad} (got ${x})`);
    }
  } else if (bits === OBJECT) {
    if (!checkObject(n, v as Record<string, unknown>, ex)) {
      if (ex === null) return false;
      ok = false;
    }
  } else if (bits === ARRAY) {
    if (!checkArray(n, v as unknown[], ex)) {
      if (ex === null) return false;
      ok = false;
    }
  }

  if (n.allOf !== null) {
    for (const sub of n.allOf) {
      if (!check(sub, v, ex)) {
        if (ex === null) return false;
        ok = false;
      }
    }
  }
  if (n.anyOf !== null && !checkAnyOf(n.anyOf, v, ex)) {
    if (ex === null) return false;
    ok = false;
  }
  if (n.oneOf !== null && !checkOneOf(n.oneOf, v, ex)) {
    if (ex === null) return false;
    ok = false;
  }
  if (n.not !== null && check(n.not, v, null)) {
    if (ex === null) return false;
    ok = fail(ex, `${at(ex)} must not match the schema under "not"`);
  }
  return ok;
}

function checkObject(n: Node, o: Record<string, unknown>, ex: Explain | null): boolean {
  let ok = true;
  if (n.required !== null) {
    for (const r of n.required) {
      if (!Object.hasOwn(o, r)) {
        if (ex === null) return false;
        ok = fail(ex, `missing required property ${at(ex, r)}`, r);
      }
    }
  }
  const props = n.properties;
  const patterns = n.patternProps;
  const additional = n.additional;
  const countKeys = n.minProperties > 0 || n.maxProperties !== Infinity;
  if (props !== null || patterns !== null || additional !== null || countKeys) {
    let count = 0;
    for (const k in o) {
      count++;
      const child = props?.get(k);
      if (child !== undefined) {
        if (ex !== null) ex.path.push(k);
        const good = check(child, o[k], ex);
        if (ex !== null) ex.path.pop();
        if (!good) {
          if (ex === null) return false;
          ok = false;
        }
        continue;
      }
      let matched = false;
      if (patterns !== null) {
        for (const p of patterns) {
          if (!p.re.test(k)) continue;
          matched = true;
          if (ex !== null) ex.path.push(k);
          const good = check(p.node, o[k], ex);
          if (ex !== null) ex.path.pop();
          if (!good) {
            if (ex === null) return false;
            ok = false;
          }
        }
      }
      if (matched || additional === null) continue;
      if (additional === false) {
        if (ex === null) return false;
        const hint = props ? closestName(k, props.keys()) : null;
        ok = fail(ex, `unexpected property ${at(ex, k)}${hint ? ` (did you mean "${hint}"?)` : ''}`, k);
      } else {
        if (ex !== null) ex.path.push(k);
        const good = check(additional, o[k], ex);
        if (ex !== null) ex.path.pop();
        if (!good) {
          if (ex === null) return false;
          ok = false;
        }
      }
    }
    if (count < n.minProperties) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must have at least ${n.minProperties} properties (got ${count})`);
    } else if (count > n.maxProperties) {
      if (ex === null) return false;
      ok = fail(ex, `${at(ex)} must have at most ${n.maxProperties} properties (got ${count})`);
    }
  }
  return ok;
}

function checkArray(n: Node, a: unknown[], ex: Explain | null): boolean {
  let ok = true;
  if (a.length < n.minItems) {
    if (ex === null) return false;
    ok = fail(ex, `${at(ex)} must have at least ${n.minItems} item${n.minItems === 1 ? '' : 's'} (got ${a.length})`);
  } else if (a.length > n.maxItems) {
    if (ex === null) return false;
    ok = fail(ex, `${at(ex)} must have at most ${n.maxItems} item${n.maxItems === 1 ? '' : 's'} (got ${a.length})`);
  }
  const tuple = n.tuple;
  const items = n.items;
  if (tuple !== null || items !== null) {
    for (let i = 0; i < a.length; i++) {
      const node = tuple !== null && i < tuple.length ? tuple[i] : items;
      if (node === null) break;
      if (ex !== null) ex.path.push(i);
      const good = check(node, a[i], ex);
      if (ex !== null) ex.path.pop();
      if (!good) {
        if (ex === null) return false;
        ok = false;
      }
    }
  }
  if (n.uniqueItems) {
    for (let i = 1; i < a.length; i++) {
      for (let j = 0; j < i; j++) {
        if (!deepEqual(a[i], a[j])) continue;
        if (ex === null) return false;
        return fail(ex, `${at(ex)} must not repeat items (items ${j} and ${i} are equal)`);
      }
    }
  }
  return ok;
}

function checkAnyOf(options: Node[], v: unknown, ex: Explain | null): boolean {
  for (const o of options) if (check(o, v, null)) return true;
  if (ex === null) return false;
  explainNoMatch(options, v, ex);
  return false;
}

function checkOneOf(options: Node[], v: unknown, ex: Explain | null): boolean {
  let matches = 0;
  for (const o of options) if (check(o, v, null) && ++matches > 1) break;
  if (matches === 1) return true;
  if (ex === null) return false;
  if (matches > 1) return fail(ex, `${at(ex)} matches more than one of the allowed shapes (oneOf)`);
  explainNoMatch(options, v, ex);
  return false;
}

/**
 * No branch matched: when exactly one branch accepts the value's type, its own violations say the
 * most (a `{"type": "object", ...}` next to `{"type": "null"}`); otherwise name the types allowed.
 */
function explainNoMatch(options: Node[], v: unknown, ex: Explain): void {
  const bits = typeBits(v);
  const sameType = options.filter((o) => o.always === null && (o.types === 0 || (o.types & bits) !== 0));
  if (sameType.length === 1) {
    check(sameType[0], v, ex);
    return;
  }
  let all = 0;
  for (const o of options) all |= o.types | (o.nullable ? NULL : 0);
  if (sameType.length === 0 && all !== 0) {
    const shape = blankNode();
    shape.types = all;
    fail(ex, `${at(ex)} must be ${expectedTypes(shape)} (got ${typeWord(bits)})`);
  } else fail(ex, `${at(ex)} does not match any of the allowed shapes (got ${preview(v)})`);
}

/** A compiled schema: `isValid` for the common case, `validate` to explain a failure. */
export class CompiledSchema {
  private readonly node: Node;

  constructor(schema: unknown) {
    this.node = new Compiler(schema).compile(schema);
  }

  /** True when `value` conforms; allocates nothing. */
  isValid(value: unknown): boolean {
    return check(this.node, value, null);
  }

  /** Every violation (up to `max`), empty when `value` conforms. */
  validate(value: unknown, options: ValidateOptions = {}): SchemaViolation[] {
    if (check(this.node, value, null)) return [];
    const ex: Explain = { path: [], out: [], max: options.max ?? 10, root: options.root ?? 'the value' };
    check(this.node, value, ex);
    return ex.out;
  }
}

/** Distinct schemas kept compiled; a dataset has a handful, so eviction only guards odd files. */
const MAX_CACHED = 256;
const byText = new Map<string, CompiledSchema>();

/** Schemas seen lately under a hint, compared by value: cheaper than re-serialising each one. */
const MAX_PER_HINT = 4;
const byHint = new Map<string, { schema: unknown; compiled: CompiledSchema }[]>();

/**
 * The compiled form of `schema`, cached by its JSON text (the oldest entry goes when the cache is
 * full). A dataset repeats the same tool declarations on every record, each a fresh parsed object:
 * with a `hint` (a function name), a value comparison with the few schemas last seen under that
 * hint answers without serialising the schema again.
 */
export function compileSchema(schema: unknown, hint?: string): CompiledSchema {
  const recent = hint === undefined ? undefined : byHint.get(hint);
  if (recent !== undefined) {
    for (let k = 0; k < recent.length; k++) if (deepEqual(recent[k].schema, schema)) return recent[k].compiled;
  }
  let key: string;
  try {
    key = JSON.stringify(schema) ?? 'undefined';
  } catch {
    // Too deeply nested to serialise: compile it, uncached.
    return new CompiledSchema(schema);
  }
  let c = byText.get(key);
  if (c === undefined) {
    c = new CompiledSchema(schema);
    if (byText.size >= MAX_CACHED) byText.delete(byText.keys().next().value as string);
    byText.set(key, c);
  }
  if (hint !== undefined) {
    if (recent === undefined) {
      if (byHint.size >= MAX_CACHED) byHint.delete(byHint.keys().next().value as string);
      byHint.set(hint, [{ schema, compiled: c }]);
    } else {
      if (recent.length >= MAX_PER_HINT) recent.pop();
      recent.unshift({ schema, compiled: c });
    }
  }
  return c;
}
