// The op set: for each op, shape/dtype inference (at build time), ONNX emission (per shape binding)
// and the vector-Jacobian product, written with the same builder so gradients are ordinary IR nodes.
import { dimAdd, dimDiv, dimEq, dimSub, formatShape, shapeSize, shapesEqual, type Dim, type Shape } from './dims';
import { ShapeError, UnsupportedOpError } from './errors';
import type { Node, Tensor } from './graph';
import { isFloat, MS_DOMAIN, ONNX_DTYPE, type DType, type OnnxAttr } from './onnx';

export type Attrs = Readonly<Record<string, unknown>>;
export interface OutSpec {
  dtype: DType;
  shape: Shape;
}

/** What an op's emit() may do: name values, evaluate dims under the current binding, add ONNX nodes. */
export interface Emitter {
  name(t: Tensor): string;
  /** Value of a dim under the binding; undefined when a symbol in it is left unbound (dynamic model). */
  dim(d: Dim): number | undefined;
  /** A 1-D int64 tensor holding these dims: a constant when bound, else computed from the inputs' shapes at run time. */
  dims(ds: readonly Dim[]): string;
  /** A 0-d tensor of `dtype` holding a dim (constant or computed at run time). */
  dimScalar(d: Dim, dtype: DType): string;
  /** Adds an ONNX node; `outputs` as a count creates fresh names. Returns the output names. */
  node(op: string, inputs: readonly string[], outputs: readonly string[] | number, attrs?: readonly OnnxAttr[], domain?: string): string[];
  /** A 1-D int64 constant. */
  ints(values: readonly number[]): string;
  /** A 0-d constant. */
  scalar(value: number, dtype: DType): string;
  /** Counts floating-point operations (MatMul). */
  flops(n: number): void;
  /** The untransposed source of a last-two-axes Transpose that a MatMul absorbs (not emitted on its own). */
  absorbed(t: Tensor): Tensor | undefined;
}

/** Whether a perm swaps the last two axes and keeps the others. */
export const swapsLastTwo = (perm: readonly number[]): boolean =>
  perm.length >= 2 && perm.every((p, i) => (i < perm.length - 2 ? p === i : p === (i === perm.length - 1 ? perm.length - 2 : perm.length - 1)));

export type InputGrads = (Tensor | undefined)[];
export type Vjp = (n: Node, gouts: readonly (Tensor | undefined)[], needs: readonly boolean[]) => InputGrads;

export interface OpDef {
  infer(inputs: readonly Tensor[], attrs: Attrs, op: string): OutSpec[];
  emit(e: Emitter, n: Node): void;
  /** 'none': no gradient flows through it (comparisons, index ops); absent: differentiating through it is an error. */
  vjp?: Vjp | 'none';
  /** Gradient helpers, not listed as supported model ops. */
  internal?: boolean;
}

const fmt = formatShape;
const fail = (op: string, msg: string): never => {
  throw new ShapeError(op, msg);
};

function arity(op: string, ins: readonly Tensor[], n: number): void {
  if (ins.length !== n) fail(op, `expects ${n} input(s), got ${ins.length}`);
}

function sameDtype(op: string, ins: readonly Tensor[]): DType {
  for (const t of ins) if (t.dtype !== ins[0].dtype) fail(op, `dtype mismatch: ${ins[0].dtype}${fmt(ins[0].shape)} vs ${t.dtype}${fmt(t.shape)}`);
  return ins[0].dtype;
}

function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.dtype)) fail(op, `expects a float tensor, got ${t.dtype}${fmt(t.shape)}`);
}

/** Numpy broadcasting; symbolic dims must match exactly or be 1. */
export function broadcastShapes(op: string, shapes: readonly Shape[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i];
      if (x === undefined || dimEq(x, 1)) continue;
      if (dimEq(d, 1)) d = x;
      else if (!dimEq(d, x)) fail(op, `cannot broadcast ${shapes.map(fmt).join(' with ')} (axis ${i}: ${d} vs ${x})`);
    }
    out.push(d);
  }
  return out;
}

/** Sums a broadcast gradient back to `shape` (the un-broadcast every binary op's VJP needs). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < lead; i++) axes.push(i);
  shape.forEach((d, j) => {
    if (dimEq(d, 1) && !dimEq(g.shape[lead + j], 1)) axes.push(lead + j);
  });
  let r = axes.length ? g.sum(axes, true) : g;
  if (!shapesEqual(r.shape, shape)) r = r.reshape(shape);
  return r;
}

const names = (e: Emitter, ts: readonly Tensor[]): string[] => ts.map((t) => e.name(t));
const simple =
  (onnx: string, attrs?: (n: Node) => OnnxAttr[]) =>
  (e: Emitter, n: Node): void => {
    e.node(onnx, names(e, n.inputs), names(e, n.outputs), attrs?.(n));
  };

function elementwise(outDtype?: DType, floatOnly = false) {
  return (ins: readonly Tensor[], _a: Attrs, op: string): OutSpec[] => {
    arity(op, ins, 2);
    const dtype = sameDtype(op, ins);
    if (floatOnly) requireFloat(op, ins[0]);
    return [{ dtype: outDtype ?? dtype, shape: broadcastShapes(op, [ins[0].shape, ins[1].shape]) }];
  };
}

function unary(floatOnly = true, dtype?: DType) {
  return (ins: readonly Tensor[], _a: Attrs, op: string): OutSpec[] => {
    arity(op, ins, 1);
    if (floatOnly) requireFloat(op, ins[0]);
    if (dtype && ins[0].dtype !== dtype) fail(op, `expects ${dtype}, got ${ins[0].dtype}${fmt(ins[0].shape)}`);
    return [{ dtype: ins[0].dtype, shape: ins[0].shape }];
  };
}

const keepShape = (shape: Shape, axes: readonly number[]): Dim[] => shape.map((d, i) => (axes.includes(i) ? 1 : d));

function reduceInfer(ins: readonly Tensor[], a: Attrs, op: string): OutSpec[] {
  arity(op, ins, 1);
  const axes = a.axes as number[];
  const keep = a.keepdims as boolean;
  return [{ dtype: ins[0].dtype, shape: keep ? keepShape(ins[0].shape, axes) : ins[0].shape.filter((_, i) => !axes.includes(i)) }];
}

const reduceEmit = (onnx: string) => (e: Emitter, n: Node) => {
  e.node(onnx, [e.name(n.inputs[0]), e.ints(n.attrs.axes as number[])], [e.name(n.outputs[0])], [{ name: 'keepdims', int: n.attrs.keepdims ? 1 : 0 }]);
};

/** The output gradient of a reduction, reshaped so it broadcasts against the input. */
function keptGrad(n: Node, g: Tensor): Tensor {
  return n.attrs.keepdims ? g : g.reshape(keepShape(n.inputs[0].shape, n.attrs.axes as number[]));
}

const BIG = 2 ** 62;

/** Slice bounds normalised against the input shape (negative = from the end; past the end = clamped). */
function sliceBounds(op: string, shape: Shape, a: Attrs): { axes: number[]; starts: Dim[]; ends: Dim[]; steps: number[]; sizes: Dim[] } {
  const axes = a.axes as number[];
  const steps = (a.steps as number[] | undefined) ?? axes.map(() => 1);
  const starts: Dim[] = [];
  const ends: Dim[] = [];
  const sizes: Dim[] = [];
  axes.forEach((axis, k) => {
    const d = shape[axis];
    const step = steps[k];
    if (step <= 0) fail(op, `step ${step} is not supported (positive steps only)`);
    const norm = (v: Dim): Dim => {
      if (typeof v !== 'number') return v;
      if (typeof d === 'number') return Math.min(Math.max(v < 0 ? d + v : v, 0), d);
      if (v < 0) return dimAdd(d, v);
      return v >= BIG ? d : v;
    };
    const s = norm((a.starts as Dim[])[k]);
    const en = norm((a.ends as Dim[])[k]);
    let size: Dim;
    if (typeof s === 'number' && typeof en === 'number') size = Math.max(0, Math.ceil((en - s) / step));
    else if (step === 1) size = dimSub(en, s);
    else return fail(op, `a step of ${step} needs a concrete size on axis ${axis} of ${fmt(shape)}`);
    starts.push(s);
    ends.push(en);
    sizes.push(size);
  });
  return { axes, starts, ends, steps, sizes };
}

const axisAttr = (n: Node): OnnxAttr[] => [{ name: 'axis', int: n.attrs.axis as number }];

export const OPS: Record<string, OpDef> = {
  Add: { infer: elementwise(), emit: simple('Add'), vjp: (n, [g], needs) => [needs[0] ? sumTo(g!, n.inputs[0].shape) : undefined, needs[1] ? sumTo(g!, n.inputs[1].shape) : undefined] },
  Sub: { infer: elementwise(), emit: simple('Sub'), vjp: (n, [g], needs) => [needs[0] ? sumTo(g!, n.inputs[0].shape) : undefined, needs[1] ? sumTo(g!.neg(), n.inputs[1].shape) : undefined] },
  Mul: {
    infer: elementwise(),
    emit: simple('Mul'),
    vjp: (n, [g], needs) => {
      const [a, b] = n.inputs;
      return [needs[0] ? sumTo(g!.mul(b), a.shape) : undefined, needs[1] ? sumTo(g!.mul(a), b.shape) : undefined];
    },
  },
  Div: {
    infer: elementwise(),
    emit: simple('Div'),
    vjp: (n, [g], needs) => {
      const [a, b] = n.inputs;
      const y = n.outputs[0];
      return [needs[0] ? sumTo(g!.div(b), a.shape) : undefined, needs[1] ? sumTo(g!.mul(y).div(b).neg(), b.shape) : undefined];
    },
  },
  Pow: {
    infer: elementwise(undefined, true),
    emit: simple('Pow'),
    vjp: (n, [g], needs) => {
      const [a, p] = n.inputs;
      const y = n.outputs[0];
      let da: Tensor | undefined;
      if (needs[0]) {
        const pc = p.kind === 'const' && p.data?.length === 1 ? Number(p.data[0]) : undefined;
        if (pc === 2) da = g!.mul(a).mul(2);
        else if (pc === 1) da = g!;
        else if (pc !== undefined) da = g!.mul(a.pow(pc - 1)).mul(pc);
        else da = g!.mul(p).mul(a.pow(p.sub(1)));
        da = sumTo(da, a.shape);
      }
      return [da, needs[1] ? sumTo(g!.mul(y).mul(a.log()), p.shape) : undefined];
    },
  },
  Equal: { infer: elementwise('bool'), emit: simple('Equal'), vjp: 'none' },
  Less: { infer: elementwise('bool'), emit: simple('Less'), vjp: 'none' },
  Greater: { infer: elementwise('bool'), emit: simple('Greater'), vjp: 'none' },
  Not: { infer: unary(false, 'bool'), emit: simple('Not'), vjp: 'none' },

  Neg: { infer: unary(false), emit: simple('Neg'), vjp: (_n, [g]) => [g!.neg()] },
  Sqrt: { infer: unary(), emit: simple('Sqrt'), vjp: (n, [g]) => [g!.mul(0.5).div(n.outputs[0])] },
  Reciprocal: {
    infer: unary(),
    emit: simple('Reciprocal'),
    vjp: (n, [g]) => {
      const y = n.outputs[0];
      return [g!.mul(y.mul(y)).neg()];
    },
  },
  Exp: { infer: unary(), emit: simple('Exp'), vjp: (n, [g]) => [g!.mul(n.outputs[0])] },
  Log: { infer: unary(), emit: simple('Log'), vjp: (n, [g]) => [g!.div(n.inputs[0])] },
  Sigmoid: {
    infer: unary(),
    emit: simple('Sigmoid'),
    vjp: (n, [g]) => {
      const y = n.outputs[0];
      return [g!.mul(y.mul(y.neg().add(1)))];
    },
  },
  Tanh: {
    infer: unary(),
    emit: simple('Tanh'),
    vjp: (n, [g]) => {
      const y = n.outputs[0];
      return [g!.mul(y.mul(y).neg().add(1))];
    },
  },
  Sin: { infer: unary(), emit: simple('Sin'), vjp: (n, [g]) => [g!.mul(n.inputs[0].cos())] },
  Cos: { infer: unary(), emit: simple('Cos'), vjp: (n, [g]) => [g!.mul(n.inputs[0].sin()).neg()] },
  Relu: { infer: unary(), emit: simple('Relu'), vjp: (n, [g]) => [n.inputs[0].graph.where(n.inputs[0].greater(0), g!, 0)] },

  MatMul: {
    infer(ins, _a, op) {
      arity(op, ins, 2);
      const [a, b] = ins;
      const dtype = sameDtype(op, ins);
      requireFloat(op, a);
      if (a.rank < 2 || b.rank < 2) fail(op, `rank-1 operands are not supported: ${fmt(a.shape)} @ ${fmt(b.shape)} (unsqueeze first)`);
      if (!dimEq(a.shape[a.rank - 1], b.shape[b.rank - 2])) fail(op, `inner dimensions differ: ${fmt(a.shape)} @ ${fmt(b.shape)}`);
      const batch = broadcastShapes(op, [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
      return [{ dtype, shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]] }];
    },
    emit(e, n) {
      const a = n.inputs[0];
      const sizes = [...n.outputs[0].shape, a.shape[a.rank - 1]].map((d) => e.dim(d));
      if (sizes.every((v) => v !== undefined)) e.flops(2 * sizes.reduce((x, y) => x! * y!, 1)!);
      const [ta, tb] = n.inputs.map((t) => e.absorbed(t));
      if (!ta && !tb) e.node('MatMul', names(e, n.inputs), names(e, n.outputs));
      else {
        // ORT's FusedMatMul reads the transposed operand in place (what ORT's own fusion would produce).
        const ins = [e.name(ta ?? n.inputs[0]), e.name(tb ?? n.inputs[1])];
        e.node('FusedMatMul', ins, names(e, n.outputs), [
          { name: 'transA', int: ta ? 1 : 0 },
          { name: 'transB', int: tb ? 1 : 0 },
        ], MS_DOMAIN);
      }
    },
    vjp(n, [g], needs) {
      const [a, b] = n.inputs;
      let da: Tensor | undefined;
      let db: Tensor | undefined;
      if (needs[0]) da = sumTo(g!.matmul(b.t()), a.shape);
      if (needs[1]) {
        // When b = Wᵀ, build d(Wᵀ) as (gᵀ·a)ᵀ: the Transpose's own VJP then folds the outer transpose
        // away and W's gradient comes out of one MatMul in W's layout.
        const bT = b.producer?.op === 'Transpose' && swapsLastTwo(b.producer.attrs.perm as number[]);
        if (b.rank === 2 && a.rank > 2) {
          // One large GEMM over all batch rows instead of a batched product and a reduction.
          const a2 = a.reshape([-1, a.shape[a.rank - 1]]);
          const g2 = g!.reshape([-1, b.shape[1]]);
          db = bT ? g2.t().matmul(a2).t() : a2.t().matmul(g2);
        } else if (bT && shapesEqual(b.shape.slice(0, -2), g!.shape.slice(0, -2))) db = g!.t().matmul(a).t();
        else db = sumTo(a.t().matmul(g!), b.shape);
      }
      return [da, db];
    },
  },

  Softmax: {
    infer: (ins, _a, op) => unary()(ins, _a, op),
    emit: simple('Softmax', axisAttr),
    vjp: (n, [g]) => {
      const y = n.outputs[0];
      const gy = g!.mul(y);
      return [gy.sub(y.mul(gy.sum(n.attrs.axis as number, true)))];
    },
  },
  LogSoftmax: {
    infer: (ins, _a, op) => unary()(ins, _a, op),
    emit: simple('LogSoftmax', axisAttr),
    vjp: (n, [g]) => [g!.sub(n.outputs[0].exp().mul(g!.sum(n.attrs.axis as number, true)))],
  },

  ReduceSum: { infer: reduceInfer, emit: reduceEmit('ReduceSum'), vjp: (n, [g]) => [keptGrad(n, g!).expand(n.inputs[0].shape)] },
  ReduceMean: {
    infer: reduceInfer,
    emit: reduceEmit('ReduceMean'),
    vjp: (n, [g]) => {
      const x = n.inputs[0];
      const count = shapeSize((n.attrs.axes as number[]).map((i) => x.shape[i]));
      return [keptGrad(n, g!).div(x.graph.dimValue(count, x.dtype)).expand(x.shape)];
    },
  },
  ReduceMax: {
    infer: reduceInfer,
    emit: reduceEmit('ReduceMax'),
    vjp: (n, [g]) => {
      // Ties share the gradient equally (as torch.amax).
      const x = n.inputs[0];
      const axes = n.attrs.axes as number[];
      const mask = x.equal(keptGrad(n, n.outputs[0])).cast(x.dtype);
      return [mask.mul(keptGrad(n, g!).div(mask.sum(axes, true)))];
    },
  },

  Reshape: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      const x = ins[0];
      const spec = a.shape as Shape;
      const total = shapeSize(x.shape);
      const free = spec.filter((d) => d === -1).length;
      if (free > 1 || spec.some((d) => typeof d === 'number' && (d < -1 || !Number.isInteger(d)))) fail(op, `invalid target shape ${fmt(spec)} (one -1 at most, no 0)`);
      const known = shapeSize(spec.filter((d) => d !== -1));
      let out: Dim[] = [...spec];
      if (free) {
        const inferred = dimDiv(total, known);
        if (inferred === undefined) fail(op, `cannot reshape ${fmt(x.shape)} to ${fmt(spec)}: -1 cannot be inferred`);
        out = spec.map((d) => (d === -1 ? inferred! : d));
      }
      if (!dimEq(shapeSize(out), total)) fail(op, `cannot reshape ${fmt(x.shape)} to ${fmt(spec)}: element counts differ`);
      return [{ dtype: x.dtype, shape: out }];
    },
    emit: (e, n) => {
      e.node('Reshape', [e.name(n.inputs[0]), e.dims(n.outputs[0].shape)], [e.name(n.outputs[0])]);
    },
    vjp: (n, [g]) => [g!.reshape(n.inputs[0].shape)],
  },
  Transpose: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      const x = ins[0];
      const perm = a.perm as number[];
      if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) fail(op, `perm [${perm.join(', ')}] is not a permutation of the axes of ${fmt(x.shape)}`);
      return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
    },
    emit: simple('Transpose', (n) => [{ name: 'perm', ints: n.attrs.perm as number[] }]),
    vjp: (n, [g]) => {
      const perm = n.attrs.perm as number[];
      const inv = perm.map((_, i) => perm.indexOf(i));
      return [g!.transpose(inv)];
    },
  },
  Concat: {
    infer(ins, a, op) {
      const axis = a.axis as number;
      const dtype = sameDtype(op, ins);
      const first = ins[0];
      let size: Dim = 0;
      for (const t of ins) {
        if (t.rank !== first.rank || t.shape.some((d, i) => i !== axis && !dimEq(d, first.shape[i])))
          fail(op, `shapes differ off axis ${axis}: ${fmt(first.shape)} vs ${fmt(t.shape)}`);
        size = dimAdd(size, t.shape[axis]);
      }
      return [{ dtype, shape: first.shape.map((d, i) => (i === axis ? size : d)) }];
    },
    emit: simple('Concat', axisAttr),
    vjp: (n, [g], needs) => {
      const axis = n.attrs.axis as number;
      let off: Dim = 0;
      return n.inputs.map((t, i) => {
        const start = off;
        off = dimAdd(off, t.shape[axis]);
        return needs[i] ? g!.slice(axis, start, off) : undefined;
      });
    },
  },
  Slice: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      const x = ins[0];
      const b = sliceBounds(op, x.shape, a);
      const shape = [...x.shape];
      b.axes.forEach((axis, k) => (shape[axis] = b.sizes[k]));
      return [{ dtype: x.dtype, shape }];
    },
    emit(e, n) {
      const b = sliceBounds('Slice', n.inputs[0].shape, n.attrs);
      e.node('Slice', [e.name(n.inputs[0]), e.dims(b.starts), e.dims(b.ends), e.ints(b.axes), e.ints(b.steps)], [e.name(n.outputs[0])]);
    },
    vjp(n, [g]) {
      const x = n.inputs[0];
      const b = sliceBounds('Slice', x.shape, n.attrs);
      if (b.steps.some((s) => s !== 1)) throw new UnsupportedOpError('Slice', 'Slice: the gradient of a strided slice is not supported');
      return [x.graph.apply('SliceGrad', [g!], { shape: x.shape, axes: b.axes, starts: b.starts, ends: b.ends })];
    },
  },
  SliceGrad: {
    internal: true,
    infer: (ins, a) => [{ dtype: ins[0].dtype, shape: a.shape as Shape }],
    emit(e, n) {
      const shape = n.attrs.shape as Shape;
      const pads = new Array<Dim>(2 * shape.length).fill(0);
      (n.attrs.axes as number[]).forEach((axis, k) => {
        pads[axis] = (n.attrs.starts as Dim[])[k];
        pads[shape.length + axis] = dimSub(shape[axis], (n.attrs.ends as Dim[])[k]);
      });
      e.node('Pad', [e.name(n.inputs[0]), e.dims(pads)], [e.name(n.outputs[0])]);
    },
  },
  Gather: {
    infer(ins, a, op) {
      arity(op, ins, 2);
      const [data, idx] = ins;
      if (idx.dtype !== 'int64' && idx.dtype !== 'int32') fail(op, `indices must be int64 or int32, got ${idx.dtype}${fmt(idx.shape)}`);
      const axis = a.axis as number;
      return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
    },
    emit: simple('Gather', axisAttr),
    vjp(n, [g], needs) {
      if (!needs[0]) return [undefined, undefined];
      const [data, idx] = n.inputs;
      if (n.attrs.axis !== 0) throw new UnsupportedOpError('Gather', `Gather: the gradient is implemented along axis 0 only (got axis ${n.attrs.axis})`);
      return [data.graph.apply('GatherGrad', [g!, idx], { shape: data.shape }), undefined];
    },
  },
  GatherGrad: {
    internal: true,
    infer: (ins, a) => [{ dtype: ins[0].dtype, shape: a.shape as Shape }],
    emit(e, n) {
      const [g, idx] = n.inputs;
      const zero: OnnxAttr = { name: 'value', tensor: { name: '', dtype: g.dtype, dims: [1], raw: new Uint8Array(g.dtype === 'float64' ? 8 : 4) } };
      const [zeros] = e.node('ConstantOfShape', [e.dims(n.attrs.shape as Shape)], 1, [zero]);
      const [ix] = e.node('Unsqueeze', [e.name(idx), e.ints([-1])], 1);
      e.node('ScatterND', [zeros, ix, e.name(g)], [e.name(n.outputs[0])], [{ name: 'reduction', string: 'add' }]);
    },
  },
  Expand: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      return [{ dtype: ins[0].dtype, shape: broadcastShapes(op, [ins[0].shape, a.shape as Shape]) }];
    },
    emit: (e, n) => {
      e.node('Expand', [e.name(n.inputs[0]), e.dims(n.outputs[0].shape)], [e.name(n.outputs[0])]);
    },
    vjp: (n, [g]) => [sumTo(g!, n.inputs[0].shape)],
  },
  Where: {
    infer(ins, _a, op) {
      arity(op, ins, 3);
      const [c, a, b] = ins;
      if (c.dtype !== 'bool') fail(op, `condition must be bool, got ${c.dtype}${fmt(c.shape)}`);
      const dtype = sameDtype(op, [a, b]);
      return [{ dtype, shape: broadcastShapes(op, [c.shape, a.shape, b.shape]) }];
    },
    emit: simple('Where'),
    vjp(n, [g], needs) {
      const [c, a, b] = n.inputs;
      const gr = c.graph;
      return [undefined, needs[1] ? sumTo(gr.where(c, g!, 0), a.shape) : undefined, needs[2] ? sumTo(gr.where(c, 0, g!), b.shape) : undefined];
    },
  },
  Cast: {
    infer: (ins, a, op) => {
      arity(op, ins, 1);
      return [{ dtype: a.to as DType, shape: ins[0].shape }];
    },
    emit: simple('Cast', (n) => [{ name: 'to', int: ONNX_DTYPE[n.attrs.to as DType] }]),
    vjp: (n, [g]) => [isFloat(n.inputs[0].dtype) ? g!.cast(n.inputs[0].dtype) : undefined],
  },
  Unsqueeze: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      const axes = a.axes as number[];
      const shape: Dim[] = [];
      let k = 0;
      for (let i = 0; i < ins[0].rank + axes.length; i++) shape.push(axes.includes(i) ? 1 : ins[0].shape[k++]);
      return [{ dtype: ins[0].dtype, shape }];
    },
    emit: (e, n) => {
      e.node('Unsqueeze', [e.name(n.inputs[0]), e.ints(n.attrs.axes as number[])], [e.name(n.outputs[0])]);
    },
    vjp: (n, [g]) => [g!.reshape(n.inputs[0].shape)],
  },
  Squeeze: {
    infer(ins, a, op) {
      arity(op, ins, 1);
      const axes = a.axes as number[];
      const x = ins[0];
      for (const i of axes) if (!dimEq(x.shape[i], 1)) fail(op, `axis ${i} of ${fmt(x.shape)} has size ${x.shape[i]}, not 1`);
      return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
    },
    emit: (e, n) => {
      e.node('Squeeze', [e.name(n.inputs[0]), e.ints(n.attrs.axes as number[])], [e.name(n.outputs[0])]);
    },
    vjp: (n, [g]) => [g!.reshape(n.inputs[0].shape)],
  },
  Sum: {
    internal: true,
    infer(ins, _a, op) {
      const dtype = sameDtype(op, ins);
      for (const t of ins) if (!shapesEqual(t.shape, ins[0].shape)) fail(op, `shapes differ: ${fmt(ins[0].shape)} vs ${fmt(t.shape)}`);
      return [{ dtype, shape: ins[0].shape }];
    },
    emit: simple('Sum'),
    vjp: (n, [g]) => n.inputs.map(() => g),
  },
  DimValue: {
    internal: true,
    infer: (_ins, a) => [{ dtype: a.dtype as DType, shape: [] }],
    emit: (e, n) => {
      e.node('Identity', [e.dimScalar(n.attrs.dim as Dim, n.attrs.dtype as DType)], [e.name(n.outputs[0])]);
    },
    vjp: 'none',
  },
  Range: {
    infer: (_ins, a) => [{ dtype: a.dtype as DType, shape: [a.n as Dim] }],
    emit: (e, n) => {
      const dtype = n.attrs.dtype as DType;
      e.node('Range', [e.scalar(0, dtype), e.dimScalar(n.attrs.n as Dim, dtype), e.scalar(1, dtype)], [e.name(n.outputs[0])]);
    },
    vjp: 'none',
  },
  SoftmaxCrossEntropy: {
    infer(ins, _a, op) {
      arity(op, ins, 2);
      const [logits, labels] = ins;
      requireFloat(op, logits);
      if (labels.dtype !== 'int64' && labels.dtype !== 'int32') fail(op, `labels must be int64 or int32, got ${labels.dtype}${fmt(labels.shape)}`);
      if (logits.rank < 1 || !shapesEqual(logits.shape.slice(0, -1), labels.shape))
        fail(op, `labels ${fmt(labels.shape)} must have the shape of logits ${fmt(logits.shape)} without the last axis`);
      return [
        { dtype: logits.dtype, shape: labels.shape },
        { dtype: logits.dtype, shape: logits.shape },
      ];
    },
    emit(e, n) {
      const [logits, labels] = n.inputs;
      const [nll, lsm] = names(e, n.outputs);
      e.node('LogSoftmax', [e.name(logits)], [lsm], [{ name: 'axis', int: -1 }]);
      const { ignored, index } = labelIndex(e, labels, n.attrs.ignoreIndex as number);
      const [picked] = e.node('GatherElements', [lsm, index], 1, [{ name: 'axis', int: -1 }]);
      const [p] = e.node('Squeeze', [picked, e.ints([-1])], 1);
      const [negp] = e.node('Neg', [p], 1);
      e.node('Where', [ignored, e.scalar(0, logits.dtype), negp], [nll]);
    },
    vjp(n, gouts) {
      const [, labels] = n.inputs;
      const [, lsm] = n.outputs;
      let d: Tensor | undefined;
      if (gouts[0]) d = lsm.graph.apply('SoftmaxCrossEntropyGrad', [lsm, labels, gouts[0]], { ignoreIndex: n.attrs.ignoreIndex });
      if (gouts[1]) {
        const g1 = gouts[1];
        const dl = g1.sub(lsm.exp().mul(g1.sum(-1, true)));
        d = d ? d.add(dl) : dl;
      }
      return [d, undefined];
    },
  },
  SoftmaxCrossEntropyGrad: {
    internal: true,
    infer: (ins) => [{ dtype: ins[0].dtype, shape: ins[0].shape }],
    emit(e, n) {
      // d logits = (softmax - onehot(label)) · g, zero on ignored tokens.
      const [lsm, labels, g] = n.inputs;
      const [sm] = e.node('Exp', [e.name(lsm)], 1);
      const { ignored, index } = labelIndex(e, labels, n.attrs.ignoreIndex as number);
      const [gm] = e.node('Where', [ignored, e.scalar(0, g.dtype), e.name(g)], 1);
      const [gmu] = e.node('Unsqueeze', [gm, e.ints([-1])], 1);
      const [scaled] = e.node('Mul', [sm, gmu], 1);
      const [neg] = e.node('Neg', [gmu], 1);
      e.node('ScatterElements', [scaled, index, neg], [e.name(n.outputs[0])], [
        { name: 'axis', int: -1 },
        { name: 'reduction', string: 'add' },
      ]);
    },
  },
};

function labelIndex(e: Emitter, labels: Tensor, ignoreIndex: number): { ignored: string; index: string } {
  const [ignored] = e.node('Equal', [e.name(labels), e.scalar(ignoreIndex, labels.dtype)], 1);
  const [safe] = e.node('Where', [ignored, e.scalar(0, labels.dtype), e.name(labels)], 1);
  const [index] = e.node('Unsqueeze', [safe, e.ints([-1])], 1);
  return { ignored, index };
}
