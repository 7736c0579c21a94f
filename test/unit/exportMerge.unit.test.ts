// llmops export --merge: W' = W + s·B·A exactly (float32, one rounding), from an adapter folder or a
// run folder, and the messages for bad input (missing adapter, adapter/base mismatch, unsupported
// architecture, unknown base, no ONNX model for generate).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/runtime/cli';
import { mergeAdapter, resolveAdapterSource } from '../../src/runtime/export/merge';
import { expectedTensors, parseHfConfig } from '../../src/runtime/models/hfConfig';
import { configJson } from '../../src/runtime/models/modelInit';
import { loraModules, writePeftAdapter, type LoraAdapterConfig, type LoraWeights } from '../../src/runtime/models/peft';
import { SafetensorsModel, SINGLE_FILE, writeSafetensors } from '../../src/runtime/models/safetensors';
import { rng } from '../random';

const randomArray = (rand: () => number, n: number, std: number): Float32Array => Float32Array.from({ length: n }, () => (rand() - 0.5) * 2 * std);

/** A tiny Llama model folder with random weights (no tokenizer: merge does not need one). */
async function tinyModel(dir: string, hidden: number, seed: number, arch: 'llama' | 'qwen2' = 'llama'): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const config = configJson({ arch, hidden, layers: 2, heads: 4, kvHeads: 2, ffn: 48, tokenizer: '', out: dir, vocab: 50, tieEmbeddings: false }, 1, 2);
  const cfg = parseHfConfig(config);
  const rand = rng(seed);
  await writeSafetensors(
    path.join(dir, SINGLE_FILE),
    expectedTensors(cfg).map((t) => ({ name: t.name, shape: t.shape, data: randomArray(rand, t.shape.reduce((a, b) => a * b, 1), 0.5) })),
  );
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
}

async function tinyAdapter(dir: string, baseDir: string, hidden: number, seed: number, extra: Partial<LoraAdapterConfig> = {}): Promise<{ config: LoraAdapterConfig; weights: LoraWeights[] }> {
  const config: LoraAdapterConfig = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'], baseModel: baseDir, ...extra };
  const cfg = parseHfConfig(configJson({ arch: 'llama', hidden, layers: 2, heads: 4, kvHeads: 2, ffn: 48, tokenizer: '', out: '', vocab: 50 }, 1, 2));
  const rand = rng(seed);
  const weights = loraModules(cfg, config.targetModules).map((m) => ({ ...m, a: randomArray(rand, config.r * m.in, 0.3), b: randomArray(rand, m.out * config.r, 0.3) }));
  await writePeftAdapter(dir, config, weights);
  return { config, weights };
}

function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return runCli(args, { out: (s) => (out += s), err: (s) => (err += s), cwd, color: false }).then((code) => ({ code, out, err }));
}

describe('llmops export --merge', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmops-merge-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const rslora of [false, true]) {
    it(`merged weights equal base + ${rslora ? 'alpha/√r' : 'alpha/r'}·B·A exactly (float32)`, async () => {
      const base = path.join(dir, `base-${rslora}`);
      const adapterDir = path.join(dir, `adapter-${rslora}`);
      const out = path.join(dir, `merged-${rslora}`);
      await tinyModel(base, 32, 1);
      const { config, weights } = await tinyAdapter(adapterDir, base, 32, 2, { useRslora: rslora });
      const scale = rslora ? 8 / 2 : 8 / 4;
      const r = await mergeAdapter(await resolveAdapterSource(adapterDir, dir), out);
      assert.equal(r.modules, 2 * 3);
      assert.equal(r.scale, scale);

      const b = await SafetensorsModel.open(base);
      const m = await SafetensorsModel.open(out);
      try {
        assert.deepEqual(m.names().sort(), b.names().sort());
        const byName = new Map(weights.map((w) => [`${w.module}.weight`, w]));
        for (const name of b.names()) {
          const w0 = await b.read(name);
          const got = await m.read(name);
          assert.equal(m.info(name).dtype, 'F32');
          const l = byName.get(name);
          if (!l) {
            assert.deepEqual(got, w0, `${name} is not adapted and must be copied as is`);
            continue;
          }
          // Independent naive W + s·Σₖ B[o,k]·A[k,i], rounded once to float32.
          const want = new Float32Array(w0.length);
          let maxDelta = 0;
          for (let o = 0; o < l.out; o++)
            for (let i = 0; i < l.in; i++) {
              let s = 0;
              for (let k = 0; k < config.r; k++) s += l.b[o * config.r + k] * l.a[k * l.in + i];
              want[o * l.in + i] = w0[o * l.in + i] + scale * s;
              maxDelta = Math.max(maxDelta, Math.abs(scale * s));
            }
          assert.ok(maxDelta > 0.01, `${name}: the adapter must change the weight`);
          for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) assert.fail(`${name}[${j}]: merged ${got[j]}, expected ${want[j]}`);
        }
      } finally {
        await b.close();
        await m.close();
      }
      const cfgOut = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(cfgOut.torch_dtype, 'float32');
      assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'generation_config.json'), 'utf8')), { _from_model_config: true, bos_token_id: 1, eos_token_id: 2 });
    });
  }

  it('exports a run folder (adapter/ and run.json base_model) from the CLI', async () => {
    const base = path.join(dir, 'run-base');
    const run = path.join(dir, 'runs', 'r1');
    await tinyModel(base, 32, 5);
    await tinyAdapter(path.join(run, 'adapter'), 'relative/name/ignored', 32, 6);
    writeFileSync(path.join(run, 'run.json'), JSON.stringify({ status: 'completed', base_model: base, config: { base_model: 'x' }, config_dir: dir }));
    const r = await cli(['export', 'runs/r1', '--merge', '--out', 'run-merged', '--json'], dir);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { base: string; merged_modules: number; adapter: string };
    assert.equal(j.base, base);
    assert.equal(j.adapter, path.join(run, 'adapter'));
    assert.equal(j.merged_modules, 6);
    // A second export to the same folder needs --force.
    const again = await cli(['export', 'runs/r1', '--merge', '--out', 'run-merged'], dir);
    assert.equal(again.code, 1);
    assert.match(again.err, /already holds a model .*--force/);
  });

  it('uses the newest checkpoint of a run without a final adapter, and says so', async () => {
    const base = path.join(dir, 'ck-base');
    const run = path.join(dir, 'runs', 'r2');
    await tinyModel(base, 32, 7);
    await tinyAdapter(path.join(run, 'checkpoints', 'step-5', 'adapter'), base, 32, 8);
    await tinyAdapter(path.join(run, 'checkpoints', 'step-10', 'adapter'), base, 32, 9);
    writeFileSync(path.join(run, 'run.json'), JSON.stringify({ status: 'cancelled', base_model: base }));
    const src = await resolveAdapterSource(run, dir);
    assert.equal(src.adapterDir, path.join(run, 'checkpoints', 'step-10', 'adapter'));
    assert.match(src.note ?? '', /no final adapter \(status "cancelled"\).*step-10/);
  });
});

describe('llmops export / generate: bad input', () => {
  let dir = '';
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmops-export-bad-'));
    await tinyModel(path.join(dir, 'base32'), 32, 1);
    await tinyModel(path.join(dir, 'base64'), 64, 1);
    await tinyAdapter(path.join(dir, 'adapter32'), path.join(dir, 'base32'), 32, 2);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fails = async (args: string[], code: number, pattern: RegExp): Promise<void> => {
    const r = await cli(args, dir);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, pattern);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  };

  it('missing folder, run without adapter, adapter without weights', async () => {
    await fails(['export', 'nope', '--merge', '--out', 'o'], 1, /nope: no such folder/);
    mkdirSync(path.join(dir, 'runs', 'empty'), { recursive: true });
    writeFileSync(path.join(dir, 'runs', 'empty', 'run.json'), JSON.stringify({ status: 'failed', base_model: path.join(dir, 'base32') }));
    await fails(['export', 'runs/empty', '--merge', '--out', 'o'], 1, /the run has no adapter yet .*status "failed"/);
    mkdirSync(path.join(dir, 'noweights'));
    writeFileSync(path.join(dir, 'noweights', 'adapter_config.json'), readFileSync(path.join(dir, 'adapter32', 'adapter_config.json')));
    await fails(['export', 'noweights', '--merge', '--out', 'o'], 1, /adapter_model\.safetensors: no such file/);
    mkdirSync(path.join(dir, 'plain'));
    await fails(['export', 'plain', '--merge', '--out', 'o'], 1, /not a run folder \(run\.json\) or a PEFT adapter folder/);
  });

  it('adapter and base shapes differ', async () => {
    await fails(['export', 'adapter32', '--merge', '--base', 'base64', '--out', 'o'], 1, /does not fit base .*base64.*adapts \[\d+, 32\] but the model's layer is \[\d+, 64\]/);
  });

  it('base model not found (hub id)', async () => {
    const cfg = JSON.parse(readFileSync(path.join(dir, 'adapter32', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    mkdirSync(path.join(dir, 'hub'));
    writeFileSync(path.join(dir, 'hub', 'adapter_config.json'), JSON.stringify({ ...cfg, base_model_name_or_path: 'SomeOrg/Some-Model' }));
    await fails(['export', 'hub', '--merge', '--out', 'o'], 1, /cannot find the base model "SomeOrg\/Some-Model".*pass --base <model folder>/);
  });

  it('unsupported architecture (merge and ONNX) lists the supported ones', async () => {
    const gpt2 = path.join(dir, 'gpt2');
    mkdirSync(gpt2);
    writeFileSync(path.join(gpt2, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    await fails(['export', 'gpt2', '--onnx', '--out', 'o'], 1, /unsupported architecture \(GPT2LMHeadModel\).*LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM/);
    await fails(['export', 'adapter32', '--merge', '--base', 'gpt2', '--out', 'o'], 1, /unsupported architecture \(GPT2LMHeadModel\)/);
  });

  it('usage errors, and generate without an ONNX model', async () => {
    await fails(['export', 'base32', '--out', 'o'], 2, /say what to export/);
    await fails(['export', 'adapter32', '--onnx', '--out', 'o'], 1, /not a model folder .*add --merge/);
    await fails(['export', 'base32', '--merge', '--out', 'o'], 1, /is a model folder, not a run or an adapter/);
    await fails(['export', 'adapter32', '--merge', '--out', 'adapter32'], 1, /is the adapter folder/);
    await fails(['generate', 'base32'], 2, /needs --prompt/);
    await fails(['generate', 'base32', '--prompt', 'hi'], 1, /tokenizer\.json is missing/);
    writeFileSync(path.join(dir, 'base32', 'tokenizer.json'), '{}');
    await fails(['generate', 'base32', '--prompt', 'hi'], 1, /onnx\/model\.onnx is missing \(no ONNX model: write one with `llmops export/);
  });
});
