// A compiled training (or inference) step: the forward graph plus the requested gradients, emitted to
// ONNX and run on onnxruntime-node, one cached session per shape bucket.
import { writeFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { gradients } from './autodiff';
import { dimSymbols, evalDim, formatShape } from './dims';
import { emitModel, type EmittedModel, type FrozenAs } from './emit';
import { EngineError, NonFiniteError, type NonFiniteReport } from './errors';
import { dtypeOfData, type DType, type Graph, type Tensor, type TypedData } from './graph';

/** A tensor on the host: row-major data and its shape. */
export interface HostTensor {
  data: TypedData;
  shape: readonly number[];
}

export interface CompileOptions {
  /** Scalar loss; gradients are d loss / d wrt. */
  loss?: Tensor;
  /** Tensors to differentiate against (default: every trainable parameter of the graph). */
  wrt?: readonly Tensor[];
  /** Extra values to fetch (logits, per-token losses…), by name. */
  outputs?: Readonly<Record<string, Tensor>>;
  /**
   * Frozen parameters as feeds (default) or as initializers written into each bucket's model.
   * Measured (test/bench/engine.ts, one thread): initializers make a Llama block's step ~5% faster
   * (ORT prepacks constant weights), but a 30-layer model's session takes ~2× longer to create, each
   * bucket's model and session holds its own copy of the weights, and protobuf caps a model at 2 GB
   * (1B-class fp32 models cannot use them at all). Feeds share the caller's arrays with every session.
   */
  frozenAs?: FrozenAs;
  /** ORT intra-op threads (default: ORT's choice, all cores). */
  threads?: number;
  /** Check gradients (and the loss) for NaN/Inf after each run and throw NonFiniteError (default true). */
  checkFinite?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface RunResult {
  loss?: number;
  /** Gradient per wrt tensor name. */
  grads: Map<string, Float32Array | Float64Array>;
  outputs: Record<string, HostTensor>;
  /** Sizes the symbolic dims were bound to. */
  dims: Record<string, number>;
  /** Milliseconds inside session.run, and for the whole call. */
  ortMs: number;
  totalMs: number;
}

// ONNX output names, prefixed so they cannot collide with tensor names of the model.
const LOSS = 'out:loss';
const gradName = (t: Tensor): string => `out:grad:${t.name}`;
const outName = (k: string): string => `out:${k}`;

export class Program {
  readonly loss: Tensor | undefined;
  readonly wrt: readonly Tensor[];
  /** Gradient tensors in the IR, one per wrt tensor. */
  readonly gradients: readonly Tensor[];
  private readonly outputList: Array<readonly [string, Tensor]>;
  private readonly extraOutputs: string[];
  private readonly frozenAs: FrozenAs;
  private readonly sessions = new Map<string, Promise<{ session: ort.InferenceSession; model: EmittedModel }>>();
  private readonly paramTensors = new Map<TypedData, ort.Tensor>();

  constructor(
    readonly graph: Graph,
    private readonly opts: CompileOptions,
  ) {
    this.loss = opts.loss;
    this.wrt = opts.loss ? (opts.wrt ?? graph.params.filter((p) => p.trainable)) : [];
    this.gradients = opts.loss ? gradients(opts.loss, this.wrt) : [];
    this.frozenAs = opts.frozenAs ?? 'feed';
    this.outputList = [];
    if (this.loss) this.outputList.push([LOSS, this.loss]);
    this.wrt.forEach((w, i) => this.outputList.push([gradName(w), this.gradients[i]]));
    this.extraOutputs = Object.keys(opts.outputs ?? {});
    for (const [k, t] of Object.entries(opts.outputs ?? {})) this.outputList.push([outName(k), t]);
    if (this.outputList.length === 0) throw new EngineError('nothing to compute: give a loss or outputs');
  }

  /** Binds symbolic dims from the shapes of the feeds (and checks every fed shape and dtype). */
  bind(feeds: Readonly<Record<string, HostTensor>>, dims: Readonly<Record<string, number>> = {}): Record<string, number> {
    const out: Record<string, number> = { ...dims };
    for (const t of this.graph.inputs) {
      const f = feeds[t.name];
      if (!f) continue;
      if (f.shape.length !== t.rank) throw new EngineError(`input '${t.name}': fed shape ${formatShape(f.shape)} has rank ${f.shape.length}, declared ${formatShape(t.shape)}`);
      t.shape.forEach((d, i) => {
        if (typeof d === 'string' && dimSymbols(d).length === 1 && dimSymbols(d)[0] === d) {
          const prev = out[d];
          if (prev !== undefined && prev !== f.shape[i]) throw new EngineError(`input '${t.name}': '${d}' is ${f.shape[i]} here but ${prev} elsewhere (shape ${formatShape(f.shape)})`);
          out[d] = f.shape[i];
        }
      });
    }
    for (const t of this.graph.inputs) {
      const f = feeds[t.name];
      if (!f) continue;
      t.shape.forEach((d, i) => {
        if (evalDim(d, out) !== f.shape[i]) throw new EngineError(`input '${t.name}': fed shape ${formatShape(f.shape)} does not match declared ${formatShape(t.shape)} with ${JSON.stringify(out)}`);
      });
      const dt = dtypeOfData(f.data);
      if (dt !== t.dtype) throw new EngineError(`input '${t.name}': fed ${dt}, declared ${t.dtype}`);
      const n = f.shape.reduce((a, b) => a * b, 1);
      if (f.data.length !== n) throw new EngineError(`input '${t.name}': ${f.data.length} values for shape ${formatShape(f.shape)}`);
    }
    return out;
  }

  /** The ONNX model for one binding of the dims (all shapes concrete). */
  model(dims: Readonly<Record<string, number>>): EmittedModel {
    return emitModel(this.graph, { outputs: this.outputList, dims, frozenAs: this.frozenAs });
  }

  /** Writes the model for `dims` to an .onnx file (open it in Netron). */
  dump(path: string, dims: Readonly<Record<string, number>> = {}): void {
    writeFileSync(path, this.model(dims).bytes);
  }

  /** Number of shape buckets with a session (created or being created). */
  get bucketCount(): number {
    return this.sessions.size;
  }

  /** The cached session for a shape bucket (created on first use). */
  async session(dims: Readonly<Record<string, number>>): Promise<{ session: ort.InferenceSession; model: EmittedModel }> {
    const key = JSON.stringify(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const model = this.model(dims);
        const options: ort.InferenceSession.SessionOptions = {
          // ORT's extended fusions create float-only kernels (x·sigmoid(x) → QuickGelu) even in float64 graphs.
          graphOptimizationLevel: this.opts.graphOptimizationLevel ?? (this.graph.dtype === 'float64' ? 'basic' : 'all'),
          executionMode: 'sequential',
          interOpNumThreads: 1,
        };
        if (this.opts.threads) options.intraOpNumThreads = this.opts.threads;
        const session = await ort.InferenceSession.create(model.bytes, options);
        // The serialised weights are not needed once ORT holds its own copy.
        return { session, model: { ...model, bytes: new Uint8Array(0) } };
      })();
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  /** Runs forward (+ backward) on the feeds; parameters are fed from their data arrays. */
  async run(feeds: Readonly<Record<string, HostTensor>>, opts: { dims?: Readonly<Record<string, number>> } = {}): Promise<RunResult> {
    const t0 = performance.now();
    const dims = this.bind(feeds, opts.dims);
    const { session, model } = await this.session(dims);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const t of model.feeds) {
      if (t.kind === 'param') {
        if (!t.data) throw new EngineError(`parameter '${t.name}' has no data`);
        let ot = this.paramTensors.get(t.data);
        if (!ot) {
          ot = new ort.Tensor(t.dtype, t.data, t.shape as number[]);
          this.paramTensors.set(t.data, ot);
        }
        ortFeeds[t.name] = ot;
      } else {
        const f = feeds[t.name];
        if (!f) throw new EngineError(`missing feed for input '${t.name}' ${formatShape(t.shape)}`);
        ortFeeds[t.name] = new ort.Tensor(t.dtype, f.data, f.shape as number[]);
      }
    }
    const t1 = performance.now();
    const res = await session.run(ortFeeds);
    const t2 = performance.now();

    const result: RunResult = { grads: new Map(), outputs: {}, dims, ortMs: t2 - t1, totalMs: 0 };
    const reports: NonFiniteReport[] = [];
    const check = this.opts.checkFinite !== false;
    if (this.loss) {
      result.loss = Number((res[LOSS].data as Float32Array)[0]);
      if (check && !Number.isFinite(result.loss)) reports.push({ name: 'loss', kind: 'output', nan: Number.isNaN(result.loss) ? 1 : 0, inf: Number.isNaN(result.loss) ? 0 : 1, first: 0 });
    }
    for (const w of this.wrt) {
      const data = res[gradName(w)].data as Float32Array | Float64Array;
      result.grads.set(w.name, data);
      if (check) {
        const r = scanFinite(data);
        if (r) reports.push({ name: w.name, kind: 'gradient', ...r });
      }
    }
    for (const k of this.extraOutputs) {
      const v = res[outName(k)];
      result.outputs[k] = { data: v.data as TypedData, shape: v.dims };
    }
    if (reports.length) throw new NonFiniteError(reports);
    result.totalMs = performance.now() - t0;
    return result;
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.paramTensors.clear();
    for (const s of all) await (await s).session.release();
  }
}

/** Counts NaN and Inf; undefined when all values are finite. */
export function scanFinite(a: Float32Array | Float64Array): { nan: number; inf: number; first: number } | undefined {
  let nan = 0;
  let inf = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v - v !== 0) {
      if (v !== v) nan++;
      else inf++;
      if (first < 0) first = i;
    }
  }
  return first < 0 ? undefined : { nan, inf, first };
}

/** Compiles a graph: differentiates `loss` against `wrt` and prepares per-bucket sessions. */
export function compile(graph: Graph, opts: CompileOptions): Program {
  return new Program(graph, opts);
}

export function hostTensor(dtype: DType, data: ArrayLike<number> | TypedData, shape: readonly number[]): HostTensor {
  if (ArrayBuffer.isView(data)) return { data: data as TypedData, shape };
  const n = shape.reduce((a, b) => a * b, 1);
  let out: TypedData;
  switch (dtype) {
    case 'float32':
      out = Float32Array.from(data);
      break;
    case 'float64':
      out = Float64Array.from(data);
      break;
    case 'int32':
      out = Int32Array.from(data);
      break;
    case 'bool':
      out = Uint8Array.from(data, (v) => (v ? 1 : 0));
      break;
    case 'int64':
      out = BigInt64Array.from(Array.from(data, (v) => BigInt(Math.trunc(v))));
      break;
  }
  if (out.length !== n) throw new EngineError(`${out.length} values for shape ${formatShape(shape)}`);
  return { data: out, shape };
}
