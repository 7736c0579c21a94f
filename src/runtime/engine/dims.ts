// Symbolic dimensions. A dimension is a number or an expression over named sizes ('batch', 'seq',
// 'batch*seq', 'seq-1'). Expressions are kept as integer polynomials in canonical form so that two
// shapes built along different paths (a Reshape to [-1, 576] and back, a Concat of two halves) compare
// equal, and a graph can be checked once at build time and bound to concrete sizes per shape bucket.
import { EngineError } from './errors';

export type Dim = number | string;
export type Shape = readonly Dim[];

/** Monomial key ('' for the constant term, else sorted symbol names joined by '*') → coefficient. */
type Poly = Map<string, number>;

const cache = new Map<string, Poly>();

function parse(expr: string): Poly {
  const hit = cache.get(expr);
  if (hit) return hit;
  const tokens = expr.match(/[A-Za-z_][A-Za-z0-9_.]*|\d+|[-+*()]|\S/g) ?? [];
  let i = 0;
  const fail = (): never => {
    throw new EngineError(`invalid dimension expression '${expr}'`);
  };
  const atom = (): Poly => {
    const t = tokens[i++];
    if (t === undefined) return fail();
    if (t === '(') {
      const p = sum();
      if (tokens[i++] !== ')') fail();
      return p;
    }
    if (t === '-') return scale(atom(), -1);
    if (/^\d+$/.test(t)) return constant(Number(t));
    if (/^[A-Za-z_]/.test(t)) return new Map([[t, 1]]);
    return fail();
  };
  const product = (): Poly => {
    let p = atom();
    while (tokens[i] === '*') {
      i++;
      p = mul(p, atom());
    }
    return p;
  };
  const sum = (): Poly => {
    let p = product();
    while (tokens[i] === '+' || tokens[i] === '-') {
      const sign = tokens[i++] === '+' ? 1 : -1;
      p = add(p, scale(product(), sign));
    }
    return p;
  };
  const p = sum();
  if (i !== tokens.length) fail();
  cache.set(expr, p);
  return p;
}

const constant = (n: number): Poly => (n === 0 ? new Map() : new Map([['', n]]));
const toPoly = (d: Dim): Poly => (typeof d === 'number' ? constant(d) : parse(d));

function add(a: Poly, b: Poly): Poly {
  const r = new Map(a);
  for (const [k, c] of b) {
    const v = (r.get(k) ?? 0) + c;
    if (v === 0) r.delete(k);
    else r.set(k, v);
  }
  return r;
}

function scale(a: Poly, s: number): Poly {
  const r: Poly = new Map();
  if (s !== 0) for (const [k, c] of a) r.set(k, c * s);
  return r;
}

const mulKeys = (a: string, b: string): string => (a === '' ? b : b === '' ? a : [...a.split('*'), ...b.split('*')].sort().join('*'));

function mul(a: Poly, b: Poly): Poly {
  let r: Poly = new Map();
  for (const [ka, ca] of a) for (const [kb, cb] of b) r = add(r, new Map([[mulKeys(ka, kb), ca * cb]]));
  return r;
}

/** a / b when b is a single term that divides every term of a exactly; undefined otherwise. */
function divExact(a: Poly, b: Poly): Poly | undefined {
  if (b.size !== 1) return undefined;
  const [[kb, cb]] = [...b];
  const r: Poly = new Map();
  for (const [ka, ca] of a) {
    if (ca % cb !== 0) return undefined;
    const syms = ka === '' ? [] : ka.split('*');
    for (const s of kb === '' ? [] : kb.split('*')) {
      const at = syms.indexOf(s);
      if (at < 0) return undefined;
      syms.splice(at, 1);
    }
    r.set(syms.join('*'), ca / cb);
  }
  return r;
}

function format(p: Poly): Dim {
  if (p.size === 0) return 0;
  if (p.size === 1 && p.has('')) return p.get('')!;
  const keys = [...p.keys()].sort((x, y) => (x === '' ? 1 : y === '' ? -1 : x < y ? -1 : x > y ? 1 : 0));
  let s = '';
  for (const k of keys) {
    const c = p.get(k)!;
    const mag = Math.abs(c);
    const term = k === '' ? String(mag) : mag === 1 ? k : `${mag}*${k}`;
    s += s === '' ? (c < 0 ? `-${term}` : term) : c < 0 ? `-${term}` : `+${term}`;
  }
  return s;
}

/** Canonical form: a number when the expression is constant, else a normalised string. */
const canonCache = new Map<string, Dim>();
export function canonDim(d: Dim): Dim {
  if (typeof d === 'number') return d;
  let c = canonCache.get(d);
  if (c === undefined) {
    c = format(parse(d));
    canonCache.set(d, c);
  }
  return c;
}

export const dimEq = (a: Dim, b: Dim): boolean => a === b || canonDim(a) === canonDim(b);
export const dimAdd = (a: Dim, b: Dim): Dim => format(add(toPoly(a), toPoly(b)));
export const dimSub = (a: Dim, b: Dim): Dim => format(add(toPoly(a), scale(toPoly(b), -1)));
export const dimMul = (a: Dim, b: Dim): Dim => format(mul(toPoly(a), toPoly(b)));
export function dimDiv(a: Dim, b: Dim): Dim | undefined {
  const r = divExact(toPoly(a), toPoly(b));
  return r && format(r);
}
export const shapeSize = (s: Shape): Dim => s.reduce<Dim>((acc, d) => dimMul(acc, d), 1);

/** The terms of a dimension's polynomial: Σ coef · Π syms. */
export function dimTerms(d: Dim): { coef: number; syms: string[] }[] {
  if (typeof d === 'number') return d === 0 ? [] : [{ coef: d, syms: [] }];
  return [...parse(d)].map(([k, coef]) => ({ coef, syms: k === '' ? [] : k.split('*') }));
}

/** Value of a dimension, or undefined when one of its symbols is not bound. */
export function tryEvalDim(d: Dim, binding: Readonly<Record<string, number>>): number | undefined {
  if (typeof d === 'number') return d;
  return dimSymbols(d).every((s) => binding[s] !== undefined) ? evalDim(d, binding) : undefined;
}

/** Symbol names used in a dimension. */
export function dimSymbols(d: Dim): string[] {
  if (typeof d === 'number') return [];
  const out = new Set<string>();
  for (const k of parse(d).keys()) if (k !== '') for (const s of k.split('*')) out.add(s);
  return [...out];
}

/** Concrete value of a dimension under a binding of its symbols. */
export function evalDim(d: Dim, binding: Readonly<Record<string, number>>): number {
  if (typeof d === 'number') return d;
  let v = 0;
  for (const [k, c] of parse(d)) {
    let t = c;
    if (k !== '')
      for (const s of k.split('*')) {
        const b = binding[s];
        if (b === undefined) throw new EngineError(`dimension '${s}' has no size (bind it with a feed or the dims option)`);
        t *= b;
      }
    v += t;
  }
  return v;
}

export const shapesEqual = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => dimEq(d, b[i]));

export const formatShape = (s: Shape): string => `[${s.join(', ')}]`;

/** Normalises a possibly negative axis; throws with the op name when out of range. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new EngineError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
