import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTensors, expectedTensors, parameterCount, parseHfConfig, readHfConfig, ropeInvFreq } from '../../src/runtime/models/hfConfig';

// Trimmed from the config.json files of the models named (shapes and numerics as published).
const llama32 = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', attention_bias: false, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009], head_dim: 64,
  hidden_act: 'silu', hidden_size: 2048, initializer_range: 0.02, intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false,
  num_attention_heads: 32, num_hidden_layers: 16, num_key_value_heads: 8, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: 'bfloat16', vocab_size: 128256,
};
const smollm2 = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_attention_heads: 9, num_hidden_layers: 30,
  num_key_value_heads: 3, rms_norm_eps: 1e-5, rope_theta: 100000, tie_word_embeddings: true, vocab_size: 49152, max_position_embeddings: 8192,
};
const qwen25 = {
  architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_hidden_layers: 24,
  num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, sliding_window: 32768, use_sliding_window: false, max_window_layers: 21,
  tie_word_embeddings: true, vocab_size: 151936, max_position_embeddings: 32768, bos_token_id: 151643, eos_token_id: 151643,
};
const qwen3 = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', attention_bias: false, head_dim: 128, hidden_size: 1024, intermediate_size: 3072,
  num_attention_heads: 16, num_hidden_layers: 28, num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_theta: 1000000, rope_scaling: null,
  tie_word_embeddings: true, vocab_size: 151936, max_position_embeddings: 40960, use_sliding_window: false, sliding_window: null,
};
const mistral = {
  architectures: ['MistralForCausalLM'], model_type: 'mistral', hidden_size: 4096, intermediate_size: 14336, num_attention_heads: 32, num_hidden_layers: 32,
  num_key_value_heads: 8, rms_norm_eps: 1e-5, rope_theta: 10000.0, sliding_window: 4096, tie_word_embeddings: false, vocab_size: 32000, max_position_embeddings: 32768,
};

const err = (json: unknown): string => {
  try {
    parseHfConfig(json);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};

describe('Hugging Face model config', () => {
  it('reads Llama 3.2 (GQA, head_dim, llama3 RoPE scaling, tied embeddings)', () => {
    const c = parseHfConfig(llama32);
    assert.equal(c.arch, 'llama');
    assert.equal(c.architecture, 'LlamaForCausalLM');
    assert.deepEqual([c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize], [2048, 16, 32, 8, 64, 8192, 128256]);
    assert.deepEqual(c.ropeScaling, { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    assert.equal(c.ropeTheta, 500000);
    assert.equal(c.rmsNormEps, 1e-5);
    assert.equal(c.tieWordEmbeddings, true);
    assert.deepEqual([c.qkvBias, c.oBias, c.mlpBias, c.qkNorm], [false, false, false, false]);
    assert.deepEqual(c.eosTokenId, [128001, 128008, 128009]);
    assert.equal(c.bosTokenId, 128000);
    assert.equal(c.dtype, 'bfloat16');
  });

  it('reads Qwen2.5 (q/k/v biases, sliding window off), Qwen3 (q/k norms, head_dim ≠ hidden / heads) and Mistral (window, untied)', () => {
    const q2 = parseHfConfig(qwen25);
    assert.deepEqual([q2.arch, q2.headDim, q2.qkvBias, q2.oBias, q2.qkNorm, q2.slidingWindow], ['qwen2', 64, true, false, false, null]);
    const q3 = parseHfConfig(qwen3);
    assert.deepEqual([q3.arch, q3.headDim, q3.qkvBias, q3.qkNorm, q3.maxPositionEmbeddings], ['qwen3', 128, false, true, 40960]);
    const { head_dim: _omit, ...noHeadDim } = qwen3;
    assert.equal(parseHfConfig(noHeadDim).headDim, 128); // Qwen3Config's default
    const m = parseHfConfig(mistral);
    assert.deepEqual([m.arch, m.headDim, m.slidingWindow, m.tieWordEmbeddings, m.ropeScaling], ['mistral', 128, 4096, false, null]);
    assert.equal(parseHfConfig({ ...mistral, sliding_window: null }).slidingWindow, null);
    assert.equal(parseHfConfig({ ...qwen25, use_sliding_window: true }).slidingWindow, 32768);
  });

  it('fills transformers defaults and reads transformers 5 rope_parameters', () => {
    const { architectures: _a, ...byType } = { ...smollm2, model_type: 'llama' };
    const c = parseHfConfig({ ...byType, num_key_value_heads: undefined, rms_norm_eps: undefined, rope_theta: undefined, tie_word_embeddings: undefined, max_position_embeddings: undefined });
    assert.deepEqual([c.architecture, c.numKvHeads, c.rmsNormEps, c.ropeTheta, c.tieWordEmbeddings, c.maxPositionEmbeddings, c.initializerRange], ['LlamaForCausalLM', 9, 1e-6, 10000, false, 2048, 0.02]);
    const v5 = parseHfConfig({ ...llama32, rope_theta: undefined, rope_scaling: undefined, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 32, high_freq_factor: 4, low_freq_factor: 1, original_max_position_embeddings: 8192 } });
    assert.equal(v5.ropeTheta, 500000);
    assert.equal(v5.ropeScaling?.type, 'llama3');
    const plain = parseHfConfig({ ...qwen3, rope_parameters: { rope_type: 'default', rope_theta: 5e6 } });
    assert.deepEqual([plain.ropeTheta, plain.ropeScaling], [5e6, null]);
    const lin = parseHfConfig({ ...smollm2, rope_scaling: { type: 'linear', factor: 2 } });
    assert.deepEqual(lin.ropeScaling, { type: 'linear', factor: 2 });
  });

  it('rejects what the engine cannot run, naming the field (and the supported architectures)', () => {
    assert.equal(err({ ...qwen3, architectures: ['Qwen3MoeForCausalLM'] }), 'config.json: unsupported architecture (Qwen3MoeForCausalLM): the built-in engine supports LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM');
    assert.match(err({ model_type: 'gpt2' }), /unsupported architecture \(model_type gpt2\): the built-in engine supports LlamaForCausalLM/);
    assert.match(err({}), /unsupported architecture \(no architectures or model_type\)/);
    assert.equal(err({ ...llama32, rope_scaling: { rope_type: 'yarn', factor: 4 } }), 'config.json: rope_scaling type "yarn" is not supported (supported: linear, llama3, or none)');
    assert.match(err({ ...llama32, rope_scaling: { rope_type: 'dynamic', factor: 2 } }), /type "dynamic" is not supported/);
    assert.match(err({ ...llama32, rope_scaling: { rope_type: 'llama3', factor: 8 } }), /rope_scaling\.low_freq_factor must be a positive number, got undefined/);
    assert.equal(err({ ...smollm2, hidden_size: undefined }), 'config.json: hidden_size is missing');
    assert.match(err({ ...smollm2, num_key_value_heads: 4 }), /num_attention_heads \(9\) must be a multiple of num_key_value_heads \(4\)/);
    assert.match(err({ ...smollm2, hidden_act: 'gelu' }), /hidden_act "gelu" is not supported/);
    assert.match(err({ ...smollm2, vocab_size: '49152' }), /vocab_size must be an integer ≥ 1, got "49152"/);
    assert.match(err({ ...smollm2, quantization_config: { quant_method: 'bitsandbytes' } }), /quantized models are not supported/);
    assert.match(err({ ...smollm2, hidden_size: 577 }), /hidden_size \(577\) must be a multiple of num_attention_heads \(9\)/);
    assert.match(err([]), /not a JSON object/);
  });

  it('reads config.json from a folder, with clear errors when it is missing or broken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmops-cfg-'));
    try {
      await assert.rejects(readHfConfig(dir), /no config\.json \(not a Hugging Face model folder\)/);
      writeFileSync(join(dir, 'config.json'), '{"architectures": [');
      await assert.rejects(readHfConfig(dir), /config\.json: invalid JSON/);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(qwen3));
      assert.equal((await readHfConfig(dir)).numLayers, 28);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('computes RoPE inverse frequencies with default, linear and llama3 scaling', () => {
    const d = ropeInvFreq({ headDim: 8, ropeTheta: 10000, ropeScaling: null });
    assert.deepEqual(Array.from(d), [1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]);
    assert.deepEqual(Array.from(ropeInvFreq({ headDim: 8, ropeTheta: 10000, ropeScaling: { type: 'linear', factor: 4 } })), Array.from(d, (x) => x / 4));
    const c = parseHfConfig(llama32);
    const base = ropeInvFreq({ ...c, ropeScaling: null });
    const scaled = ropeInvFreq(c);
    // Wavelengths under 8192 / 4 keep their frequency, over 8192 / 1 are divided by 32, between are blended.
    let kept = 0, divided = 0, blended = 0;
    for (let i = 0; i < base.length; i++) {
      const wavelen = (2 * Math.PI) / base[i];
      if (wavelen < 2048) {
        assert.equal(scaled[i], base[i]);
        kept++;
      } else if (wavelen > 8192) {
        assert.ok(Math.abs(scaled[i] - base[i] / 32) < 1e-18);
        divided++;
      } else {
        assert.ok(scaled[i] < base[i] && scaled[i] > base[i] / 32);
        blended++;
      }
    }
    assert.ok(kept > 0 && divided > 0 && blended > 0, `${kept} ${divided} ${blended}`);
  });

  it('lists the tensors transformers saves, and counts parameters like it (SmolLM2-135M: 134,515,008)', () => {
    const s = parseHfConfig(smollm2);
    assert.equal(parameterCount(s), 134_515_008);
    const names = expectedTensors(s);
    assert.equal(names.length, 1 + 30 * 9 + 1);
    assert.deepEqual(names.slice(0, 4), [
      { name: 'model.embed_tokens.weight', shape: [49152, 576] },
      { name: 'model.layers.0.self_attn.q_proj.weight', shape: [576, 576] },
      { name: 'model.layers.0.self_attn.k_proj.weight', shape: [192, 576] },
      { name: 'model.layers.0.self_attn.v_proj.weight', shape: [192, 576] },
    ]);
    assert.ok(!names.some((t) => t.name === 'lm_head.weight'));
    const q2 = expectedTensors(parseHfConfig({ ...qwen25, num_hidden_layers: 1 })).map((t) => `${t.name} ${t.shape.join('x')}`);
    assert.ok(q2.includes('model.layers.0.self_attn.q_proj.bias 896'));
    assert.ok(q2.includes('model.layers.0.self_attn.k_proj.bias 128'));
    assert.ok(!q2.some((n) => n.startsWith('model.layers.0.self_attn.o_proj.bias')));
    const q3 = expectedTensors(parseHfConfig({ ...qwen3, num_hidden_layers: 1 })).map((t) => `${t.name} ${t.shape.join('x')}`);
    assert.ok(q3.includes('model.layers.0.self_attn.q_proj.weight 2048x1024'));
    assert.ok(q3.includes('model.layers.0.self_attn.o_proj.weight 1024x2048'));
    assert.ok(q3.includes('model.layers.0.self_attn.q_norm.weight 128'));
    assert.ok(q3.includes('model.layers.0.self_attn.k_norm.weight 128'));
    const m = expectedTensors(parseHfConfig({ ...mistral, num_hidden_layers: 1 }));
    assert.deepEqual(m[m.length - 1], { name: 'lm_head.weight', shape: [32000, 4096] });
    const lb = expectedTensors(parseHfConfig({ ...smollm2, num_hidden_layers: 1, attention_bias: true, mlp_bias: true })).map((t) => t.name);
    assert.ok(lb.includes('model.layers.0.self_attn.o_proj.bias') && lb.includes('model.layers.0.mlp.down_proj.bias'));
  });

  it('checks a folder’s tensors against the config: missing and misshapen are errors, unused are warnings', () => {
    const c = parseHfConfig({ ...qwen3, num_hidden_layers: 1, vocab_size: 100, hidden_size: 64, head_dim: 16, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 96 });
    const shapes = new Map(expectedTensors(c).map((t) => [t.name, t.shape]));
    assert.deepEqual(checkTensors(c, shapes), []);
    shapes.set('lm_head.weight', [100, 64]); // saved next to tied embeddings: ignored by transformers
    shapes.set('model.layers.0.self_attn.rotary_emb.inv_freq', [8]);
    assert.deepEqual(checkTensors(c, shapes), []);
    shapes.delete('model.layers.0.self_attn.k_norm.weight');
    shapes.set('model.layers.0.mlp.up_proj.weight', [64, 96]);
    shapes.set('model.layers.1.mlp.up_proj.weight', [96, 64]);
    assert.deepEqual(checkTensors(c, shapes), [
      { severity: 'error', name: 'model.layers.0.self_attn.k_norm.weight', message: 'missing tensor model.layers.0.self_attn.k_norm.weight (expected shape [16])' },
      { severity: 'error', name: 'model.layers.0.mlp.up_proj.weight', message: 'tensor model.layers.0.mlp.up_proj.weight has shape [64, 96] but config.json implies [96, 64]' },
      { severity: 'warning', name: 'model.layers.1.mlp.up_proj.weight', message: 'tensor model.layers.1.mlp.up_proj.weight is not used by a Qwen3ForCausalLM' },
    ]);
  });
});
