// The typed graph IR and its builder. A Graph records nodes in creation order (which is a topological
// order: a node's inputs always exist before it); shapes and dtypes are inferred as each node is added,
// so a mismatch is reported where the model code makes it, with the op and both shapes.
import { canonDim, formatShape, normAxis, shapesEqual, type Dim, type Shape } from './dims';
import { EngineError, ShapeError, UnsupportedOpError } from './errors';
import type { DType } from './onnx';
import { OPS, type Attrs } from './ops';

export type { DType } from './onnx';
export type { Dim, Shape } from './dims';

export type TypedData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
export type Operand = Tensor | number;
export type TensorKind = 'input' | 'param' | 'const' | 'op';

export interface Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly attrs: Attrs;
}

export class Tensor {
  /** Parameters only: whether the optimizer updates it (frozen parameters never get a gradient). */
  trainable = false;
  /** Parameter or constant values (row-major). A parameter's array is read at every run, so in-place updates are seen. */
  data: TypedData | undefined;

  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly kind: TensorKind,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }

  add(b: Operand): Tensor {
    return this.graph.apply('Add', [this, b]);
  }
  sub(b: Operand): Tensor {
    return this.graph.apply('Sub', [this, b]);
  }
  mul(b: Operand): Tensor {
    return this.graph.apply('Mul', [this, b]);
  }
  div(b: Operand): Tensor {
    return this.graph.apply('Div', [this, b]);
  }
  pow(b: Operand): Tensor {
    return this.graph.apply('Pow', [this, b]);
  }
  neg(): Tensor {
    return this.graph.apply('Neg', [this]);
  }
  sqrt(): Tensor {
    return this.graph.apply('Sqrt', [this]);
  }
  reciprocal(): Tensor {
    return this.graph.apply('Reciprocal', [this]);
  }
  /** 1 / sqrt(x) */
  rsqrt(): Tensor {
    return this.sqrt().reciprocal();
  }
  exp(): Tensor {
    return this.graph.apply('Exp', [this]);
  }
  log(): Tensor {
    return this.graph.apply('Log', [this]);
  }
  sigmoid(): Tensor {
    return this.graph.apply('Sigmoid', [this]);
  }
  tanh(): Tensor {
    return this.graph.apply('Tanh', [this]);
  }
  sin(): Tensor {
    return this.graph.apply('Sin', [this]);
  }
  cos(): Tensor {
    return this.graph.apply('Cos', [this]);
  }
  relu(): Tensor {
    return this.graph.apply('Relu', [this]);
  }
  /** x * sigmoid(x) */
  silu(): Tensor {
    return this.mul(this.sigmoid());
  }
  /** Matrix product over the last two axes; leading (batch) axes broadcast. */
  matmul(b: Tensor): Tensor {
    return this.graph.apply('MatMul', [this, b]);
  }
  softmax(axis = -1): Tensor {
    return this.graph.apply('Softmax', [this], { axis: normAxis('Softmax', axis, this.rank) });
  }
  logSoftmax(axis = -1): Tensor {
    return this.graph.apply('LogSoftmax', [this], { axis: normAxis('LogSoftmax', axis, this.rank) });
  }
  /** ReduceSum over `axes` (all when omitted). */
  sum(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceSum', [this], reduceAttrs('ReduceSum', this, axes, keepdims));
  }
  mean(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceMean', [this], reduceAttrs('ReduceMean', this, axes, keepdims));
  }
  max(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply('ReduceMax', [this], reduceAttrs('ReduceMax', this, axes, keepdims));
  }
  /** New shape; one entry may be -1 (inferred). Symbolic entries ('seq', 'batch*seq') are allowed. */
  reshape(shape: Shape): Tensor {
    const y = this.graph.apply('Reshape', [this.producer?.op === 'Reshape' ? this.producer.inputs[0] : this], { shape });
    const x = y.producer!.inputs[0];
    return shapesEqual(x.shape, y.shape) ? x : y;
  }
  /** Permutes axes (reverses them when `perm` is omitted). */
  transpose(perm?: readonly number[]): Tensor {
    let p = perm ?? this.shape.map((_, i) => this.rank - 1 - i);
    // Fold transpose-of-transpose (the backward pass of x·Wᵀ asks for (Wᵀ)ᵀ).
    const inner = this.producer?.op === 'Transpose' && p.length === this.rank ? this.producer : undefined;
    if (inner) p = p.map((i) => (inner.attrs.perm as number[])[i]);
    const x = inner ? inner.inputs[0] : this;
    if (p.length === x.rank && p.every((v, i) => v === i)) return x;
    return this.graph.apply('Transpose', [x], { perm: p });
  }
  /** Swaps the last two axes. */
  t(): Tensor {
    const perm = this.shape.map((_, i) => i);
    if (this.rank < 2) throw new ShapeError('Transpose', `t() needs rank >= 2, got ${formatShape(this.shape)}`);
    [perm[this.rank - 2], perm[this.rank - 1]] = [perm[this.rank - 1], perm[this.rank - 2]];
    return this.transpose(perm);
  }
  /** x[start:end] along one axis (negative indices count from the end; step 1 unless given). */
  slice(axis: number, start: Dim, end: Dim, step = 1): Tensor {
    return this.graph.apply('Slice', [this], { axes: [normAxis('Slice', axis, this.rank)], starts: [start], ends: [end], steps: [step] });
  }
  /** Picks entries along `axis` (embedding lookup with axis 0). */
  gather(indices: Tensor, axis = 0): Tensor {
    return this.graph.apply('Gather', [this, indices], { axis: normAxis('Gather', axis, this.rank) });
  }
  /** Broadcasts to `shape` (numpy rules, as ONNX Expand). */
  expand(shape: Shape): Tensor {
    return this.graph.apply('Expand', [this], { shape });
  }
  cast(to: DType): Tensor {
    return to === this.dtype ? this : this.graph.apply('Cast', [this], { to });
  }
  unsqueeze(axes: number | readonly number[]): Tensor {
    const list = typeof axes === 'number' ? [axes] : axes;
    const rank = this.rank + list.length;
    return this.graph.apply('Unsqueeze', [this], { axes: list.map((a) => normAxis('Unsqueeze', a, rank)).sort((a, b) => a - b) });
  }
  squeeze(axes: number | readonly number[]): Tensor {
    const list = typeof axes === 'number' ? [axes] : axes;
    return this.graph.apply('Squeeze', [this], { axes: list.map((a) => normAxis('Squeeze', a, this.rank)).sort((a, b) => a - b) });
  }
  equal(b: Operand): Tensor {
    return this.graph.apply('Equal', [this, b]);
  }
  less(b: Operand): Tensor {
    return this.graph.apply('Less', [this, b]);
  }
  greater(b: Operand): Tensor {
    return this.graph.apply('Greater', [this, b]);
  }
  not(): Tensor {
    return this.graph.apply('Not', [this]);
  }
}

function reduceAttrs(op: string, x: Tensor, axes: number | readonly number[] | undefined, keepdims: boolean): Attrs {
  const list = axes === undefined ? x.shape.map((_, i) => i) : typeof axes === 'number' ? [axes] : axes;
  const norm = [...new Set(list.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
  return { axes: norm, keepdims };
}

export interface ParamOptions {
  /** Trainable parameters get gradients and optimizer updates; frozen ones never get a gradient. */
  trainable: boolean;
  dtype?: DType;
  /** Initial values; required before the graph runs. */
  data?: TypedData;
}

export interface CrossEntropyOptions {
  /** Label value that contributes nothing (default -100, as PyTorch and Hugging Face). */
  ignoreIndex?: number;
  /** Per-token weights, same shape as the labels (e.g. 0 for prompt tokens, or a loss weight). */
  weights?: Tensor;
  /**
   * 'mean': Σ w·nll / Σ w over non-ignored tokens (0 when no token counts); 'sum': Σ w·nll;
   * 'none': per-token w·nll (0 where ignored), e.g. for sequence log-probabilities in DPO.
   */
  reduction?: 'mean' | 'sum' | 'none';
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly params: Tensor[] = [];
  /** Float dtype for parameters and constants unless given. */
  readonly dtype: DType;
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly scalars = new Map<string, Tensor>();
  private readonly memo = new Map<string, Node>();

  constructor(opts: { dtype?: DType } = {}) {
    this.dtype = opts.dtype ?? 'float32';
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new EngineError(`a tensor named '${name}' already exists in this graph`);
    this.names.add(name);
    return name;
  }

  /** Runs `fn` with a name prefix for the ops it creates (shows up in Netron: 'layers.3/MatMul_12'). */
  scope<T>(name: string, fn: () => T): T {
    this.scopes.push(name);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** A graph input fed at run time; symbolic dims ('batch', 'seq') are bound from the fed shapes. */
  input(name: string, shape: Shape, dtype: DType = this.dtype): Tensor {
    const t = new Tensor(this, this.nextId++, this.claim(name), 'input', dtype, shape.map(canonDim));
    this.inputs.push(t);
    return t;
  }

  param(name: string, shape: readonly number[], opts: ParamOptions): Tensor {
    for (const d of shape) if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) throw new EngineError(`parameter '${name}': shape ${formatShape(shape)} must be concrete`);
    const dtype = opts.dtype ?? this.dtype;
    const t = new Tensor(this, this.nextId++, this.claim(name), 'param', dtype, shape);
    t.trainable = opts.trainable;
    if (opts.data) checkData(name, dtype, shape, opts.data);
    t.data = opts.data;
    this.params.push(t);
    return t;
  }

  /** A constant (written into the model as an initializer). */
  constant(values: readonly number[] | TypedData, shape: readonly number[], dtype: DType = this.dtype): Tensor {
    const data = values instanceof Float32Array || values instanceof Float64Array || values instanceof BigInt64Array || values instanceof Int32Array || values instanceof Uint8Array ? values : makeData(dtype, values);
    checkData('constant', dtype, shape, data);
    const t = new Tensor(this, this.nextId++, this.claim(`const_${this.nextId}`), 'const', dtype, shape);
    t.data = data;
    return t;
  }

  /** A 0-d constant, shared per (value, dtype). */
  scalar(value: number, dtype: DType = this.dtype): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalars.get(key);
    if (!t) {
      t = this.constant([value], [], dtype);
      this.scalars.set(key, t);
    }
    return t;
  }

  /** 0-d constant equal to a (possibly symbolic) dimension, evaluated when the graph is bound. */
  dimValue(dim: Dim, dtype: DType = this.dtype): Tensor {
    return typeof dim === 'number' ? this.scalar(dim, dtype) : this.apply('DimValue', [], { dim: canonDim(dim), dtype });
  }

  /** [0, 1, …, n-1] */
  arange(n: Dim, dtype: DType = 'int64'): Tensor {
    return this.apply('Range', [], { n: canonDim(n), dtype });
  }

  /** Applies an op by name; numbers become scalars of the first tensor operand's dtype. */
  apply(op: string, operands: readonly Operand[], attrs: Attrs = {}): Tensor {
    return this.applyMulti(op, operands, attrs)[0];
  }

  applyMulti(op: string, operands: readonly Operand[], attrs: Attrs = {}): Tensor[] {
    const def = OPS[op];
    if (!def) throw new UnsupportedOpError(op, `unsupported op '${op}' (supported: ${Object.keys(OPS).filter((k) => !OPS[k].internal).sort().join(', ')})`);
    const ref = operands.find((o): o is Tensor => o instanceof Tensor && o.dtype !== 'bool');
    const inputs = operands.map((o) => {
      if (o instanceof Tensor) {
        if (o.graph !== this) throw new EngineError(`${op}: operand '${o.name}' belongs to another graph`);
        return o;
      }
      if (!ref) throw new ShapeError(op, 'needs at least one tensor operand');
      return this.scalar(o, ref.dtype);
    });
    // Common subexpressions: ops are pure, so the same op on the same inputs is built once
    // (e.g. Wᵀ used by the forward pass and by the backward pass).
    const key = `${op}|${inputs.map((t) => t.id).join(',')}|${JSON.stringify(attrs)}`;
    const seen = this.memo.get(key);
    if (seen) return [...seen.outputs];
    const specs = def.infer(inputs, attrs, op);
    const node: Node = { id: this.nodes.length, op, inputs, outputs: [], attrs };
    const prefix = this.scopes.length ? `${this.scopes.join('/')}/` : '';
    const outputs = specs.map((s, i) => {
      const id = this.nextId++;
      return new Tensor(this, id, this.claim(`${prefix}${op}_${id}${specs.length > 1 ? `:${i}` : ''}`), 'op', s.dtype, s.shape.map(canonDim), node);
    });
    (node as unknown as { outputs: Tensor[] }).outputs = outputs;
    this.nodes.push(node);
    this.memo.set(key, node);
    return outputs;
  }

  concat(parts: readonly Tensor[], axis: number): Tensor {
    if (parts.length === 0) throw new ShapeError('Concat', 'needs at least one input');
    return this.apply('Concat', parts, { axis: normAxis('Concat', axis, parts[0].rank) });
  }

  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    const ref = a instanceof Tensor ? a : b instanceof Tensor ? b : undefined;
    const dtype = ref?.dtype ?? this.dtype;
    return this.apply('Where', [cond, typeof a === 'number' ? this.scalar(a, dtype) : a, typeof b === 'number' ? this.scalar(b, dtype) : b]);
  }

  /**
   * Softmax cross-entropy of `logits` [..., vocab] against integer `labels` [...], with an ignore
   * index and optional per-token weights. See CrossEntropyOptions for the reductions.
   */
  crossEntropy(logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}): Tensor {
    const ignoreIndex = opts.ignoreIndex ?? -100;
    const reduction = opts.reduction ?? 'mean';
    const [nll] = this.applyMulti('SoftmaxCrossEntropy', [logits, labels], { ignoreIndex });
    if (opts.weights && !shapesEqual(opts.weights.shape, labels.shape))
      throw new ShapeError('CrossEntropy', `weights ${formatShape(opts.weights.shape)} must have the labels' shape ${formatShape(labels.shape)}`);
    const weighted = opts.weights ? nll.mul(opts.weights.cast(logits.dtype)) : nll;
    if (reduction === 'none') return weighted;
    const total = weighted.sum();
    if (reduction === 'sum') return total;
    let count = labels.equal(this.scalar(ignoreIndex, labels.dtype)).not().cast(logits.dtype);
    if (opts.weights) count = count.mul(opts.weights.cast(logits.dtype));
    const denom = count.sum();
    return total.div(this.where(denom.greater(0), denom, 1));
  }
}

export function dtypeOfData(data: TypedData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

export function makeData(dtype: DType, values: ArrayLike<number> | number): TypedData {
  const n = typeof values === 'number' ? values : values.length;
  const src = typeof values === 'number' ? undefined : values;
  switch (dtype) {
    case 'float32':
      return src ? Float32Array.from(src) : new Float32Array(n);
    case 'float64':
      return src ? Float64Array.from(src) : new Float64Array(n);
    case 'int32':
      return src ? Int32Array.from(src) : new Int32Array(n);
    case 'bool':
      return src ? Uint8Array.from(src, (v) => (v ? 1 : 0)) : new Uint8Array(n);
    case 'int64': {
      const a = new BigInt64Array(n);
      if (src) for (let i = 0; i < n; i++) a[i] = BigInt(Math.trunc(src[i]));
      return a;
    }
  }
}

function checkData(name: string, dtype: DType, shape: readonly Dim[], data: TypedData): void {
  const n = shape.reduce<number>((a, d) => a * (d as number), 1);
  if (dtypeOfData(data) !== dtype) throw new EngineError(`'${name}': data is ${dtypeOfData(data)}, expected ${dtype}`);
  if (data.length !== n) throw new EngineError(`'${name}': ${data.length} values for shape ${formatShape(shape)} (${n} expected)`);
}
