// Whole graphs: loss and every requested gradient vs finite differences (float64), and pruning
// (frozen weights and unrequested tensors cost no gradient work).
import { strict as assert } from 'node:assert';
import { Graph, type Tensor } from '../../src/runtime/engine/graph';
import { attention, causalMask, decoderLayer, linear, rmsNorm, ropeTables, swiglu, type Lora } from '../../src/runtime/engine/layers';
import { compile, type HostTensor } from '../../src/runtime/engine/program';
import { finiteDiff, randomData } from '../reference/finiteDiff';
import { rng } from '../random';

const F64 = { h: 1e-6, rtol: 1e-6, atol: 1e-8, maxElements: 24 };

function paramFactory(g: Graph, rand: () => number) {
  return (name: string, shape: number[], trainable = true, scale = 0.5): Tensor =>
    g.param(name, shape, { trainable, data: randomData(rand, 'float64', shape.reduce((a, b) => a * b, 1), -scale, scale) });
}

function feed(rand: () => number, shape: number[], lo = -1, hi = 1): HostTensor {
  return { data: randomData(rand, 'float64', shape.reduce((a, b) => a * b, 1), lo, hi), shape };
}

describe('engine graphs: gradients vs finite differences', function () {
  this.timeout(60000);

  it('2-layer MLP with cross-entropy (all weights)', async () => {
    const rand = rng(11);
    const g = new Graph({ dtype: 'float64' });
    const p = paramFactory(g, rand);
    const x = g.input('x', ['batch', 4]);
    const y = g.input('y', ['batch'], 'int64');
    const w1 = p('w1', [8, 4]);
    const b1 = p('b1', [8]);
    const w2 = p('w2', [3, 8]);
    const b2 = p('b2', [3]);
    const logits = linear(linear(x, w1, { bias: b1 }).tanh(), w2, { bias: b2 });
    const loss = g.crossEntropy(logits, y);
    const r = await finiteDiff(g, loss, { wrt: [w1, b1, w2, b2], feeds: { x: feed(rand, [5, 4]), y: { data: BigInt64Array.from([0n, 2n, 1n, -100n, 2n]), shape: [5] } }, ...F64 });
    assert.ok(r.worst <= 1, r.where);
    assert.ok(r.loss > 0.5 && r.loss < 3, `loss ${r.loss}`);
  });

  it('causal self-attention with RoPE and GQA (4 heads / 2 KV heads), gradients for every weight and the input', async () => {
    const rand = rng(12);
    const g = new Graph({ dtype: 'float64' });
    const p = paramFactory(g, rand);
    const [B, S, Hd, H, KV, D] = [2, 5, 16, 4, 2, 4];
    const x = g.input('x', ['batch', 'seq', Hd]);
    const cos = g.input('cos', ['seq', D]);
    const sin = g.input('sin', ['seq', D]);
    const w = { q: p('q', [H * D, Hd]), k: p('k', [KV * D, Hd]), v: p('v', [KV * D, Hd]), o: p('o', [Hd, H * D]) };
    const out = attention(x, w, { heads: H, kvHeads: KV, headDim: D }, { cos, sin }, causalMask(g, 'seq'));
    const t = ropeTables(S, D, 10000, 'float64');
    const r = await finiteDiff(g, out, {
      wrt: [w.q, w.k, w.v, w.o, x],
      feeds: { x: feed(rand, [B, S, Hd]), cos: { data: t.cos, shape: [S, D] }, sin: { data: t.sin, shape: [S, D] } },
      ...F64,
    });
    assert.ok(r.worst <= 1, r.where);
  });

  it('attention with a per-sequence mask (causal + padding) and a LoRA scale fed at run time (0 = adapters off)', async () => {
    const rand = rng(15);
    const g = new Graph({ dtype: 'float64' });
    const p = paramFactory(g, rand);
    const [B, S, Hd, H, KV, D, R] = [2, 4, 8, 2, 1, 4, 2];
    const x = g.input('x', ['batch', 'seq', Hd]);
    const mask = g.input('mask', ['batch', 'seq', 'seq']);
    const scale = g.input('scale', []);
    const cos = g.input('cos', ['seq', D]);
    const sin = g.input('sin', ['seq', D]);
    const lora = { a: p('q.lora_A', [R, Hd]), b: p('q.lora_B', [H * D, R]), scale };
    const w = { q: p('q', [H * D, Hd], false), k: p('k', [KV * D, Hd], false), v: p('v', [KV * D, Hd], false), o: p('o', [Hd, H * D], false), lora: { q: lora } };
    const out = attention(x, w, { heads: H, kvHeads: KV, headDim: D }, { cos, sin }, mask);
    // Sequence 2 has one padding token at the front: it attends to itself only, nobody attends to it.
    const m = new Float64Array(B * S * S);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) m[(b * S + i) * S + j] = j > i || (b === 1 && j === 0 && i > 0) ? -1e9 : 0;
    const t = ropeTables(S, D, 10000, 'float64');
    const feeds = { x: feed(rand, [B, S, Hd]), mask: { data: m, shape: [B, S, S] }, scale: { data: Float64Array.from([2]), shape: [] }, cos: { data: t.cos, shape: [S, D] }, sin: { data: t.sin, shape: [S, D] } };
    const r = await finiteDiff(g, out, { wrt: [lora.a, lora.b, x], feeds, ...F64 });
    assert.ok(r.worst <= 1, r.where);

    const y = compile(g, { outputs: { y: out } });
    const on = (await y.run(feeds)).outputs.y.data as Float64Array;
    const off = (await y.run({ ...feeds, scale: { data: Float64Array.from([0]), shape: [] } })).outputs.y.data as Float64Array;
    const base = compile(g, { outputs: { y: attention(x, { ...w, lora: {} }, { heads: H, kvHeads: KV, headDim: D }, { cos, sin }, mask) } });
    const ref = (await base.run(feeds)).outputs.y.data as Float64Array;
    off.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-12));
    assert.ok(on.some((v, i) => Math.abs(v - ref[i]) > 1e-3));
    await y.dispose();
    await base.dispose();
  });

  it('RMSNorm + SwiGLU block with a residual (all weights and the input)', async () => {
    const rand = rng(13);
    const g = new Graph({ dtype: 'float64' });
    const p = paramFactory(g, rand);
    const x = g.input('x', ['batch', 'seq', 8]);
    const norm = g.param('norm', [8], { trainable: true, data: randomData(rand, 'float64', 8, 0.5, 1.5) });
    const mlp = { gate: p('gate', [12, 8]), up: p('up', [12, 8]), down: p('down', [8, 12]) };
    const out = x.add(swiglu(rmsNorm(x, norm, 1e-6), mlp));
    const r = await finiteDiff(g, out, { wrt: [norm, mlp.gate, mlp.up, mlp.down, x], feeds: { x: feed(rand, [2, 3, 8]) }, ...F64 });
    assert.ok(r.worst <= 1, r.where);
  });

  it('decoder layer with frozen weights: only the LoRA adapters are differentiated', async () => {
    const rand = rng(14);
    const g = new Graph({ dtype: 'float64' });
    const p = paramFactory(g, rand);
    const [B, S, Hd, H, KV, D, F, R] = [1, 4, 12, 3, 1, 4, 16, 2];
    const x = g.input('x', ['batch', 'seq', Hd]);
    const cos = g.input('cos', ['seq', D]);
    const sin = g.input('sin', ['seq', D]);
    const lora = (name: string, out: number, inp: number): Lora => ({ a: p(`${name}.lora_A`, [R, inp]), b: p(`${name}.lora_B`, [out, R]), scale: 2 });
    const attn = {
      q: p('q', [H * D, Hd], false),
      k: p('k', [KV * D, Hd], false),
      v: p('v', [KV * D, Hd], false),
      o: p('o', [Hd, H * D], false),
      lora: { q: lora('q', H * D, Hd), v: lora('v', KV * D, Hd) },
    };
    const w = {
      inputNorm: p('ln1', [Hd], false),
      postNorm: p('ln2', [Hd], false),
      attn,
      mlp: { gate: p('gate', [F, Hd], false), up: p('up', [F, Hd], false), down: p('down', [Hd, F], false) },
    };
    const out = decoderLayer(x, w, { heads: H, kvHeads: KV, headDim: D, eps: 1e-6 }, { cos, sin }, causalMask(g, 'seq'));
    const t = ropeTables(S, D, 10000, 'float64');
    const feeds = { x: feed(rand, [B, S, Hd]), cos: { data: t.cos, shape: [S, D] }, sin: { data: t.sin, shape: [S, D] } };
    const adapters = [attn.lora.q.a, attn.lora.q.b, attn.lora.v.a, attn.lora.v.b];
    const r = await finiteDiff(g, out, { wrt: adapters, feeds, ...F64 });
    assert.ok(r.worst <= 1, r.where);

    // Pruning: no gradient work for frozen weights. Every MatMul of the backward pass has a rank-2
    // operand, so the backward FLOPs stay far below the forward's 2× that full fine-tuning needs.
    const loss = out.sum();
    const fwd = compile(g, { outputs: { y: out } }).model({ batch: 1, seq: 64 });
    const train = compile(g, { loss, wrt: adapters }).model({ batch: 1, seq: 64 });
    const full = compile(g, { loss, wrt: [x, ...adapters] }).model({ batch: 1, seq: 64 });
    assert.ok(train.flops < 2.3 * fwd.flops, `LoRA-only step ${train.flops} vs forward ${fwd.flops}`);
    assert.ok(full.flops > train.flops);
  });
});

describe('engine graphs: pruning', () => {
  it('builds no gradient for frozen weights and refuses to differentiate them', () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const frozen = g.param('frozen', [3, 3], { trainable: false, data: new Float32Array(9) });
    const a = g.param('a', [3, 3], { trainable: true, data: new Float32Array(9) });
    const loss = x.matmul(frozen).matmul(a).sum();
    const p = compile(g, { loss });
    assert.deepEqual(
      p.wrt.map((t) => t.name),
      ['a'],
    );
    // Forward: two MatMuls; backward for `a` only: one (xW)ᵀ·g — none for `frozen` or `x`.
    const m = p.model({});
    assert.equal(m.flops, 2 * 2 * 3 * 3 + 2 * 2 * 3 * 3 + 2 * 3 * 3 * 2);
    assert.throws(() => compile(g, { loss, wrt: [frozen] }), /parameter 'frozen' is frozen/);
  });
});
