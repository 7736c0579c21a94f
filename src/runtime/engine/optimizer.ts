// AdamW on the trainable tensors, in TypeScript: LoRA adapters are small (≈1 M values for a 30-layer
// model at r = 8), so a loop over Float32Array costs a few ms against seconds of ORT work per step.
import { EngineError } from './errors';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export interface AdamWState {
  step: number;
  m: Record<string, Float32Array | Float64Array>;
  v: Record<string, Float32Array | Float64Array>;
}

type Float = Float32Array | Float64Array;

/** torch.optim.AdamW semantics: decoupled weight decay p ← p·(1 − lr·wd), bias-corrected moments. */
export class AdamW {
  private t = 0;
  private readonly m = new Map<string, Float>();
  private readonly v = new Map<string, Float>();
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;

  constructor(opts: AdamWOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }

  get stepCount(): number {
    return this.t;
  }

  /** Updates each parameter in place from its gradient. `lr` overrides the current rate (schedules). */
  step(params: ReadonlyMap<string, Float> | Iterable<readonly [string, Float]>, grads: ReadonlyMap<string, Float>, lr = this.lr): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const decay = 1 - lr * this.weightDecay;
    const stepSize = lr / c1;
    const invSqrtC2 = 1 / Math.sqrt(c2);
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) throw new EngineError(`AdamW: no gradient for '${name}'`);
      if (g.length !== p.length) throw new EngineError(`AdamW: gradient of '${name}' has ${g.length} values, parameter ${p.length}`);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new (p.constructor as Float64ArrayConstructor)(p.length);
        v = new (p.constructor as Float64ArrayConstructor)(p.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
        const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
        p[i] = p[i] * decay - (stepSize * mi) / (Math.sqrt(vi) * invSqrtC2 + eps);
      }
    }
  }

  /** Moments and step count, for checkpoints (resume gives identical updates). */
  state(): AdamWState {
    return { step: this.t, m: Object.fromEntries(this.m), v: Object.fromEntries(this.v) };
  }

  load(state: AdamWState): void {
    this.t = state.step;
    this.m.clear();
    this.v.clear();
    for (const [k, a] of Object.entries(state.m)) this.m.set(k, a.slice());
    for (const [k, a] of Object.entries(state.v)) this.v.set(k, a.slice());
  }
}

/** Global L2 norm of the gradients; scales them in place to `maxNorm` when above it (torch clip_grad_norm_). */
export function clipGradNorm(grads: Iterable<Float>, maxNorm: number): number {
  const list = [...grads];
  let sq = 0;
  for (const g of list) for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of list) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return norm;
}

/** acc += g, elementwise (gradient accumulation over micro-batches). */
export function accumulate(acc: Map<string, Float>, grads: ReadonlyMap<string, Float>, scale = 1): void {
  for (const [k, g] of grads) {
    const a = acc.get(k);
    if (!a) {
      const copy = g.slice();
      if (scale !== 1) for (let i = 0; i < copy.length; i++) copy[i] *= scale;
      acc.set(k, copy);
    } else for (let i = 0; i < g.length; i++) a[i] += g[i] * scale;
  }
}
