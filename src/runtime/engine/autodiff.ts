// Reverse-mode differentiation over the IR. Gradients are built with the same builder, so they are
// shape-checked nodes of the same graph and are emitted into the same ONNX model as the forward pass.
import { formatShape, shapesEqual } from './dims';
import { EngineError, UnsupportedOpError } from './errors';
import type { Tensor } from './graph';
import { isFloat } from './onnx';
import { OPS } from './ops';

/**
 * d`loss`/d`wrt` for each tensor in `wrt` (same order). Only nodes on a path from some `wrt` tensor
 * to `loss` are differentiated, and each VJP builds only the input gradients that lead to a requested
 * tensor, so frozen weights and inputs get no gradient work at all. A tensor used several times
 * receives the sum of its contributions (one ONNX Sum). A `wrt` tensor the loss does not depend on
 * gets zeros.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const g = loss.graph;
  if (!isFloat(loss.dtype)) throw new EngineError(`cannot differentiate '${loss.name}': it is ${loss.dtype}, not a float tensor`);
  for (const w of wrt) {
    if (w.graph !== g) throw new EngineError(`'${w.name}' belongs to another graph`);
    if (w.kind === 'param' && !w.trainable) throw new EngineError(`parameter '${w.name}' is frozen: frozen weights get no gradient (make it trainable or leave it out of wrt)`);
    if (!isFloat(w.dtype)) throw new EngineError(`cannot differentiate with respect to '${w.name}': it is ${w.dtype}`);
  }
  if (!seed) {
    if (!loss.shape.every((d) => d === 1)) throw new EngineError(`loss '${loss.name}' has shape ${formatShape(loss.shape)}: reduce it to a scalar or pass a seed gradient`);
    seed = loss.rank === 0 ? g.scalar(1, loss.dtype) : g.scalar(1, loss.dtype).expand(loss.shape);
  } else if (!shapesEqual(seed.shape, loss.shape)) throw new EngineError(`seed ${formatShape(seed.shape)} does not match loss ${formatShape(loss.shape)}`);

  const nodes = g.nodes.slice(0, loss.producer ? loss.producer.id + 1 : 0);

  // Forward: tensors that depend on some wrt tensor through float values.
  const active = new Set<Tensor>(wrt);
  for (const n of nodes) if (n.inputs.some((t) => active.has(t))) for (const o of n.outputs) if (isFloat(o.dtype)) active.add(o);
  // Backward: tensors the loss depends on.
  const needed = new Set<Tensor>([loss]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.outputs.some((o) => needed.has(o))) for (const t of n.inputs) needed.add(t);
  }
  const relevant = (t: Tensor): boolean => active.has(t) && needed.has(t);

  const contributions = new Map<Tensor, Tensor[]>([[loss, [seed]]]);
  const total = (t: Tensor): Tensor | undefined => {
    const list = contributions.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) {
      const sum = g.apply('Sum', list);
      contributions.set(t, [sum]);
      return sum;
    }
    return list[0];
  };

  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some(relevant)) continue;
    const needs = n.inputs.map(relevant);
    if (!needs.some(Boolean)) continue;
    const gouts = n.outputs.map(total);
    if (gouts.every((x) => x === undefined)) continue;
    const def = OPS[n.op];
    if (def.vjp === 'none') continue;
    if (!def.vjp) throw new UnsupportedOpError(n.op, `no gradient for op '${n.op}' (output '${n.outputs[0].name}')`);
    const dins = def.vjp(n, gouts, needs);
    n.inputs.forEach((t, k) => {
      const d = dins[k];
      if (!needs[k] || !d) return;
      if (!shapesEqual(d.shape, t.shape) || d.dtype !== t.dtype)
        throw new EngineError(`internal: gradient of ${n.op} input ${k} is ${d.dtype}${formatShape(d.shape)}, expected ${t.dtype}${formatShape(t.shape)}`);
      const list = contributions.get(t);
      if (list) list.push(d);
      else contributions.set(t, [d]);
    });
  }

  return wrt.map((w) => total(w) ?? g.scalar(0, w.dtype).expand(w.shape));
}
