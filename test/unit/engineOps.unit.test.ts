// Every op's gradient against central finite differences (float64: tight, float32: loose), with
// broadcasting, reuse (gradient accumulation) and symbolic dims.
import { strict as assert } from 'node:assert';
import { Graph, type Tensor } from '../../src/runtime/engine/graph';
import type { HostTensor } from '../../src/runtime/engine/program';
import { finiteDiff, randomData } from '../reference/finiteDiff';
import { rng } from '../random';

type Dt = 'float32' | 'float64';
interface InputSpec {
  shape: (number | string)[];
  /** Concrete shape fed (defaults to `shape` when it is all numbers). */
  feed?: number[];
  lo?: number;
  hi?: number;
  /** Integer input (indices / labels), not differentiated. */
  ints?: number[];
  /** Fixed float values (e.g. distinct values for ReduceMax). */
  values?: number[];
  /** Fed but not differentiated. */
  fixed?: boolean;
}
interface Case {
  name: string;
  inputs: Record<string, InputSpec>;
  build(g: Graph, x: Record<string, Tensor>): Tensor;
  skip?: Dt[];
}

const C = (name: string, inputs: Record<string, InputSpec>, build: Case['build'], skip?: Dt[]): Case => ({ name, inputs, build, skip });
const pos = (shape: number[]): InputSpec => ({ shape, lo: 0.5, hi: 2 });
const any = (shape: (number | string)[], feed?: number[]): InputSpec => ({ shape, feed });

const cases: Case[] = [
  C('Add with broadcasting [2,3]+[3]', { a: any([2, 3]), b: any([3]) }, (_g, x) => x.a.add(x.b)),
  C('Add with both sides broadcast [2,1,3]+[4,1]', { a: any([2, 1, 3]), b: any([4, 1]) }, (_g, x) => x.a.add(x.b)),
  C('Sub [2,3]-[2,1]', { a: any([2, 3]), b: any([2, 1]) }, (_g, x) => x.a.sub(x.b)),
  C('Mul [3,1]*[1,4]', { a: any([3, 1]), b: any([1, 4]) }, (_g, x) => x.a.mul(x.b)),
  C('Div [2,3]/[3]', { a: any([2, 3]), b: pos([3]) }, (_g, x) => x.a.div(x.b)),
  C('Div by a scalar input [2,3]/[]', { a: any([2, 3]), b: pos([]) }, (_g, x) => x.a.div(x.b)),
  C('Pow x^2', { a: any([2, 3]) }, (_g, x) => x.a.pow(2)),
  C('Pow x^0.5 and x^-1.5', { a: pos([5]) }, (_g, x) => x.a.pow(0.5).add(x.a.pow(-1.5))),
  C('Pow tensor exponent with broadcasting', { a: pos([2, 3]), p: any([3]) }, (_g, x) => x.a.pow(x.p)),
  C('Neg', { a: any([4]) }, (_g, x) => x.a.neg()),
  C('Sqrt', { a: pos([4]) }, (_g, x) => x.a.sqrt()),
  C('Reciprocal', { a: pos([4]) }, (_g, x) => x.a.reciprocal()),
  C('Exp', { a: any([4]) }, (_g, x) => x.a.exp()),
  C('Log', { a: pos([4]) }, (_g, x) => x.a.log()),
  C('Sigmoid', { a: any([2, 3]) }, (_g, x) => x.a.sigmoid()),
  C('Tanh', { a: any([2, 3]) }, (_g, x) => x.a.tanh()),
  C('Sin and Cos', { a: any([5]) }, (_g, x) => x.a.sin().mul(x.a.cos())),
  C('Relu', { a: { shape: [6], values: [-1, -0.5, -0.2, 0.3, 0.7, 1.1] } }, (_g, x) => x.a.relu()),
  C('MatMul [2,3]@[3,4]', { a: any([2, 3]), b: any([3, 4]) }, (_g, x) => x.a.matmul(x.b)),
  C('MatMul batched @ 2-D weight [2,2,3]@[3,4]', { a: any([2, 2, 3]), b: any([3, 4]) }, (_g, x) => x.a.matmul(x.b)),
  C('MatMul broadcast batch [2,1,2,3]@[3,3,2]', { a: any([2, 1, 2, 3]), b: any([3, 3, 2]) }, (_g, x) => x.a.matmul(x.b)),
  C('MatMul 2-D @ batched [3,4]@[2,4,2]', { a: any([3, 4]), b: any([2, 4, 2]) }, (_g, x) => x.a.matmul(x.b)),
  C('MatMul with transposed operand (x Wᵀ)', { a: any([2, 3, 4]), w: any([5, 4]) }, (_g, x) => x.a.matmul(x.w.t())),
  C('Softmax last axis', { a: any([2, 5]) }, (_g, x) => x.a.softmax()),
  C('Softmax axis 1 of 3', { a: any([2, 3, 4]) }, (_g, x) => x.a.softmax(1)),
  C('LogSoftmax last axis', { a: any([3, 4]) }, (_g, x) => x.a.logSoftmax()),
  C('ReduceSum axis 1 (keepdims and not)', { a: any([2, 3, 4]) }, (_g, x) => x.a.sum(1).add(x.a.sum([0, 2], true).sum())),
  C('ReduceMean all and last axis', { a: any([3, 4]) }, (_g, x) => x.a.mean(-1).add(x.a.mean())),
  C('ReduceMax last axis', { a: { shape: [2, 4], values: [0.1, 0.9, -0.3, 0.5, 0.2, -0.7, 0.8, 0.4] } }, (_g, x) => x.a.max(-1)),
  C('Reshape with -1', { a: any([2, 3, 4]) }, (_g, x) => x.a.reshape([6, -1]).mul(x.a.reshape([6, 4]))),
  C('Transpose perm [2,0,1] and t()', { a: any([2, 3, 4]) }, (_g, x) => x.a.transpose([2, 0, 1]).sum(0).add(x.a.t().sum(1))),
  C('Concat axis 1 with a reused input', { a: any([2, 2]), b: any([2, 3]) }, (g, x) => g.concat([x.a, x.b, x.a], 1)),
  C('Slice middle and tail (negative indices)', { a: any([3, 6]) }, (_g, x) => x.a.slice(1, 1, -1).sum(1).add(x.a.slice(0, -2, 3).sum())),
  C('Gather rows with repeated indices (embedding)', { t: any([5, 3]), i: { shape: [2, 3], ints: [4, 0, 4, 2, 2, 1] } }, (_g, x) => x.t.gather(x.i)),
  C('Expand [3,1] to [2,3,4]', { a: any([3, 1]) }, (_g, x) => x.a.expand([2, 3, 4])),
  C(
    'Where with broadcast condition',
    { a: any([2, 3]), b: any([3]), m: { shape: [2, 1], ints: [0, 1] } },
    (g, x) => g.where(x.m.equal(1), x.a, x.b),
  ),
  // float32 → float64 → float32 is exact; the float64 graph would lose precision through float32.
  C('Cast float32 → float64 → back', { a: any([4]) }, (_g, x) => x.a.cast('float64').mul(x.a.cast('float64')).cast(x.a.dtype), ['float64']),
  C('Unsqueeze and Squeeze', { a: any([2, 3]) }, (_g, x) => x.a.unsqueeze([0, 2]).mul(2).squeeze(0).sum(1)),
  C('Reused tensor (gradient accumulation): x·x + x + exp(x)', { a: any([3]) }, (_g, x) => x.a.mul(x.a).add(x.a).add(x.a.exp())),
  C('Symbolic dims [batch, seq, 3] with a bias', { a: any(['batch', 'seq', 3], [2, 3, 3]), b: any([3]) }, (_g, x) => x.a.add(x.b).reshape([-1, 3]).sigmoid()),
  C('Slice of a symbolic axis (x[:, 1:])', { a: any(['batch', 'seq'], [2, 4]) }, (_g, x) => x.a.slice(1, 1, 2 ** 62).exp()),
  C(
    'Cross-entropy: mean over tokens with ignore index and weights',
    { l: any([2, 3, 5]), y: { shape: [2, 3], ints: [1, -100, 4, 0, 3, 3] }, w: { shape: [2, 3], values: [1, 1, 0.5, 2, 0, 1], fixed: true } },
    (g, x) => g.crossEntropy(x.l, x.y, { weights: x.w }),
  ),
  C('Cross-entropy: sum, no weights', { l: any([4, 6]), y: { shape: [4], ints: [5, 0, -100, 2] } }, (g, x) => g.crossEntropy(x.l, x.y, { reduction: 'sum' })),
  C('Cross-entropy: per token (reduction none), custom ignore index', { l: any([3, 4]), y: { shape: [3], ints: [1, 7, 3] } }, (g, x) =>
    g.crossEntropy(x.l, x.y, { reduction: 'none', ignoreIndex: 7 }),
  ),
];

async function runCase(c: Case, dtype: Dt, seed: number): Promise<void> {
  const rand = rng(seed);
  const g = new Graph({ dtype });
  const x: Record<string, Tensor> = {};
  const feeds: Record<string, HostTensor> = {};
  const wrt: Tensor[] = [];
  for (const [name, s] of Object.entries(c.inputs)) {
    const shape = s.feed ?? (s.shape as number[]);
    const n = shape.reduce((a, b) => a * b, 1);
    if (s.ints) {
      x[name] = g.input(name, s.shape, 'int64');
      feeds[name] = { data: BigInt64Array.from(s.ints, BigInt), shape };
    } else {
      x[name] = g.input(name, s.shape, dtype);
      feeds[name] = { data: s.values ? (dtype === 'float64' ? Float64Array.from(s.values) : Float32Array.from(s.values)) : randomData(rand, dtype, n, s.lo ?? -1, s.hi ?? 1), shape };
      if (!s.fixed) wrt.push(x[name]);
    }
  }
  const out = c.build(g, x);
  const tol = dtype === 'float64' ? { h: 1e-6, rtol: 1e-6, atol: 1e-8 } : { h: 1e-2, rtol: 2e-2, atol: 2e-3 };
  const r = await finiteDiff(g, out, { wrt, feeds, ...tol, seed });
  assert.ok(r.worst <= 1, `${c.name} (${dtype}): ${r.where} (error ${r.worst.toFixed(2)}× tolerance)`);
  assert.ok(r.checked > 0);
}

describe('engine ops: gradients vs finite differences', function () {
  this.timeout(30000);
  for (const dtype of ['float64', 'float32'] as const) {
    describe(dtype, () => {
      cases.forEach((c, i) => {
        if (c.skip?.includes(dtype)) return;
        it(c.name, () => runCase(c, dtype, 100 + i));
      });
    });
  }
});
