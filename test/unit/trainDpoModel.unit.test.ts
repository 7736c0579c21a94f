// DPO on the built-in engine against a plain-PyTorch reference (test/reference/dpo_model.py on top of
// llama_model.py, Debian's python3-torch): the loss, the policy and reference sequence log-probs and
// the LoRA gradients of one step on a tiny random Llama, ≤ 1e-4 relative.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../src/runtime/engine/program';
import { readHfConfig } from '../../src/runtime/models/hfConfig';
import { SafetensorsModel } from '../../src/runtime/models/safetensors';
import { addDpoHead, dpoFeeds } from '../../src/runtime/train/dpo';
import { buildLlama, loraScale, ropeCosSin } from '../../src/runtime/train/llamaModel';
import { makePreferenceBatch, type PreferencePair } from '../../src/runtime/train/preferenceData';
import { rng } from '../random';
import { PYTHON, rawBytes, relErr, torchScratch } from '../reference/torch';
import { tinyModel } from '../reference/tinyModel';

const SCRIPT = join(__dirname, '..', 'reference', 'dpo_model.py');

const bytes = rawBytes;

describe('train: DPO loss and LoRA gradients vs PyTorch reference', function () {
  this.timeout(120000);
  const scratch = torchScratch('llmops-dpo-ref-');

  it('one step on a tiny random Llama: loss, log-probs and LoRA gradients ≤ 1e-4', async () => {
    const dir = scratch();
    const folder = await tinyModel(dir);
    const cfg = await readHfConfig(folder);
    const st = await SafetensorsModel.open(folder);
    const lora = { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj', 'o_proj', 'down_proj'] };
    const m = await buildLlama(cfg, st, { lora, seed: 3 });
    await st.close();
    const beta = 0.5;
    const head = addDpoHead(m, beta);
    const rand = rng(11);
    for (const a of m.adapters) {
      const b = a.b.data as Float32Array;
      for (let i = 0; i < b.length; i++) b[i] = 0.2 * (rand() - 0.5);
    }
    // Three pairs of different lengths: a shared random prompt, completions of random tokens.
    const tok = () => Math.floor(rand() * 5000);
    const side = (prompt: number[], n: number, line: number) => {
      const ids = [...prompt, ...Array.from({ length: n }, tok)];
      return { ids: Int32Array.from(ids), weights: Float32Array.from(ids, (_, k) => (k >= prompt.length ? 1 : 0)), line };
    };
    const pairs: PreferencePair[] = [3, 5, 2].map((pl, i) => {
      const prompt = Array.from({ length: pl }, tok);
      return { chosen: side(prompt, 4 + i, i + 1), rejected: side(prompt, 6 - i, i + 1), line: i + 1 };
    });
    const b = makePreferenceBatch(pairs, 64);
    const { cos, sin } = ropeCosSin(cfg, b.seq);
    const feeds = (lossScale: number, ls: number) => ({
      input_ids: { data: b.inputIds, shape: [b.batch, b.seq] },
      cos: { data: cos, shape: [b.seq, cfg.headDim] },
      sin: { data: sin, shape: [b.seq, cfg.headDim] },
      pick: { data: b.pick, shape: [b.pick.length] },
      labels: { data: b.labels, shape: [b.labels.length] },
      weights: { data: b.weights, shape: [b.weights.length] },
      loss_scale: { data: Float32Array.of(lossScale), shape: [] },
      lora_scale: { data: Float32Array.of(ls), shape: [] },
    });
    const logp = compile(m.graph, { outputs: { chosen: head.chosenLogp, rejected: head.rejectedLogp } });
    const r0 = await logp.run({ ...feeds(1, 0), ...dpoFeeds(b) });
    const ref = { chosen: r0.outputs.chosen.data as Float32Array, rejected: r0.outputs.rejected.data as Float32Array };
    const program = compile(m.graph, { loss: head.loss, wrt: m.adapters.flatMap((a) => [a.a, a.b]), outputs: { chosen: head.chosenLogp, rejected: head.rejectedLogp } });
    const res = await program.run({ ...feeds(1 / pairs.length, loraScale(lora)), ...dpoFeeds(b, ref) });
    await logp.dispose();
    await program.dispose();

    const work = join(dir, 'work');
    mkdirSync(work);
    const w = new Float32Array(b.batch * b.seq);
    [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)].forEach((e, r) => w.set(e.weights, r * b.seq));
    writeFileSync(join(work, 'input_ids.i64'), bytes(b.inputIds));
    writeFileSync(join(work, 'weights.f32'), bytes(w));
    const shapes: Record<string, { A: number[]; B: number[] }> = {};
    for (const a of m.adapters) {
      writeFileSync(join(work, `${a.module}.lora_A.f32`), bytes(a.a.data as Float32Array));
      writeFileSync(join(work, `${a.module}.lora_B.f32`), bytes(a.b.data as Float32Array));
      shapes[a.module] = { A: [lora.r, a.in], B: [a.out, lora.r] };
    }
    writeFileSync(join(work, 'manifest.json'), JSON.stringify({ model: folder, batch: b.batch, seq: b.seq, pairs: pairs.length, beta, lora: { modules: m.adapters.map((a) => a.module), shapes, scale: loraScale(lora) } }));
    const py = spawnSync(PYTHON, [SCRIPT, 'check', work], { encoding: 'utf8' });
    assert.equal(py.status, 0, `reference failed: ${py.stderr}`);
    const t = JSON.parse(readFileSync(join(work, 'result.json'), 'utf8')) as { loss: number; policy: number[]; reference: number[] };
    const f32 = (file: string) => {
      const x = readFileSync(join(work, file));
      return new Float32Array(x.buffer, x.byteOffset, x.byteLength / 4);
    };
    const lossErr = Math.abs(res.loss! - t.loss) / Math.abs(t.loss);
    const policyErr = relErr([...(res.outputs.chosen.data as Float32Array), ...(res.outputs.rejected.data as Float32Array)], t.policy);
    const refErr = relErr([...ref.chosen, ...ref.rejected], t.reference);
    let gradErr = 0;
    let gradAbs = 0;
    for (const a of m.adapters)
      for (const [mine, file] of [[res.grads.get(a.a.name)!, `grad.${a.module}.lora_A.f32`], [res.grads.get(a.b.name)!, `grad.${a.module}.lora_B.f32`]] as const) {
        const theirs = f32(file);
        gradErr = Math.max(gradErr, relErr(mine, theirs));
        for (let i = 0; i < theirs.length; i++) gradAbs = Math.max(gradAbs, Math.abs(mine[i] - theirs[i]));
      }
    console.log(`      loss ${res.loss} vs torch ${t.loss} (rel ${lossErr.toExponential(2)}); log-probs policy ${policyErr.toExponential(2)}, reference ${refErr.toExponential(2)}; LoRA grads rel ${gradErr.toExponential(2)} (max abs ${gradAbs.toExponential(2)})`);
    // Non-trivial: the adapters moved the policy, so the loss is not ln 2.
    assert.ok(Math.abs(t.loss - Math.LN2) > 1e-3, `torch loss ${t.loss}`);
    assert.ok(lossErr <= 1e-4, `loss: relative error ${lossErr}`);
    assert.ok(policyErr <= 1e-4 && refErr <= 1e-4, `log-probs: ${policyErr}, ${refErr}`);
    assert.ok(gradErr <= 1e-4, `LoRA gradients: relative error ${gradErr}`);
  });
});
