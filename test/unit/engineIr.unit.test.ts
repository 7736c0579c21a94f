// The IR plumbing: symbolic dims, the protobuf / ModelProto writer, shape buckets, frozen weights as
// initializers or feeds, dump, and the optimizer.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { canonDim, dimDiv, dimEq, dimMul, dimSub, evalDim } from '../../src/runtime/engine/dims';
import { Graph } from '../../src/runtime/engine/graph';
import { attention, causalMask, ropeTables } from '../../src/runtime/engine/layers';
import { IR_VERSION, OPSET } from '../../src/runtime/engine/onnx';
import { accumulate, AdamW, clipGradNorm } from '../../src/runtime/engine/optimizer';
import { compile } from '../../src/runtime/engine/program';
import { decodeFields, Message } from '../../src/runtime/engine/protobuf';
import { randomData } from '../reference/finiteDiff';
import { rng } from '../random';

describe('engine IR', () => {
  it('keeps symbolic dims in a canonical form', () => {
    assert.equal(canonDim('seq*batch'), 'batch*seq');
    assert.ok(dimEq('batch*seq*2', '2*seq*batch'));
    assert.equal(dimMul('batch', 'seq'), 'batch*seq');
    assert.equal(dimDiv('batch*seq*576', 'batch*seq'), 576);
    assert.equal(dimDiv('batch*seq', 'heads'), undefined);
    assert.equal(dimSub('seq', 1), 'seq-1');
    assert.equal(canonDim('(seq+1)-1'), 'seq');
    assert.equal(evalDim('batch*seq-1', { batch: 2, seq: 5 }), 9);
    assert.throws(() => evalDim('seq', {}), /'seq' has no size/);
  });

  it('infers shapes through reshapes of symbolic dims', () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 'seq', 576]);
    const flat = x.reshape([-1, 576]);
    assert.deepEqual(flat.shape, ['batch*seq', 576]);
    const heads = x.reshape(['batch', 'seq', 9, -1]).transpose([0, 2, 1, 3]);
    assert.deepEqual(heads.shape, ['batch', 9, 'seq', 64]);
    assert.deepEqual(heads.transpose([0, 2, 1, 3]).reshape(['batch', 'seq', 576]).add(x).shape, ['batch', 'seq', 576]);
    assert.deepEqual(x.slice(1, 1, 2 ** 62).shape, ['batch', 'seq-1', 576]);
    assert.deepEqual(g.concat([x, x], 1).shape, ['batch', '2*seq', 576]);
  });

  it('writes protobuf varints, including negative int64 as 10 bytes', () => {
    const m = new Message().varint(1, 300).varint(2, -1).string(3, 'hé').float(4, 1.5);
    const f = decodeFields(m.encode());
    assert.equal(f.get(1)![0], 300n);
    assert.equal(f.get(2)![0], 2n ** 64n - 1n);
    assert.equal(new TextDecoder().decode(f.get(3)![0] as Uint8Array), 'hé');
    assert.equal(f.get(4)![0], 1.5);
    assert.equal(new Message().varint(1, -1).size(), 11);
  });

  it('emits a ModelProto with IR version 8 and opset 18 that ORT loads from a buffer and from a dump', async () => {
    const g = new Graph();
    const x = g.input('x', ['n', 3]);
    const w = g.param('w', [3, 2], { trainable: true, data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    const p = compile(g, { loss: x.matmul(w).sum() });
    const bytes = p.model({ n: 2 }).bytes;
    const model = decodeFields(bytes);
    assert.equal(model.get(1)![0], BigInt(IR_VERSION));
    assert.ok(IR_VERSION >= 8 && OPSET >= 17);
    const opset = decodeFields(model.get(8)![0] as Uint8Array);
    assert.equal(opset.get(2)![0], BigInt(OPSET));
    const dir = mkdtempSync(join(tmpdir(), 'llmops-engine-'));
    try {
      p.dump(join(dir, 'step.onnx'), { n: 2 });
      const s = await ort.InferenceSession.create(join(dir, 'step.onnx'));
      assert.deepEqual([...s.inputNames].sort(), ['w', 'x']);
      assert.deepEqual([...s.outputNames].sort(), ['out:grad:w', 'out:loss']);
      await s.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = await p.run({ x: { data: Float32Array.from([1, 0, 0, 0, 1, 1]), shape: [2, 3] } });
    assert.equal(r.loss, 1 + 2 + 8 + 10);
    assert.deepEqual([...r.grads.get('w')!], [1, 1, 1, 1, 1, 1]);
    await p.dispose();
  });

  it('emits a dynamic model when dims are left unbound (same results as the bucketed models)', async () => {
    const rand = rng(9);
    const g = new Graph();
    const [Hd, H, KV, D] = [8, 4, 2, 2];
    const x = g.input('x', ['batch', 'seq', Hd]);
    const cos = g.input('cos', ['seq', D]);
    const sin = g.input('sin', ['seq', D]);
    const p = (name: string, shape: number[]) => g.param(name, shape, { trainable: true, data: randomData(rand, 'float32', shape[0] * shape[1]) as Float32Array });
    const w = { q: p('q', [H * D, Hd]), k: p('k', [KV * D, Hd]), v: p('v', [KV * D, Hd]), o: p('o', [Hd, H * D]) };
    const y = attention(x, w, { heads: H, kvHeads: KV, headDim: D }, { cos, sin }, causalMask(g, 'seq'));
    // Exercises dynamic Reshape, Range, Slice ends, Pad (slice gradient) and a mean over symbolic dims.
    const loss = y.slice(1, 1, 2 ** 62).mul(y.slice(1, 0, -1)).mean();
    const program = compile(g, { loss });
    const session = await ort.InferenceSession.create(program.model({}).bytes);
    for (const [b, sq] of [
      [1, 3],
      [2, 5],
    ]) {
      const t = ropeTables(sq, D, 10000);
      const feeds = { x: { data: randomData(rand, 'float32', b * sq * Hd) as Float32Array, shape: [b, sq, Hd] }, cos: { data: t.cos, shape: [sq, D] }, sin: { data: t.sin, shape: [sq, D] } };
      const bucketed = await program.run(feeds);
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, f] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', f.data as Float32Array, f.shape);
      for (const t of Object.values(w)) ortFeeds[t.name] = new ort.Tensor('float32', t.data as Float32Array, t.shape as number[]);
      const dynamic = await session.run(ortFeeds);
      assert.ok(Math.abs(Number(dynamic['out:loss'].data[0]) - bucketed.loss!) < 1e-6);
      const gq = dynamic['out:grad:q'].data as Float32Array;
      bucketed.grads.get('q')!.forEach((v, i) => assert.ok(Math.abs(v - gq[i]) < 1e-6));
    }
    assert.equal(program.bucketCount, 2);
    await session.release();
    await program.dispose();
  });

  it('caches one session per shape bucket', async () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 'seq']);
    const w = g.param('w', [1], { trainable: true, data: Float32Array.from([2]) });
    const p = compile(g, { loss: x.mul(w).mean() });
    const feed = (b: number, s: number) => ({ x: { data: new Float32Array(b * s).fill(1), shape: [b, s] } });
    assert.equal((await p.run(feed(1, 4))).loss, 2);
    await p.run(feed(1, 4));
    assert.equal(p.bucketCount, 1);
    const r = await p.run(feed(2, 8));
    assert.deepEqual(r.dims, { batch: 2, seq: 8 });
    assert.equal(p.bucketCount, 2);
    await p.dispose();
  });

  it('gives the same results with frozen weights as initializers or as feeds, on 1 or 2 threads', async () => {
    const rand = rng(5);
    const g = new Graph();
    const x = g.input('x', ['batch', 8]);
    const frozen = g.param('frozen', [16, 8], { trainable: false, data: randomData(rand, 'float32', 128) as Float32Array });
    const a = g.param('a', [4, 8], { trainable: true, data: randomData(rand, 'float32', 32) as Float32Array });
    const loss = x.matmul(frozen.t()).tanh().sum().add(x.matmul(a.t()).sigmoid().sum());
    const feeds = { x: { data: randomData(rand, 'float32', 24) as Float32Array, shape: [3, 8] } };
    const results = [];
    for (const [frozenAs, threads] of [['initializer', 1], ['feed', 2]] as const) {
      const p = compile(g, { loss, frozenAs, threads });
      results.push(await p.run(feeds));
      await p.dispose();
    }
    assert.ok(Math.abs(results[0].loss! - results[1].loss!) < 1e-5);
    assert.deepEqual([...results[0].grads.get('a')!].map((v) => v.toFixed(5)), [...results[1].grads.get('a')!].map((v) => v.toFixed(5)));
  });

  it('AdamW follows torch.optim.AdamW for two steps; clipping and accumulation', () => {
    const p = Float64Array.from([1, -2]);
    const opt = new AdamW({ lr: 0.1, weightDecay: 0.1 });
    const g1 = Float64Array.from([0.5, -0.25]);
    opt.step([['p', p]], new Map([['p', g1]]));
    // Step 1: m̂ = g, v̂ = g², so p ← p·(1 − lr·wd) − lr·g/(|g| + eps).
    assert.ok(Math.abs(p[0] - (1 * 0.99 - 0.1)) < 1e-7);
    assert.ok(Math.abs(p[1] - (-2 * 0.99 + 0.1)) < 1e-7);
    const before = p[0];
    opt.step([['p', p]], new Map([['p', Float64Array.from([0.1, 0])]]));
    const m = 0.9 * 0.1 * 0.5 + 0.1 * 0.1;
    const v = 0.999 * 0.001 * 0.25 + 0.001 * 0.01;
    const expected = before * 0.99 - ((0.1 / (1 - 0.81)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8);
    assert.ok(Math.abs(p[0] - expected) < 1e-7, `${p[0]} vs ${expected}`);
    const restored = new AdamW({ lr: 0.1 });
    restored.load(opt.state());
    assert.equal(restored.stepCount, 2);

    const grads = [Float32Array.from([3, 4])];
    assert.equal(clipGradNorm(grads, 1), 5);
    assert.ok(Math.abs(Math.hypot(grads[0][0], grads[0][1]) - 1) < 1e-5);
    const acc = new Map<string, Float32Array>();
    accumulate(acc, new Map([['a', Float32Array.from([1, 2])]]), 0.5);
    accumulate(acc, new Map([['a', Float32Array.from([1, 2])]]), 0.5);
    assert.deepEqual([...acc.get('a')!], [1, 2]);
  });
});
