import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHfConfig } from '../../src/runtime/models/hfConfig';
import { adapterConfigJson, loraModules, loraScaling, peftTensorName, readPeftAdapter, writePeftAdapter, type LoraAdapterConfig, type LoraWeights } from '../../src/runtime/models/peft';
import { SafetensorsFile, writeSafetensors } from '../../src/runtime/models/safetensors';
import { rng } from '../random';

const PYTHON = '/usr/bin/python3';

const modelJson = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 32, intermediate_size: 48, num_attention_heads: 4, num_key_value_heads: 2,
  head_dim: 16, num_hidden_layers: 2, vocab_size: 100, tie_word_embeddings: true,
};
const model = parseHfConfig(modelJson);
const config: LoraAdapterConfig = { r: 4, alpha: 8, dropout: 0.05, targetModules: ['q_proj', 'v_proj', 'down_proj'], baseModel: 'models/tiny-qwen3' };

function randomWeights(seed: number): LoraWeights[] {
  const rand = rng(seed);
  return loraModules(model, config.targetModules).map((m) => ({
    ...m,
    a: Float32Array.from({ length: config.r * m.in }, () => rand() - 0.5),
    b: Float32Array.from({ length: m.out * config.r }, () => rand() - 0.5),
  }));
}

describe('PEFT LoRA adapters', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmops-peft-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the adapted layers with their shapes, and scales by alpha / r (or alpha / √r with rsLoRA)', () => {
    const mods = loraModules(model, ['q_proj', 'k_proj', 'o_proj', 'gate_proj']);
    assert.deepEqual(mods.slice(0, 4), [
      { module: 'model.layers.0.self_attn.q_proj', out: 64, in: 32 },
      { module: 'model.layers.0.self_attn.k_proj', out: 32, in: 32 },
      { module: 'model.layers.0.self_attn.o_proj', out: 32, in: 64 },
      { module: 'model.layers.0.mlp.gate_proj', out: 48, in: 32 },
    ]);
    assert.equal(mods.length, 8);
    assert.throws(() => loraModules(model, ['qkv_proj']), /unknown target module qkv_proj/);
    assert.equal(loraScaling({ r: 8, alpha: 16 }), 2);
    assert.equal(loraScaling({ r: 16, alpha: 16, useRslora: true }), 4);
    assert.equal(peftTensorName('model.layers.3.self_attn.q_proj', 'A'), 'base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight');
  });

  it('writes adapter_config.json and adapter_model.safetensors with PEFT names and shapes, and reads them back', async () => {
    const weights = randomWeights(1);
    await writePeftAdapter(dir, config, weights);
    const json = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    assert.deepEqual(json, adapterConfigJson(config));
    assert.equal(json.peft_type, 'LORA');
    assert.equal(json.task_type, 'CAUSAL_LM');
    assert.equal(json.r, 4);
    assert.equal(json.lora_alpha, 8);
    assert.equal(json.lora_dropout, 0.05);
    assert.equal(json.bias, 'none');
    assert.equal(json.base_model_name_or_path, 'models/tiny-qwen3');
    assert.deepEqual(json.target_modules, ['down_proj', 'q_proj', 'v_proj']);
    assert.deepEqual(Object.keys(json), Object.keys(json).sort()); // as PEFT writes it (sort_keys)

    const f = await SafetensorsFile.open(join(dir, 'adapter_model.safetensors'));
    assert.deepEqual(f.metadata, { format: 'pt' });
    assert.deepEqual(f.info('base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight').shape, [4, 32]);
    assert.deepEqual(f.info('base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight').shape, [64, 4]);
    assert.deepEqual(f.info('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight').shape, [32, 4]);
    assert.deepEqual(f.info('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight').shape, [4, 48]);
    assert.equal(f.names().length, 2 * 3 * 2);
    await f.close();

    const back = await readPeftAdapter(dir, model);
    assert.deepEqual(back.config, { ...config, targetModules: ['down_proj', 'q_proj', 'v_proj'], useRslora: false });
    assert.deepEqual(back.weights, weights);
  });

  it('stores bf16 adapters when asked', async () => {
    const weights = randomWeights(2);
    await writePeftAdapter(dir, config, weights, { dtype: 'BF16' });
    const back = await readPeftAdapter(dir, model);
    assert.ok(back.weights.every((w, i) => w.a.every((x, j) => Math.abs(x - weights[i].a[j]) <= 2 ** -9)));
  });

  it('reads adapters saved with the adapter name in the key, and rejects broken ones', async () => {
    const w = randomWeights(3);
    const json = adapterConfigJson(config);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify(json));
    const write = (tensors: { name: string; shape: number[]; data: Float32Array }[]) => writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
    const all = w.flatMap((x) => [
      { name: `base_model.model.${x.module}.lora_A.default.weight`, shape: [4, x.in], data: x.a },
      { name: `base_model.model.${x.module}.lora_B.default.weight`, shape: [x.out, 4], data: x.b },
    ]);
    await write(all);
    assert.equal((await readPeftAdapter(dir, model)).weights.length, 6);

    await write(all.slice(1));
    await assert.rejects(readPeftAdapter(dir), /model\.layers\.0\.self_attn\.q_proj has lora_B but no lora_A/);
    await write(all.slice(2));
    await assert.rejects(readPeftAdapter(dir, model), /no LoRA matrices for model\.layers\.0\.self_attn\.q_proj/);
    await write([...all, { name: 'base_model.model.lm_head.weight', shape: [1], data: new Float32Array(1) }]);
    await assert.rejects(readPeftAdapter(dir), /tensor base_model\.model\.lm_head\.weight is not a LoRA matrix/);
    const wrong = all.map((t) => (t.name.includes('layers.0.self_attn.q_proj.lora_A') ? { ...t, shape: [2, 64], data: t.data } : t));
    await write(wrong);
    await assert.rejects(readPeftAdapter(dir), /q_proj: lora_A \[2, 64\] and lora_B \[64, 4\] do not match r = 4/);
    const otherModel = parseHfConfig({ ...modelJson, hidden_size: 64 });
    await write(all);
    await assert.rejects(readPeftAdapter(dir, otherModel), /q_proj adapts \[64, 32\] but the model's layer is \[64, 64\]/);

    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...json, peft_type: 'IA3' }));
    await assert.rejects(readPeftAdapter(dir), /peft_type "IA3" is not supported \(only LORA\)/);
    rmSync(join(dir, 'adapter_config.json'));
    await assert.rejects(readPeftAdapter(dir), /no adapter_config\.json \(not a PEFT adapter folder\)/);
    await assert.rejects(writePeftAdapter(dir, config, [{ ...w[0], a: new Float32Array(3) }]), /lora_A has 3 values, expected r × in = 4 × 32/);
  });

  it('torch sees the PEFT layout: names, [r, in] / [out, r] shapes and the delta B·A (Debian python3-torch)', async function () {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      console.log(`    skipped: ${PYTHON} has no torch (apt-get install python3-torch)`);
      this.skip();
    }
    const weights = randomWeights(4);
    await writePeftAdapter(dir, config, weights);
    const w = weights.find((x) => x.module === 'model.layers.1.self_attn.v_proj')!;
    // Our own B·A for one layer, row-major [out, in].
    const delta: number[] = [];
    for (let o = 0; o < w.out; o++) for (let i = 0; i < w.in; i++) {
      let s = 0;
      for (let k = 0; k < config.r; k++) s += w.b[o * config.r + k] * w.a[k * w.in + i];
      delta.push(s);
    }
    const script = `
import json, re, struct, sys, torch
d = sys.argv[1]
cfg = json.load(open(f'{d}/adapter_config.json'))
raw = open(f'{d}/adapter_model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
t = {}
for k, v in header.items():
    if k == '__metadata__': continue
    b, e = v['data_offsets']
    t[k] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=torch.float32).reshape(v['shape'])
pat = re.compile(r'^base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.lora_([AB])\\.weight$')
for k, v in t.items():
    m = pat.match(k)
    assert m and m.group(3) in cfg['target_modules'], k
    assert (v.shape[0] if m.group(4) == 'A' else v.shape[1]) == cfg['r'], (k, v.shape)
p = 'base_model.model.model.layers.1.self_attn.v_proj'
got = t[p + '.lora_B.weight'] @ t[p + '.lora_A.weight']
want = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(got.shape)
assert torch.allclose(got, want, atol=1e-6), (got - want).abs().max()
print('ok', len(t))
`;
    const r = spawnSync(PYTHON, ['-c', script, dir, JSON.stringify(delta)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok 12');
  });
});
