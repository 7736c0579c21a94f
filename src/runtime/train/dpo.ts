/**
 * DPO (Rafailov et al. 2023) on top of the decoder graph: sequence log-probabilities of the chosen
 * and rejected completions (sums over their completion tokens), and the loss
 *   −log σ(β·((log πθ(c) − log πref(c)) − (log πθ(r) − log πref(r))))
 * summed over pairs and scaled by `loss_scale` (1 / pairs of the optimizer step: the mean over pairs).
 *
 * The reference log-probabilities are graph inputs: they come from a forward-only run of the same
 * graph with the adapters disabled (lora_scale = 0), so no gradient can reach them.
 */
import type { Tensor } from '../engine/graph';
import type { HostTensor } from '../engine/program';
import type { LlamaGraph } from './llamaModel';
import type { PreferenceBatch } from './preferenceData';

export interface DpoHead {
  /** Policy (or, with lora_scale 0, reference) log-probabilities [pairs]. */
  chosenLogp: Tensor;
  rejectedLogp: Tensor;
  /** Per-pair loss −log σ(z) [pairs]. */
  pairLoss: Tensor;
  /** Σ pairLoss · loss_scale. */
  loss: Tensor;
}

/**
 * softplus(x) = log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^−|x|). Both pieces switch on the
 * same condition (x > 0), so the gradient is σ(x) everywhere, 1/2 at x = 0 included (where the
 * first DPO step sits: policy = reference).
 */
export function softplus(x: Tensor): Tensor {
  const g = x.graph;
  const pos = x.greater(0);
  return g.where(pos, x, 0).add(g.where(pos, x.neg(), x).exp().add(1).log());
}

/** Adds the DPO inputs (seg_chosen, seg_rejected [pairs, tokens]; ref_chosen, ref_rejected [pairs]) and loss to a decoder graph. */
export function addDpoHead(model: LlamaGraph, beta: number): DpoHead {
  const g = model.graph;
  const lossScale = g.inputs.find((t) => t.name === 'loss_scale')!;
  const segChosen = g.input('seg_chosen', ['pairs', 'tokens']);
  const segRejected = g.input('seg_rejected', ['pairs', 'tokens']);
  const refChosen = g.input('ref_chosen', ['pairs']);
  const refRejected = g.input('ref_rejected', ['pairs']);
  // tokenLoss is weight·nll = −log p per completion token (weights are 1 there, 0 elsewhere).
  const nll = model.tokenLoss.unsqueeze(1);
  const chosenLogp = segChosen.matmul(nll).squeeze(1).neg();
  const rejectedLogp = segRejected.matmul(nll).squeeze(1).neg();
  const z = chosenLogp.sub(refChosen).sub(rejectedLogp.sub(refRejected)).mul(beta);
  const pairLoss = softplus(z.neg());
  const loss = pairLoss.sum().mul(lossScale);
  return { chosenLogp, rejectedLogp, pairLoss, loss };
}

/** Extra feeds of a preference batch (the decoder's own come from the Batch part). */
export function dpoFeeds(b: PreferenceBatch, ref?: { chosen: Float32Array; rejected: Float32Array }): Record<string, HostTensor> {
  const T = b.pick.length;
  const out: Record<string, HostTensor> = {
    seg_chosen: { data: b.segChosen, shape: [b.pairs, T] },
    seg_rejected: { data: b.segRejected, shape: [b.pairs, T] },
  };
  if (ref) {
    out.ref_chosen = { data: ref.chosen, shape: [b.pairs] };
    out.ref_rejected = { data: ref.rejected, shape: [b.pairs] };
  }
  return out;
}

/** Running sums of the DPO metrics over the pairs of a step (or of an evaluation). */
export class DpoStats {
  pairs = 0;
  loss = 0;
  chosen = 0;
  rejected = 0;
  correct = 0;
  constructor(readonly beta: number) {}

  /** Adds the pairs of one batch from the policy and reference log-probabilities; returns Σ pair losses (float64). */
  add(policy: { chosen: ArrayLike<number>; rejected: ArrayLike<number> }, ref: { chosen: ArrayLike<number>; rejected: ArrayLike<number> }): number {
    let sum = 0;
    for (let i = 0; i < policy.chosen.length; i++) {
      const rc = this.beta * (policy.chosen[i] - ref.chosen[i]);
      const rr = this.beta * (policy.rejected[i] - ref.rejected[i]);
      const z = rc - rr;
      sum += Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      this.chosen += rc;
      this.rejected += rr;
      if (rc > rr) this.correct++;
      this.pairs++;
    }
    this.loss += sum;
    return sum;
  }

  /** TRL's metric names. */
  metrics(): { 'rewards/chosen': number; 'rewards/rejected': number; 'rewards/margins': number; 'rewards/accuracies': number } {
    const n = Math.max(this.pairs, 1);
    return { 'rewards/chosen': this.chosen / n, 'rewards/rejected': this.rejected / n, 'rewards/margins': (this.chosen - this.rejected) / n, 'rewards/accuracies': this.correct / n };
  }
}
