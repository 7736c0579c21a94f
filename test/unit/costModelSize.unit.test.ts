import { strict as assert } from 'node:assert';
import { archFromConfig, knownArch, linearShapes, paramBreakdown, paramsFromName } from '../../src/core/cost/modelSize';

/** |actual / expected − 1| ≤ 0.5%. */
function near(actual: number | undefined, expected: number, what: string): void {
  assert.ok(actual !== undefined && Math.abs(actual / expected - 1) <= 0.005, `${what}: ${actual} is not within 0.5% of ${expected}`);
}

describe('cost: model size from config.json', () => {
  it('SmolLM2-135M: 134.5M (tied embeddings, GQA 9/3)', () => {
    const a = archFromConfig({
      model_type: 'llama',
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      vocab_size: 49152,
      tie_word_embeddings: true,
    });
    // embed 49152·576 = 28,311,552; per layer q,o 576·576 ×2 + k,v 576·192 ×2 = 884,736,
    // MLP 3·576·1536 = 2,654,208, 2 norms 1,152 → 3,540,096 × 30 = 106,202,880; final norm 576.
    assert.equal(a?.params, 28_311_552 + 106_202_880 + 576);
    near(a?.params, 134.5e6, 'SmolLM2-135M');
    assert.equal(a?.tiedEmbeddings, true);
  });

  it('Qwen2.5-0.5B: 494M (q/k/v biases are hard-coded in Qwen2)', () => {
    const a = archFromConfig({
      model_type: 'qwen2',
      hidden_size: 896,
      intermediate_size: 4864,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      vocab_size: 151936,
      tie_word_embeddings: true,
    });
    // per layer: q,o 802,816 ×2, k,v 114,688 ×2, biases 896+128+128, MLP 13,074,432, norms 1,792 = 14,912,384.
    assert.equal(a?.params, 151936 * 896 + 24 * 14_912_384 + 896);
    near(a?.params, 494e6, 'Qwen2.5-0.5B');
    assert.equal(a?.qkvBias, true);
  });

  it('Llama-3.2-1B: 1.236B tied; Llama-3.1-8B: 8.03B untied', () => {
    const base = { model_type: 'llama', num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256 };
    const small = archFromConfig({ ...base, hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, tie_word_embeddings: true });
    near(small?.params, 1.236e9, 'Llama-3.2-1B');
    assert.equal(small?.params, 1_235_814_400);
    const big = archFromConfig({ ...base, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, tie_word_embeddings: false });
    near(big?.params, 8.03e9, 'Llama-3.1-8B');
    assert.equal(big?.params, 8_030_261_248);
    // Without tie_word_embeddings a Llama config is untied (LlamaConfig's default).
    const { tie_word_embeddings: _, ...noTie } = { ...base, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, tie_word_embeddings: false };
    assert.equal(archFromConfig(noTie)?.params, big?.params);
  });

  it('Qwen3 (explicit head_dim, q/k norms) and Gemma 2 (4 norms per layer, tied by default)', () => {
    const qwen3 = archFromConfig({ model_type: 'qwen3', hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, tie_word_embeddings: true });
    near(qwen3?.params, 0.596e9, 'Qwen3-0.6B');
    assert.equal(qwen3?.headDim, 128);
    assert.equal(qwen3?.qkNorm, true);
    assert.deepEqual(linearShapes(qwen3!).q_proj, [1024, 2048]); // 16 heads × 128, wider than hidden
    const gemma = archFromConfig({ model_type: 'gemma2', hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, vocab_size: 256000 });
    near(gemma?.params, 2.614e9, 'gemma-2-2b');
    assert.equal(gemma?.tiedEmbeddings, true);
    assert.equal(gemma?.normsPerLayer, 4);
  });

  it('reads a multimodal text_config and counts attention_bias / mlp_bias', () => {
    const text = { model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100, tie_word_embeddings: true };
    const plain = archFromConfig(text)!;
    assert.equal(archFromConfig({ model_type: 'llama', text_config: text })?.params, plain.params);
    // attention_bias: q,k,v,o biases (64 × 4 per layer); mlp_bias: gate, up (128 each) and down (64).
    assert.equal(archFromConfig({ ...text, attention_bias: true })?.params, plain.params + 2 * 4 * 64);
    assert.equal(archFromConfig({ ...text, mlp_bias: true })?.params, plain.params + 2 * (2 * 128 + 64));
  });

  it('refuses mixture-of-experts, other families and incomplete configs', () => {
    const llama = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
    assert.equal(archFromConfig({ ...llama, model_type: 'mixtral', num_local_experts: 8 }), undefined);
    assert.equal(archFromConfig({ ...llama, model_type: 'qwen3', num_experts: 128 }), undefined);
    assert.equal(archFromConfig({ ...llama, model_type: 'gpt2' }), undefined);
    assert.equal(archFromConfig({ ...llama, hidden_size: undefined }), undefined);
    assert.equal(archFromConfig({ ...llama, num_attention_heads: 5 }), undefined); // 64 / 5 is no head size
    assert.equal(archFromConfig('config'), undefined);
    assert.ok(archFromConfig(llama)); // no model_type: read as Llama-style
  });

  it('knows common hub models, their instruct variants and local folder names', () => {
    const published: [string, number][] = [
      ['HuggingFaceTB/SmolLM2-135M-Instruct', 134.5e6],
      ['HuggingFaceTB/SmolLM2-360M', 361.8e6],
      ['HuggingFaceTB/SmolLM2-1.7B-Instruct', 1.711e9],
      ['Qwen/Qwen2.5-0.5B-Instruct', 494e6],
      ['Qwen/Qwen2.5-1.5B', 1.54e9],
      ['Qwen/Qwen2.5-3B', 3.09e9],
      ['Qwen/Qwen2.5-7B-Instruct', 7.62e9],
      ['Qwen/Qwen3-0.6B', 0.596e9],
      ['Qwen/Qwen3-1.7B', 1.72e9],
      ['Qwen/Qwen3-4B', 4.02e9],
      ['Qwen/Qwen3-8B', 8.19e9],
      ['meta-llama/Llama-3.2-1B-Instruct', 1.236e9],
      ['meta-llama/Llama-3.2-3B-Instruct', 3.21e9],
      ['meta-llama/Meta-Llama-3.1-8B-Instruct', 8.03e9],
      ['mistralai/Mistral-7B-Instruct-v0.3', 7.25e9],
      ['mistralai/Mistral-7B-v0.1', 7.24e9],
      ['google/gemma-2-2b-it', 2.614e9],
      ['google/gemma-2-9b', 9.24e9],
      ['TinyLlama/TinyLlama-1.1B-Chat-v1.0', 1.1e9],
    ];
    for (const [id, n] of published) near(knownArch(id)?.params, n, id);
    assert.equal(knownArch('./models/SmolLM2-135M-Instruct/')?.params, 134_515_008);
    assert.equal(knownArch('unsloth/Llama-3.2-1B-Instruct-bnb-4bit')?.params, 1_235_814_400);
    assert.match(knownArch('Qwen/Qwen2.5-0.5B')?.source ?? '', /Qwen\/Qwen2\.5-0\.5B/);
    assert.equal(knownArch('gpt-4o'), undefined);
    // Callers get a copy.
    knownArch('Qwen/Qwen3-0.6B')!.params = 1;
    near(knownArch('Qwen/Qwen3-0.6B')?.params, 0.596e9, 'copy');
  });

  it('splits parameters into embeddings, linears and the rest', () => {
    const a = knownArch('meta-llama/Llama-3.1-8B')!;
    const b = paramBreakdown(a);
    assert.equal(b.embeddings, 128256 * 4096);
    assert.equal(b.lmHead, 128256 * 4096);
    assert.equal(b.linear, 32 * 218_103_808);
    assert.equal(b.embeddings + b.lmHead + b.linear + b.other, a.params);
  });

  it('reads the size in a model name', () => {
    assert.equal(paramsFromName('Qwen/Qwen2.5-0.5B-Instruct'), 0.5e9);
    assert.equal(paramsFromName('HuggingFaceTB/SmolLM2-135M'), 135e6);
    assert.equal(paramsFromName('meta-llama/Llama-3.1-8B'), 8e9);
    assert.equal(paramsFromName('google/gemma-2-2b-it'), 2e9);
    assert.equal(paramsFromName('gpt-4o-mini'), undefined);
  });
});
