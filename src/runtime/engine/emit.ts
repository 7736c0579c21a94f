// IR → ONNX ModelProto for one binding of the symbolic dims (one shape bucket). Only the nodes the
// requested outputs depend on are written. With every dim bound, every shape in the model is
// concrete, so ORT can plan memory and pick kernels once per bucket; dims left unbound stay symbolic
// (dim_param) and the shapes ops need are computed from the inputs' shapes at run time (a dynamic
// model, e.g. for export).
import { canonDim, dimTerms, tryEvalDim, type Dim, type Shape } from './dims';
import { EngineError } from './errors';
import type { Graph, Node, Tensor } from './graph';
import { encodeModel, MS_DOMAIN, ONNX_DTYPE, rawBytes, type DType, type OnnxAttr, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx';
import { makeData } from './graph';
import { OPS, swapsLastTwo, type Emitter } from './ops';

export type FrozenAs = 'initializer' | 'feed';

export interface EmitOptions {
  /** Graph outputs: ONNX output name → tensor. */
  outputs: ReadonlyArray<readonly [string, Tensor]>;
  /** Sizes of the symbolic dims; unbound ones stay dynamic. */
  dims: Readonly<Record<string, number>>;
  /** Frozen parameters written into the model, or fed at each run like trainable ones. */
  frozenAs: FrozenAs;
}

export interface EmittedModel {
  bytes: Uint8Array;
  /** Graph inputs the caller must feed: model inputs and parameters fed at run time. */
  feeds: Tensor[];
  /** Floating-point operations of one run (MatMul only). */
  flops: number;
  nodeCount: number;
}

export function emitModel(graph: Graph, opts: EmitOptions): EmittedModel {
  // Nodes the outputs depend on.
  const neededTensors = new Set<Tensor>(opts.outputs.map(([, t]) => t));
  const neededNodes: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (!n.outputs.some((o) => neededTensors.has(o))) continue;
    neededNodes.push(n);
    for (const t of n.inputs) neededTensors.add(t);
  }
  neededNodes.reverse();

  // Transposes of the last two axes whose every consumer is a float32 MatMul are not emitted: the
  // MatMuls become FusedMatMul with transA / transB (fewer nodes, no copy, less for ORT to optimise).
  const outputSet = new Set(opts.outputs.map(([, t]) => t));
  const consumers = new Map<Tensor, Node[]>();
  for (const n of neededNodes)
    for (const t of n.inputs) {
      const list = consumers.get(t);
      if (list) list.push(n);
      else consumers.set(t, [n]);
    }
  const absorbed = new Map<Tensor, Tensor>();
  for (const n of neededNodes) {
    const y = n.outputs[0];
    if (n.op !== 'Transpose' || y.dtype !== 'float32' || outputSet.has(y) || !swapsLastTwo(n.attrs.perm as number[])) continue;
    if ((consumers.get(y) ?? []).every((c) => c.op === 'MatMul' && c.inputs[0] !== c.inputs[1])) absorbed.set(y, n.inputs[0]);
  }

  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const inputs: OnnxValueInfo[] = [];
  const feeds: Tensor[] = [];
  const constCache = new Map<string, string>();
  let flops = 0;
  let tmp = 0;
  let usesMs = false;
  let current = '';

  const dim = (d: Dim): number | undefined => {
    const v = tryEvalDim(d, opts.dims);
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new EngineError(`dimension ${d} evaluates to ${v} with ${JSON.stringify(opts.dims)}`);
    return v;
  };
  const shape = (s: Shape): (number | string)[] => s.map((d) => dim(d) ?? String(canonDim(d)));
  const concrete = (s: Shape): number[] =>
    s.map((d) => {
      const v = dim(d);
      if (v === undefined) throw new EngineError(`'${current}': shape [${s.join(', ')}] must be concrete`);
      return v;
    });
  const constant = (dtype: DType, dims: number[], values: readonly number[]): string => {
    const key = `${dtype}[${dims.join(',')}]${values.join(',')}`;
    let name = constCache.get(key);
    if (!name) {
      name = `c${constCache.size}_${dtype}`;
      initializers.push({ name, dtype, dims, raw: rawBytes(makeData(dtype, values)) });
      constCache.set(key, name);
    }
    return name;
  };

  const node = (op: string, ins: readonly string[], outs: readonly string[] | number, attrs?: readonly OnnxAttr[], domain?: string): string[] => {
    const outputs = typeof outs === 'number' ? Array.from({ length: outs }, () => `${current}/t${tmp++}`) : [...outs];
    if (domain === MS_DOMAIN) usesMs = true;
    nodes.push({ op, inputs: ins, outputs, name: `${current}#${nodes.length}`, attrs, domain });
    return outputs;
  };
  const ints = (values: readonly number[]): string => constant('int64', [values.length], values);

  // Dynamic dims: each unbound symbol is read once from the shape of an input that carries it.
  const runtime = new Map<string, string>();
  const symbolTensor = (sym: string): string => {
    let name = runtime.get(sym);
    if (name) return name;
    const saved = current;
    current = `dim:${sym}`;
    for (const t of neededTensors)
      if (t.kind === 'input') {
        const axis = t.shape.findIndex((d) => d === sym);
        if (axis >= 0) {
          [name] = node('Shape', [t.name], 1, [
            { name: 'start', int: axis },
            { name: 'end', int: axis + 1 },
          ]);
          break;
        }
      }
    current = saved;
    if (!name) throw new EngineError(`dimension '${sym}' is not bound and no input of the model carries it`);
    runtime.set(sym, name);
    return name;
  };
  /** A dim as a 1-D int64 tensor of length 1. */
  const dimTensor = (d: Dim): string => {
    const v = dim(d);
    if (v !== undefined) return ints([v]);
    const key = `=${canonDim(d)}`;
    let name = runtime.get(key);
    if (name) return name;
    let sum: string | undefined;
    for (const { coef, syms } of dimTerms(d)) {
      let term = coef === 1 && syms.length ? undefined : ints([coef]);
      for (const s of syms) term = term ? node('Mul', [term, symbolTensor(s)], 1)[0] : symbolTensor(s);
      sum = sum ? node('Add', [sum, term!], 1)[0] : term;
    }
    name = sum ?? ints([0]);
    runtime.set(key, name);
    return name;
  };

  const e: Emitter = {
    name: (t) => t.name,
    dim,
    dims(ds) {
      const values = ds.map(dim);
      if (values.every((v) => v !== undefined)) return ints(values as number[]);
      return node('Concat', ds.map(dimTensor), 1, [{ name: 'axis', int: 0 }])[0];
    },
    dimScalar(d, dtype) {
      const v = dim(d);
      if (v !== undefined) return constant(dtype, [], [v]);
      const [scalar] = node('Reshape', [dimTensor(d), ints([])], 1);
      return dtype === 'int64' ? scalar : node('Cast', [scalar], 1, [{ name: 'to', int: ONNX_DTYPE[dtype] }])[0];
    },
    node,
    ints,
    scalar: (value, dtype) => constant(dtype, [], [value]),
    flops: (n) => {
      flops += n;
    },
    absorbed: (t) => absorbed.get(t),
  };

  // Leaves: inputs, parameters, constants.
  for (const t of neededTensors) {
    if (t.kind === 'op') continue;
    if (t.kind === 'input' || (t.kind === 'param' && (t.trainable || opts.frozenAs === 'feed'))) {
      inputs.push({ name: t.name, dtype: t.dtype, shape: shape(t.shape) });
      feeds.push(t);
      continue;
    }
    if (!t.data) throw new EngineError(`${t.kind === 'param' ? 'parameter' : 'constant'} '${t.name}' has no data`);
    initializers.push({ name: t.name, dtype: t.dtype, dims: concrete(t.shape), raw: rawBytes(t.data) });
  }

  for (const n of neededNodes) {
    if (absorbed.has(n.outputs[0])) continue;
    current = n.outputs[0].name;
    OPS[n.op].emit(e, n);
  }

  const outputs: OnnxValueInfo[] = [];
  const defined = new Set([...inputs.map((v) => v.name), ...initializers.map((v) => v.name), ...nodes.flatMap((n) => n.outputs)]);
  for (const [name, t] of opts.outputs) {
    if (name !== t.name && defined.has(name)) throw new EngineError(`output name '${name}' is already the name of another value in the model`);
    if (name !== t.name) nodes.push({ op: 'Identity', inputs: [t.name], outputs: [name], name: `out:${name}` });
    outputs.push({ name, dtype: t.dtype, shape: shape(t.shape) });
  }

  const bytes = encodeModel({ name: 'llmops', nodes, inputs, outputs, initializers }, { msDomain: usesMs });
  return { bytes, feeds, flops, nodeCount: nodes.length };
}
