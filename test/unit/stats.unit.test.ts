/**
 * Dataset stats: the streaming accumulator (pure, with an injected counter), the terminal table,
 * and `llmops stats` end to end (JSON shape, exit codes, real OpenAI tokenizer, train-config limit).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatStatsText, StatsAccumulator, type StatsTokenCounter } from '../../src/core/dataset/stats';
import { runStats } from '../../src/runtime/statsCommand';

/** Tokens = characters of the JSON; trainable = assistant messages × 10. */
const counter: StatsTokenCounter = {
  exact: true,
  name: 'acme/model',
  limit: 100,
  limitSource: 'max_seq_len in sft.train.yaml',
  countRecord: (r) => JSON.stringify(r).length,
  countTrainable: (r) => (Array.isArray(r.messages) ? r.messages.filter((m: { role?: string }) => m.role === 'assistant').length * 10 : 0),
};

const chat = (user: string, answer: string, extra: Record<string, unknown> = {}) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: answer }], ...extra });

describe('dataset stats', () => {
  it('accumulates records, formats, token distribution, trainable tokens and records over the limit', () => {
    const acc = new StatsAccumulator(counter);
    const lines = [chat('a', 'b'), chat('hello there', 'general kenobi'), '', '   ', 'not json', '[1, 2]', chat('x'.repeat(80), 'y')];
    for (const l of lines) acc.addLine(l);
    const s = acc.result();
    assert.equal(s.records, 3);
    assert.equal(s.invalidLines, 2);
    assert.equal(s.format, 'openai-chat');
    const sizes = [chat('a', 'b'), chat('hello there', 'general kenobi'), chat('x'.repeat(80), 'y')].map((l) => JSON.stringify(JSON.parse(l)).length).sort((a, b) => a - b);
    assert.deepEqual(s.tokens?.perRecord, { min: sizes[0], p50: sizes[1], p90: sizes[2], max: sizes[2], mean: Math.round((sizes.reduce((a, b) => a + b) / 3) * 10) / 10 });
    assert.equal(s.tokens?.total, sizes.reduce((a, b) => a + b));
    assert.equal(s.tokens?.trainable, 30);
    assert.equal(s.tokens?.overLimit, sizes.filter((n) => n > 100).length);
    assert.equal(s.tokens?.limit, 100);
    assert.equal(s.tokens?.limitSource, 'max_seq_len in sft.train.yaml');
  });

  it('nearest-rank quantiles over many records', () => {
    const acc = new StatsAccumulator({ exact: true, name: 'n', countRecord: (r) => r.n as number });
    for (let i = 1; i <= 1000; i++) acc.addRecord({ text: 'x', n: i });
    const d = acc.result().tokens!.perRecord!;
    assert.deepEqual([d.min, d.p50, d.p90, d.max, d.mean], [1, 500, 900, 1000, 500.5]);
  });

  it('counts exact duplicates regardless of whitespace between JSON tokens', () => {
    const acc = new StatsAccumulator();
    acc.addLine('{"text": "same"}');
    acc.addLine('{"text":"same"}');
    acc.addLine('{ "text" : "same" }');
    acc.addLine('{"text": "same "}');
    assert.equal(acc.result().duplicates, 2);
  });

  it('counts roles, tool calls by name and messages per record; preference rejected answers are not the example', () => {
    const acc = new StatsAccumulator();
    acc.addLine(
      JSON.stringify({
        messages: [
          { role: 'system', content: 's' },
          { role: 'user', content: 'u' },
          { role: 'assistant', content: null, tool_calls: [{ id: '1', type: 'function', function: { name: 'create_task', arguments: '{}' } }, { id: '2', type: 'function', function: { name: 'list_tasks', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: '1', content: 'ok' },
          { role: 'tool', tool_call_id: '2', content: '[]' },
          { role: 'assistant', content: 'done' },
        ],
      }),
    );
    acc.addLine(JSON.stringify({ messages: [{ role: 'user', content: 'u' }, { role: 'assistant', content: null, tool_calls: [{ id: '3', type: 'function', function: { name: 'create_task', arguments: '{}' } }] }] }));
    const s = acc.result();
    assert.deepEqual(s.roles, { assistant: 3, tool: 2, user: 2, system: 1 });
    assert.deepEqual(s.tools, [
      { name: 'create_task', calls: 2 },
      { name: 'list_tasks', calls: 1 },
    ]);
    assert.deepEqual(s.messages, { min: 2, p50: 2, p90: 6, max: 6, mean: 4, total: 8 });
    assert.equal(s.tokens, null);

    const pref = new StatsAccumulator();
    pref.addLine(JSON.stringify({ input: { messages: [{ role: 'user', content: 'q' }] }, preferred_output: [{ role: 'assistant', content: 'a' }], non_preferred_output: [{ role: 'assistant', content: 'b' }] }));
    assert.deepEqual(pref.result().roles, { assistant: 1, user: 1 });
    assert.equal(pref.result().messages?.total, 2);

    const share = new StatsAccumulator();
    share.addLine(JSON.stringify({ conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] }));
    assert.deepEqual(share.result().roles, { gpt: 1, human: 1 });
  });

  it('reports a mixed file as mixed with the counts', () => {
    const acc = new StatsAccumulator();
    acc.addLine(chat('a', 'b'));
    acc.addLine('{"text": "t"}');
    const s = acc.result();
    assert.equal(s.format, 'mixed');
    assert.deepEqual(s.formats, { 'openai-chat': 1, 'trl-text': 1 });
  });

  it('prints an aligned table, with ≈ for estimates', () => {
    const acc = new StatsAccumulator({ ...counter, exact: false });
    acc.addLine(chat('a', 'b'));
    const text = formatStatsText('data/train.jsonl', acc.result());
    const rows = text.trimEnd().split('\n').slice(1);
    assert.ok(rows.length >= 8);
    const valueColumn = (r: string) => r.search(/\S/) + r.trim().search(/\s{2,}\S/) + r.trim().match(/\s{2,}/)![0].length;
    assert.equal(new Set(rows.map(valueColumn)).size, 1, text);
    assert.match(text, /tokens +≈\d+/);
    assert.match(text, /estimate/);
  });

  describe('llmops stats', function () {
    this.timeout(60_000);
    let tmp: string;
    let out: string;
    let err: string;
    const io = () => ({ out: (s: string) => void (out += s), err: (s: string) => void (err += s), cwd: tmp });
    beforeEach(() => {
      tmp = mkdtempSync(path.join(tmpdir(), 'llmops-stats-'));
      out = '';
      err = '';
      mkdirSync(path.join(tmp, 'data'));
      const lines = [chat('Hi', 'Hello!'), chat('Add milk', 'Added milk.', { tools: [{ type: 'function', function: { name: 'add', parameters: { type: 'object', properties: {} } } }] }), chat('Hi', 'Hello!'), 'oops'];
      writeFileSync(path.join(tmp, 'data', 'train.jsonl'), lines.join('\n') + '\n');
      writeFileSync(path.join(tmp, 'llmops.yaml'), 'version: 1\nproject:\n  name: demo\nbase_model: gpt-4o-mini\ndatasets:\n  train: data/train.jsonl\n');
      writeFileSync(path.join(tmp, 'sft.train.yaml'), 'base_model: gpt-4o-mini\ndataset: data/train.jsonl\nmax_seq_len: 20\n');
    });
    afterEach(() => rmSync(tmp, { recursive: true, force: true }));

    it('prints stable JSON with the real tokenizer of base_model and the training config limit', async () => {
      assert.equal(await runStats(['data/train.jsonl', '--format', 'json'], io()), 0, err);
      const json = JSON.parse(out);
      const f = json.files[0];
      assert.deepEqual(Object.keys(f), ['path', 'records', 'invalidLines', 'format', 'formats', 'tokenizer', 'tokens', 'duplicates', 'messages', 'roles', 'tools']);
      assert.equal(f.path, 'data/train.jsonl');
      assert.equal(f.records, 3);
      assert.equal(f.invalidLines, 1);
      assert.equal(f.duplicates, 1);
      assert.deepEqual(f.tokenizer, { model: 'gpt-4o-mini', name: 'o200k_base', kind: 'openai', exact: true, source: 'gpt-tokenizer o200k_base', reason: null });
      assert.equal(f.tokens.exact, true);
      assert.equal(f.tokens.limit, 20);
      assert.equal(f.tokens.limitSource, 'max_seq_len in sft.train.yaml');
      // {"role":"user","content":"Hi"} … by the cookbook rule: 3 + (3+1+1) + (3+1+2) = 14.
      assert.equal(f.tokens.perRecord.min, 14);
      assert.ok(f.tokens.overLimit >= 1);
    });

    it('prints a readable table; --model overrides base_model', async () => {
      assert.equal(await runStats([path.join(tmp, 'data'), '--model', 'gpt-4'], io()), 0, err);
      assert.match(out, /data\/train\.jsonl\n {2}records +3 \(\+ 1 invalid line\)/);
      assert.match(out, /tokenizer +cl100k_base/);
      assert.match(out, /over limit +\d+ records? over 20 tokens \(max_seq_len in sft\.train\.yaml\)/);
    });

    it('exits 2 on a missing file or a bad option', async () => {
      assert.equal(await runStats(['nope.jsonl'], io()), 2);
      assert.match(err, /nope\.jsonl: no such file/);
      assert.equal(await runStats(['data/train.jsonl', '--format', 'xml'], io()), 2);
      assert.equal(await runStats([], io()), 2);
    });
  });
});
