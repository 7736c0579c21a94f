// Central finite differences against the engine's reverse-mode gradients, both evaluated by ORT.
import { evalDim } from '../../src/runtime/engine/dims';
import type { Graph, Tensor, TypedData } from '../../src/runtime/engine/graph';
import { compile, type HostTensor } from '../../src/runtime/engine/program';
import { rng } from '../random';

export interface FdOptions {
  /** Differentiate against these (graph inputs fed in `feeds`, or parameters with data). */
  wrt: readonly Tensor[];
  feeds: Record<string, HostTensor>;
  h: number;
  rtol: number;
  atol: number;
  /** Check at most this many elements per tensor (random subset; all when smaller). */
  maxElements?: number;
  seed?: number;
}

export interface FdResult {
  loss: number;
  /** Worst |analytic - numeric| / (atol + rtol·|numeric|) over all checked elements (≤ 1 passes). */
  worst: number;
  where: string;
  checked: number;
}

/**
 * Projects `out` to a scalar with a fixed random tensor (so every output element matters), then
 * compares the engine's gradient of that scalar with central differences of the forward pass.
 */
export async function finiteDiff(g: Graph, out: Tensor, o: FdOptions): Promise<FdResult> {
  const rand = rng(o.seed ?? 1);
  let loss = out;
  const feeds = { ...o.feeds };
  if (!(out.rank === 0)) {
    const r = g.input(`__proj${g.inputs.length}`, out.shape, out.dtype);
    loss = out.mul(r).sum();
    const probe = compile(g, { outputs: { x: out } });
    const dims = probe.bind(feeds);
    const shape = out.shape.map((d) => evalDim(d, dims));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = out.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rand() * 2 - 1;
    feeds[r.name] = { data, shape };
  }
  const train = compile(g, { loss, wrt: o.wrt });
  const fwd = compile(g, { outputs: { l: loss }, checkFinite: false });
  const res = await train.run(feeds);
  const lossAt = async (): Promise<number> => Number((await fwd.run(feeds)).outputs.l.data[0]);

  let worst = 0;
  let where = '';
  let checked = 0;
  for (const w of o.wrt) {
    const arr = (w.kind === 'param' ? w.data : feeds[w.name]?.data) as TypedData as Float32Array | Float64Array;
    if (!arr) throw new Error(`no data for ${w.name}`);
    const grad = res.grads.get(w.name)!;
    let idx = [...arr.keys()];
    if (o.maxElements && idx.length > o.maxElements) {
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      idx = idx.slice(0, o.maxElements);
    }
    for (const i of idx) {
      const v = arr[i];
      arr[i] = v + o.h;
      const lp = await lossAt();
      arr[i] = v - o.h;
      const lm = await lossAt();
      arr[i] = v;
      const num = (lp - lm) / (2 * o.h);
      const err = Math.abs(grad[i] - num) / (o.atol + o.rtol * Math.abs(num));
      checked++;
      if (!(err <= worst)) {
        worst = err;
        where = `${w.name}[${i}]: analytic ${grad[i]}, numeric ${num}`;
      }
    }
  }
  await train.dispose();
  await fwd.dispose();
  return { loss: res.loss!, worst, where, checked };
}

/** Random float data in [lo, hi). */
export function randomData(rand: () => number, dtype: 'float32' | 'float64', n: number, lo = -1, hi = 1): Float32Array | Float64Array {
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}
