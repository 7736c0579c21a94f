// The engine against a plain-PyTorch implementation of the same decoder layer (test/reference/
// llama_block.py, Debian's python3-torch at /usr/bin/python3): loss, gradients and one AdamW step
// in float32 to ≤ 1e-4 relative error (max-norm of the difference over the max-norm of torch's value).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, type Tensor } from '../../src/runtime/engine/graph';
import { causalMask, decoderLayer, ropeTables, type Lora } from '../../src/runtime/engine/layers';
import { AdamW } from '../../src/runtime/engine/optimizer';
import { compile } from '../../src/runtime/engine/program';
import { randomData } from '../reference/finiteDiff';
import { rng } from '../random';
import { PYTHON, relErr, torchScratch } from '../reference/torch';

const SCRIPT = join(__dirname, '..', 'reference', 'llama_block.py');



describe('engine vs PyTorch reference (decoder layer + LoRA + cross-entropy, float32)', function () {
  this.timeout(60000);
  const scratch = torchScratch('llmops-engine-ref-');

  it('matches loss, gradients and one AdamW step to ≤ 1e-4', async () => {
    const dir = scratch();
    const rand = rng(21);
    const [B, S, Hd, H, KV, F, V, R] = [2, 7, 32, 4, 2, 48, 11, 4];
    const D = Hd / H;
    const cfg = { heads: H, kv_heads: KV, head_dim: D, rope_theta: 10000, eps: 1e-5, lora_targets: ['q', 'k', 'v', 'o'], lora_scale: 2 };
    const g = new Graph({ dtype: 'float32' });
    const manifest: { config: typeof cfg; tensors: Record<string, { shape: number[]; dtype: string; file: string }>; trainable: string[]; adamw: { params: string[]; lr: number; weight_decay: number } } = {
      config: cfg,
      tensors: {},
      trainable: [],
      adamw: { params: [], lr: 1e-2, weight_decay: 0.01 },
    };
    const save = (name: string, shape: number[], data: Float32Array | BigInt64Array) => {
      writeFileSync(join(dir, `${name}.bin`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      manifest.tensors[name] = { shape, dtype: data instanceof Float32Array ? 'float32' : 'int64', file: `${name}.bin` };
    };
    const params: Tensor[] = [];
    const p = (name: string, shape: number[], trainable: boolean, lo = -0.3, hi = 0.3): Tensor => {
      const data = randomData(rand, 'float32', shape.reduce((a, b) => a * b, 1), lo, hi) as Float32Array;
      save(name, shape, data);
      if (trainable) manifest.trainable.push(name);
      const t = g.param(name, shape, { trainable, data });
      params.push(t);
      return t;
    };
    const lora = (name: string, out: number): Lora => ({ a: p(`${name}.lora_A`, [R, Hd], true), b: p(`${name}.lora_B`, [out, R], true), scale: cfg.lora_scale });
    const attn = {
      q: p('q', [H * D, Hd], false),
      k: p('k', [KV * D, Hd], false),
      v: p('v', [KV * D, Hd], false),
      o: p('o', [Hd, H * D], false),
      lora: { q: lora('q', H * D), k: lora('k', KV * D), v: lora('v', KV * D), o: lora('o', Hd) },
    };
    const w = {
      inputNorm: p('ln1', [Hd], true, 0.8, 1.2),
      postNorm: p('ln2', [Hd], true, 0.8, 1.2),
      attn,
      mlp: { gate: p('gate', [F, Hd], false), up: p('up', [F, Hd], false), down: p('down', [Hd, F], false) },
    };
    const head = p('head', [V, Hd], false);

    const x = g.input('x', ['batch', 'seq', Hd]);
    const labels = g.input('labels', ['batch', 'seq'], 'int64');
    const weights = g.input('weights', ['batch', 'seq']);
    const cos = g.input('cos', ['seq', D]);
    const sin = g.input('sin', ['seq', D]);
    const out = decoderLayer(x, w, { heads: H, kvHeads: KV, headDim: D, eps: cfg.eps }, { cos, sin }, causalMask(g, 'seq'));
    const logits = out.matmul(head.t());
    const loss = g.crossEntropy(logits, labels, { weights });

    const xData = randomData(rand, 'float32', B * S * Hd, -1, 1) as Float32Array;
    const labelData = BigInt64Array.from({ length: B * S }, (_, i) => (i % 5 === 3 ? -100n : BigInt(Math.floor(rand() * V))));
    const weightData = Float32Array.from({ length: B * S }, (_, i) => (i % 4 === 0 ? 0.5 : 1));
    save('x', [B, S, Hd], xData);
    save('labels', [B, S], labelData);
    save('weights', [B, S], weightData);
    manifest.trainable.push('x');
    const adapters = params.filter((t) => t.name.includes('lora'));
    manifest.adamw.params = adapters.map((t) => t.name);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));

    const wrt = [...params.filter((t) => t.trainable), x];
    const program = compile(g, { loss, wrt });
    const t = ropeTables(S, D, cfg.rope_theta);
    const res = await program.run({ x: { data: xData, shape: [B, S, Hd] }, labels: { data: labelData, shape: [B, S] }, weights: { data: weightData, shape: [B, S] }, cos: { data: t.cos, shape: [S, D] }, sin: { data: t.sin, shape: [S, D] } });
    await program.dispose();

    const py = spawnSync(PYTHON, [SCRIPT, 'check', dir], { encoding: 'utf8' });
    assert.equal(py.status, 0, `reference failed: ${py.stderr}`);
    const ref = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { loss: number };
    const readF32 = (file: string) => {
      const b = readFileSync(join(dir, file));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };

    assert.ok(Math.abs(res.loss! - ref.loss) / Math.abs(ref.loss) <= 1e-4, `loss ${res.loss} vs torch ${ref.loss}`);
    for (const name of manifest.trainable) {
      const e = relErr(res.grads.get(name)!, readF32(`grad.${name}.f32`));
      assert.ok(e <= 1e-4, `gradient of ${name}: relative error ${e.toExponential(2)}`);
    }

    const opt = new AdamW({ lr: manifest.adamw.lr, weightDecay: manifest.adamw.weight_decay });
    opt.step(
      adapters.map((a) => [a.name, a.data as Float32Array] as const),
      res.grads as Map<string, Float32Array>,
    );
    for (const a of adapters) {
      const e = relErr(a.data as Float32Array, readF32(`adamw.${a.name}.f32`));
      assert.ok(e <= 1e-4, `AdamW step of ${a.name}: relative error ${e.toExponential(2)}`);
    }
  });
});
