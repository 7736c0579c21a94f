/**
 * A small, fast JSON Schema validator for the schemas people write for tools and structured output
 * (OpenAI function `parameters`, pydantic-generated models, OpenAPI-style `nullable`).
 *
 * A schema is compiled once into a tree of plain nodes and cached by its JSON text. A schema in
 * steady use also gets a generated `isValid` of its own (see "Code generation"). Checking a value
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

// ---------------------------------------------------------------------------------------------------
// Code generation. `isValid` runs on every record of a dataset, and the tree walk pays for every
// keyword a node lacks, a Map lookup per property and a call per subschema. As ajv does, each
// schema gets a function of its own: only the checks it has, property names as constants,
// subschemas inlined, and a oneOf of objects told apart by a constant property (`role`) jumps to
// its one candidate branch instead of trying them all. Values are taken to be JSON values (what
// JSON.parse returns): a property is read directly, and own-ness is asked only when it reads
// undefined. The walk above still explains failures.

/** Names Object.prototype holds: reading them on a JSON object finds inherited values. */
const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A subschema nests this deep in one function at most before it gets a function of its own. */
const MAX_INLINE = 24;
/** Past this much source, a schema keeps the tree walk. */
const MAX_SOURCE = 1 << 20;

function childrenOf(n: Node): Node[] {
  const out: Node[] = [];
  if (n.properties !== null) for (const c of n.properties.values()) out.push(c);
  if (n.patternProps !== null) for (const p of n.patternProps) out.push(p.node);
  if (n.additional !== null && n.additional !== false) out.push(n.additional);
  if (n.items !== null) out.push(n.items);
  if (n.tuple !== null) out.push(...n.tuple);
  if (n.allOf !== null) out.push(...n.allOf);
  if (n.anyOf !== null) out.push(...n.anyOf);
  if (n.oneOf !== null) out.push(...n.oneOf);
  if (n.not !== null) out.push(n.not);
  return out;
}

/** A JS literal for a primitive `===` can compare with, or null (objects, NaN, undefined, ...). */
function literal(v: unknown): string | null {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  if (typeof v === 'number' && v === v) return Object.is(v, -0) ? '-0' : String(v);
  return null;
}

/** A number as JS source (Infinity included). */
const numberSource = (x: number): string => (x === Infinity ? 'Infinity' : x === -Infinity ? '-Infinity' : Object.is(x, -0) ? '-0' : String(x));

class Generator {
  private readonly refs = new Map<Node, number>();
  private readonly fnIds = new Map<Node, number>();
  private readonly bodies: string[] = [];
  private readonly queue: Node[] = [];
  readonly consts: unknown[] = [];
  private readonly trivialMemo = new Map<Node, boolean>();
  private names = 0;
  private size = 0;
  /** A schema that refers to itself (or nests too deep) counts depth as `check` does. */
  readonly depthMode: boolean;

  constructor(root: Node) {
    // Reference counts, cycle and longest-path detection in one depth-first walk.
    const state = new Map<Node, number>(); // 1: on the stack, 2: done
    const longest = new Map<Node, number>();
    let cyclic = false;
    const visit = (n: Node, level: number): number => {
      if (level > 2000) throw new Error('schema too deep to generate');
      this.refs.set(n, (this.refs.get(n) ?? 0) + 1);
      const st = state.get(n);
      if (st === 1) {
        cyclic = true;
        return 0;
      }
      if (st === 2) return longest.get(n)!;
      state.set(n, 1);
      let len = 0;
      for (const c of childrenOf(n)) len = Math.max(len, visit(c, level + 1) + 1);
      state.set(n, 2);
      longest.set(n, len);
      return len;
    };
    const depth = visit(root, 0);
    this.depthMode = cyclic || depth >= MAX_DEPTH;
  }

  source(root: Node): string {
    this.fnOf(root);
    while (this.queue.length) {
      const n = this.queue.shift()!;
      const id = this.fnIds.get(n)!;
      const guard = this.depthMode ? `if (d >= ${MAX_DEPTH}) return true;\n` : '';
      const body = `function f${id}(v${this.depthMode ? ', d' : ''}) {\n${guard}${this.node(n, 'v', 'return false;', 0)}return true;\n}\n`;
      this.size += body.length;
      if (this.size > MAX_SOURCE) throw new Error('schema too large to generate');
      this.bodies.push(body);
    }
    const consts = this.consts.map((_, i) => `const c${i} = C[${i}];\n`).join('');
    const entry = this.depthMode ? 'return (v) => f0(v, 0);' : 'return f0;';
    return `'use strict';\nconst { hasOwn, deepEqual, includesEqual, codePoints, formatOk, uniqueOk } = H;\n${consts}${this.bodies.join('')}${entry}`;
  }

  private fnOf(n: Node): number {
    let id = this.fnIds.get(n);
    if (id === undefined) {
      id = this.fnIds.size;
      this.fnIds.set(n, id);
      this.queue.push(n);
    }
    return id;
  }

  private konst(v: unknown): string {
    this.consts.push(v);
    return `c${this.consts.length - 1}`;
  }

  private name(prefix: string): string {
    return `${prefix}${this.names++}`;
  }

  /** Accepts every value: nothing to generate. */
  private trivial(n: Node): boolean {
    if (n.always !== null) return n.always;
    const memo = this.trivialMemo.get(n);
    if (memo !== undefined) return memo;
    this.trivialMemo.set(n, false); // a cycle back here is not trivial
    const t =
      n.types === 0 &&
      n.enumValues === null &&
      !n.hasConst &&
      n.properties === null &&
      n.patternProps === null &&
      n.additional === null &&
      n.required === null &&
      n.minProperties <= 0 &&
      n.maxProperties === Infinity &&
      n.items === null &&
      n.tuple === null &&
      n.minItems <= 0 &&
      n.maxItems === Infinity &&
      !n.uniqueItems &&
      n.minLength <= 0 &&
      n.maxLength === Infinity &&
      n.pattern === null &&
      n.format === Format.None &&
      n.minimum !== n.minimum &&
      n.maximum !== n.maximum &&
      n.exclusiveMinimum !== n.exclusiveMinimum &&
      n.exclusiveMaximum !== n.exclusiveMaximum &&
      n.multipleOf !== n.multipleOf &&
      (n.allOf === null || n.allOf.every((s) => this.trivial(s))) &&
      n.anyOf === null &&
      n.oneOf === null &&
      n.not === null;
    this.trivialMemo.set(n, t);
    return t;
  }

  /** Code that runs `fail` unless `v` matches `n` one level below the current node. */
  private sub(n: Node, v: string, fail: string, nest: number): string {
    if (this.trivial(n)) return '';
    if (this.depthMode || (this.refs.get(n) ?? 0) > 1 || nest >= MAX_INLINE) {
      return `if (!f${this.fnOf(n)}(${v}${this.depthMode ? ', d + 1' : ''})) ${fail}\n`;
    }
    return `{\n${this.node(n, v, fail, nest + 1)}}\n`;
  }

  /** Code that runs `fail` unless `v` matches `n`. */
  private node(n: Node, v: string, fail: string, nest: number): string {
    if (n.always !== null) return n.always ? '' : `${fail}\n`;
    if (this.trivial(n)) return '';
    let out = '';
    const t = n.types;
    // After the type check, what `v` is known to be (0: several types possible).
    let known = 0;
    if (t !== 0) {
      out += `if (!(${typeTest(t, v)})) ${fail}\n`;
      if ((t & ~(INTEGER | NUMBER)) === 0) known = NUMBER;
      else if (t === OBJECT || t === ARRAY || t === STRING) known = t;
    }
    if (n.enumValues !== null) {
      const lits = n.enumSet !== null && n.enumSet.size <= 8 ? [...n.enumSet].map(literal) : null;
      if (lits !== null && lits.every((l) => l !== null)) out += `if (!(${lits.map((l) => `${v} === ${l}`).join(' || ') || 'false'})) ${fail}\n`;
      else if (n.enumSet !== null) out += `if (!${this.konst(n.enumSet)}.has(${v})) ${fail}\n`;
      else out += `if (!includesEqual(${this.konst(n.enumValues)}, ${v})) ${fail}\n`;
    }
    if (n.hasConst) {
      const l = literal(n.constValue);
      out += l !== null ? `if (${v} !== ${l}) ${fail}\n` : `if (!deepEqual(${this.konst(n.constValue)}, ${v})) ${fail}\n`;
    }

    let s = '';
    if (n.minLength > 0 || n.maxLength !== Infinity) {
      const len = this.name('l');
      s += `let ${len} = ${v}.length;\nif (${len} > ${numberSource(n.maxLength)} || ${len} < ${numberSource(2 * n.minLength)}) ${len} = codePoints(${v});\n`;
      s += `if (${len} < ${numberSource(n.minLength)} || ${len} > ${numberSource(n.maxLength)}) ${fail}\n`;
    }
    if (n.pattern !== null) s += `if (!${this.konst(n.pattern)}.test(${v})) ${fail}\n`;
    if (n.format !== Format.None) s += `if (!formatOk(${n.format}, ${v})) ${fail}\n`;
    if (s) out += known === STRING ? s : `if (typeof ${v} === 'string') {\n${s}}\n`;

    s = '';
    if (n.minimum === n.minimum) s += `if (${v} < ${numberSource(n.minimum)}) ${fail}\n`;
    if (n.maximum === n.maximum) s += `if (${v} > ${numberSource(n.maximum)}) ${fail}\n`;
    if (n.exclusiveMinimum === n.exclusiveMinimum) s += `if (${v} <= ${numberSource(n.exclusiveMinimum)}) ${fail}\n`;
    if (n.exclusiveMaximum === n.exclusiveMaximum) s += `if (${v} >= ${numberSource(n.exclusiveMaximum)}) ${fail}\n`;
    if (n.multipleOf === n.multipleOf) {
      const q = this.name('q');
      s += `{ const ${q} = ${v} / ${numberSource(n.multipleOf)}; if (Math.abs(${q} - Math.round(${q})) > 1e-9) ${fail} }\n`;
    }
    if (s) out += known === NUMBER ? s : `if (typeof ${v} === 'number') {\n${s}}\n`;

    s = this.object(n, v, fail, nest);
    if (s) out += known === OBJECT ? s : `if (typeof ${v} === 'object' && ${v} !== null && !Array.isArray(${v})) {\n${s}}\n`;
    s = this.array(n, v, fail, nest);
    if (s) out += known === ARRAY ? s : `if (Array.isArray(${v})) {\n${s}}\n`;

    if (n.allOf !== null) for (const a of n.allOf) out += this.sub(a, v, fail, nest);
    if (n.anyOf !== null && !n.anyOf.some((o) => this.trivial(o))) out += this.choice(n.anyOf, false, v, fail, nest);
    if (n.oneOf !== null) out += this.choice(n.oneOf, true, v, fail, nest);
    if (n.not !== null) {
      const l = this.name('N');
      out += `${l}: {\n${this.sub(n.not, v, `break ${l};`, nest)}${fail}\n}\n`;
    }
    // `nullable` lets null through before any other keyword.
    return n.nullable && out ? `if (${v} !== null) {\n${out}}\n` : out;
  }

  private object(n: Node, v: string, fail: string, nest: number): string {
    let s = '';
    const props = n.properties;
    const required = new Set(n.required ?? []);
    if (props !== null) {
      for (const [key, child] of props) {
        const req = required.has(key);
        required.delete(key);
        const k = JSON.stringify(key);
        const undefOk = check(child, undefined, null);
        if (!req && undefOk && this.trivial(child)) continue;
        const x = this.name('x');
        const read = INHERITED.has(key) ? `(hasOwn(${v}, ${k}) ? ${v}[${k}] : undefined)` : `${v}[${k}]`;
        // Undefined: absent, or (not JSON) an own property holding undefined.
        const absent = req && !undefOk ? ` else ${fail}` : req ? ` else if (!hasOwn(${v}, ${k})) ${fail}` : !undefOk ? ` else if (hasOwn(${v}, ${k})) ${fail}` : '';
        s += `const ${x} = ${read};\nif (${x} !== undefined) {\n${this.sub(child, x, fail, nest)}}${absent}\n`;
      }
    }
    for (const r of required) s += `if (!hasOwn(${v}, ${JSON.stringify(r)})) ${fail}\n`;

    const additional = n.additional === null || (n.additional !== false && this.trivial(n.additional)) ? null : n.additional;
    const patterns = (n.patternProps ?? []).filter((p) => additional !== null || !this.trivial(p.node));
    const countKeys = n.minProperties > 0 || n.maxProperties !== Infinity;
    if (additional === null && patterns.length === 0 && !countKeys) return s;
    const k = this.name('k');
    const count = this.name('n');
    let loop = countKeys ? `${count}++;\n` : '';
    if (additional !== null || patterns.length) {
      if (props !== null && props.size) loop += `switch (${k}) {\n${[...props.keys()].map((p) => `case ${JSON.stringify(p)}:`).join('\n')}\ncontinue;\n}\n`;
      const y = this.name('y');
      if (additional !== false || patterns.length) loop += `const ${y} = ${v}[${k}];\n`;
      const matched = this.name('m');
      if (additional !== null && patterns.length) loop += `let ${matched} = false;\n`;
      for (const p of patterns) {
        const set = additional !== null ? `${matched} = true;\n` : '';
        loop += `if (${this.konst(p.re)}.test(${k})) {\n${set}${this.sub(p.node, y, fail, nest)}}\n`;
      }
      let rest = '';
      if (additional === false) rest = `${fail}\n`;
      else if (additional !== null) rest = this.sub(additional, y, fail, nest);
      if (rest) loop += patterns.length ? `if (!${matched}) {\n${rest}}\n` : rest;
    }
    s += countKeys ? `let ${count} = 0;\n` : '';
    s += `for (const ${k} in ${v}) {\n${loop}}\n`;
    if (countKeys) s += `if (${count} < ${numberSource(n.minProperties)} || ${count} > ${numberSource(n.maxProperties)}) ${fail}\n`;
    return s;
  }

  private array(n: Node, v: string, fail: string, nest: number): string {
    let s = '';
    if (n.minItems > 0) s += `if (${v}.length < ${numberSource(n.minItems)}) ${fail}\n`;
    if (n.maxItems !== Infinity) s += `if (${v}.length > ${numberSource(n.maxItems)}) ${fail}\n`;
    const tuple = n.tuple ?? [];
    tuple.forEach((t, i) => {
      const inner = this.sub(t, `${v}[${i}]`, fail, nest);
      if (inner) s += `if (${v}.length > ${i}) {\n${inner}}\n`;
    });
    if (n.items !== null && !this.trivial(n.items)) {
      const i = this.name('i');
      const x = this.name('x');
      s += `for (let ${i} = ${tuple.length}; ${i} < ${v}.length; ${i}++) {\nconst ${x} = ${v}[${i}];\n${this.sub(n.items, x, fail, nest)}}\n`;
    }
    if (n.uniqueItems) s += `if (!uniqueOk(${v})) ${fail}\n`;
    return s;
  }

  /**
   * anyOf / oneOf. Objects told apart by a constant property (`"role": {"const": "user"}`,
   * required) can only match the branch of their value: test that one alone.
   */
  private choice(options: Node[], one: boolean, v: string, fail: string, nest: number): string {
    const tag = this.discriminator(options);
    if (tag !== null) {
      const t = this.name('t');
      const k = JSON.stringify(tag.key);
      const read = INHERITED.has(tag.key) ? `(hasOwn(${v}, ${k}) ? ${v}[${k}] : undefined)` : `${v}[${k}]`;
      let s = `if (typeof ${v} !== 'object' || ${v} === null) ${fail}\nconst ${t} = ${read};\n`;
      options.forEach((o, i) => {
        s += `${i ? 'else ' : ''}if (${t} === ${tag.values[i]}) {\n${this.sub(o, v, fail, nest)}}\n`;
      });
      return `{\n${s}else ${fail}\n}\n`;
    }
    if (!one) {
      const done = this.name('A');
      let s = '';
      for (const o of options) {
        const b = this.name('B');
        s += `${b}: {\n${this.sub(o, v, `break ${b};`, nest)}break ${done};\n}\n`;
      }
      return `${done}: {\n${s}${fail}\n}\n`;
    }
    const m = this.name('m');
    let s = `let ${m} = 0;\n`;
    for (const o of options) {
      const b = this.name('B');
      s += `${b}: {\n${this.sub(o, v, `break ${b};`, nest)}${m}++;\n}\n`;
    }
    return `{\n${s}if (${m} !== 1) ${fail}\n}\n`;
  }

  /** A required property every option fixes to a different primitive constant, or null. */
  private discriminator(options: Node[]): { key: string; values: string[] } | null {
    if (options.length < 2) return null;
    const tags = options.map((o) => this.constTags(o, 0));
    for (const key of tags[0].keys()) {
      const values: string[] = [];
      for (const t of tags) {
        const l = t.get(key);
        if (l === undefined || values.includes(l)) break;
        values.push(l);
      }
      if (values.length === options.length) return { key, values };
    }
    return null;
  }

  /**
   * Properties a value must hold with a given primitive value to match `n`: required, typed
   * `object` only, and constant (here or in an allOf member, where a `$ref` lands).
   */
  private constTags(n: Node, level: number): Map<string, string> {
    const out = new Map<string, string>();
    if (n.always === null && n.types === OBJECT && !n.nullable && n.required !== null && n.properties !== null) {
      for (const r of n.required) {
        const p = n.properties.get(r);
        const l = p !== undefined && p.always === null && p.hasConst && !(p.nullable && p.constValue !== null) ? literal(p.constValue) : null;
        if (l !== null) out.set(r, l);
      }
    }
    if (n.allOf !== null && level < 4) {
      for (const a of n.allOf) for (const [k, l] of this.constTags(a, level + 1)) if (!out.has(k)) out.set(k, l);
    }
    return out;
  }
}

function typeTest(t: number, v: string): string {
  const parts: string[] = [];
  if (t & NUMBER) parts.push(`typeof ${v} === 'number'`);
  else if (t & INTEGER) parts.push(`Number.isInteger(${v})`);
  if (t & STRING) parts.push(`typeof ${v} === 'string'`);
  if (t & BOOLEAN) parts.push(`typeof ${v} === 'boolean'`);
  if (t & NULL) parts.push(`${v} === null`);
  if (t & OBJECT && t & ARRAY) parts.push(`(typeof ${v} === 'object' && ${v} !== null)`);
  else if (t & OBJECT) parts.push(`(typeof ${v} === 'object' && ${v} !== null && !Array.isArray(${v}))`);
  else if (t & ARRAY) parts.push(`Array.isArray(${v})`);
  return parts.join(' || ');
}

function uniqueOk(a: unknown[]): boolean {
  for (let i = 1; i < a.length; i++) for (let j = 0; j < i; j++) if (deepEqual(a[i], a[j])) return false;
  return true;
}

const helpers = { hasOwn: Object.hasOwn, deepEqual, includesEqual, codePoints, formatOk, uniqueOk };

/**
 * `x => deepEqual(value, x)` as straight-line code for one JSON value (a tool's `parameters`
 * compared with each record's copy), or null when `value` is too big or deep for that.
 */
function generateEquals(value: unknown): ((x: unknown) => boolean) | null {
  const consts: unknown[] = [];
  let names = 0;
  let nodes = 0;
  /** Statements that return false unless `x` (an expression) equals `a`. */
  const eq = (a: unknown, x: string, level: number): string => {
    if (++nodes > 2000 || level > 32) throw new Error('too big to generate');
    const l = literal(a);
    if (l !== null) return `if (${x} !== ${l}) return false;\n`;
    if (typeof a !== 'object' || a === null) {
      consts.push(a);
      return `if (${x} !== c${consts.length - 1}) return false;\n`;
    }
    const y = `y${names++}`;
    if (Array.isArray(a)) {
      return `const ${y} = ${x};\nif (!Array.isArray(${y}) || ${y}.length !== ${a.length}) return false;\n${a.map((e, i) => eq(e, `${y}[${i}]`, level + 1)).join('')}`;
    }
    // As deepEqual: every key of `a` equal (read plainly), then the same number of keys.
    const o = a as Record<string, unknown>;
    let s = `const ${y} = ${x};\nif (typeof ${y} !== 'object' || ${y} === null || Array.isArray(${y})) return false;\n`;
    let count = 0;
    for (const k in o) {
      s += eq(o[k], `${y}[${JSON.stringify(k)}]`, level + 1);
      count++;
    }
    return `${s}{\nlet n = 0;\nfor (const _ in ${y}) n++;\nif (n !== ${count}) return false;\n}\n`;
  };
  try {
    const body = eq(value, 'x', 0);
    const src = `'use strict';\n${consts.map((_, i) => `const c${i} = C[${i}];\n`).join('')}return (x) => {\n${body}return true;\n};`;
    return new Function('C', src)(consts) as (x: unknown) => boolean;
  } catch {
    return null;
  }
}

/** The generated `isValid` of a compiled schema, or null (code generation refused, or too big). */
function generateCheck(root: Node): ((v: unknown) => boolean) | null {
  try {
    const g = new Generator(root);
    const src = g.source(root);
    return new Function('H', 'C', src)(helpers, g.consts) as (v: unknown) => boolean;
  } catch {
    return null;
  }
}

export interface CompileOptions {
  /**
   * When `isValid` runs generated code: true from the start, false never (the tree walk, which the
   * generated code must always agree with: tests compare the two); by default from its
   * GENERATE_AFTER-th call, so that a schema met once does not pay for generating code.
   */
  generate?: boolean;
}

/** Calls of `isValid` after which a schema's own code is generated. */
const GENERATE_AFTER = 16;

/** A compiled schema: `isValid` for the common case, `validate` to explain a failure. */
export class CompiledSchema {
  private readonly node: Node;
  private fast: ((v: unknown) => boolean) | null = null;
  /** Calls until code generation; -1: never. */
  private countdown: number;

  constructor(schema: unknown, options: CompileOptions = {}) {
    this.node = new Compiler(schema).compile(schema);
    this.countdown = options.generate === false ? -1 : options.generate === true ? 0 : GENERATE_AFTER;
    if (this.countdown === 0) this.tierUp();
  }

  /** Whether `isValid` runs generated code (not yet, or never where code generation is refused). */
  get generated(): boolean {
    return this.fast !== null;
  }

  private tierUp(): ((v: unknown) => boolean) | null {
    this.countdown = -1;
    return (this.fast = generateCheck(this.node));
  }

  /** True when `value` (a JSON value) conforms; allocates nothing. */
  isValid(value: unknown): boolean {
    let f = this.fast;
    if (f === null && this.countdown > 0 && --this.countdown === 0) f = this.tierUp();
    return f !== null ? f(value) : check(this.node, value, null);
  }

  /** Every violation (up to `max`), empty when `value` conforms. */
  validate(value: unknown, options: ValidateOptions = {}): SchemaViolation[] {
    if (this.isValid(value)) return [];
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
interface Recent {
  schema: unknown;
  compiled: CompiledSchema;
  /** Hits until the comparison with `schema` gets code of its own. */
  countdown: number;
  equals: ((x: unknown) => boolean) | null;
}
const byHint = new Map<string, Recent[]>();

function sameAs(r: Recent, schema: unknown): boolean {
  if (r.equals !== null) return r.equals(schema);
  if (!deepEqual(r.schema, schema)) return false;
  if (r.countdown > 0 && --r.countdown === 0) r.equals = generateEquals(r.schema);
  return true;
}

/**
 * The compiled form of `schema`, cached by its JSON text (the oldest entry goes when the cache is
 * full). A dataset repeats the same tool declarations on every record, each a fresh parsed object:
 * with a `hint` (a function name), a value comparison with the few schemas last seen under that
 * hint answers without serialising the schema again.
 */
export function compileSchema(schema: unknown, hint?: string): CompiledSchema {
  const recent = hint === undefined ? undefined : byHint.get(hint);
  if (recent !== undefined) {
    for (let k = 0; k < recent.length; k++) if (sameAs(recent[k], schema)) return recent[k].compiled;
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
      byHint.set(hint, [{ schema, compiled: c, countdown: GENERATE_AFTER, equals: null }]);
    } else {
      if (recent.length >= MAX_PER_HINT) recent.pop();
      recent.unshift({ schema, compiled: c, countdown: GENERATE_AFTER, equals: null });
    }
  }
  return c;
}
