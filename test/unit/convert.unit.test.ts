import { strict as assert } from 'node:assert';
import { convertTextToOpenAIChat, toOpenAIChat } from '../../src/core/dataset/convert';
import { detectRecordFormat, formatNames } from '../../src/core/dataset/formats';
import { lintJsonlText } from '../../src/core/lint/jsonl';
import { defaultLintConfig } from '../../src/core/lint/types';

const detect = (v: unknown) => formatNames[detectRecordFormat(v)];

describe('convert to OpenAI chat', () => {
  it('converts ShareGPT, Alpaca and prompt-completion records', () => {
    assert.deepEqual(toOpenAIChat({ system: 'S', conversations: [{ from: 'human', value: 'Hi' }, { from: 'gpt', value: 'Hello' }] }, 'sharegpt'), {
      messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }],
    });
    assert.deepEqual(toOpenAIChat({ instruction: 'Summarise', input: 'Two tasks', output: 'Busy week', history: [['a', 'b']] }, 'alpaca'), {
      messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'Summarise\n\nTwo tasks' }, { role: 'assistant', content: 'Busy week' }],
    });
    assert.deepEqual(toOpenAIChat({ prompt: 'P', completion: 'C' }, 'trl-prompt-completion'), { messages: [{ role: 'user', content: 'P' }, { role: 'assistant', content: 'C' }] });
    assert.deepEqual(toOpenAIChat({ prompt: [{ role: 'user', content: 'P' }], completion: [{ role: 'assistant', content: 'C' }] }, 'trl-prompt-completion'), {
      messages: [{ role: 'user', content: 'P' }, { role: 'assistant', content: 'C' }],
    });
  });

  it('refuses what it cannot convert without loss', () => {
    assert.equal(toOpenAIChat({ conversations: [{ from: 'observation', value: '{}' }] }, 'sharegpt'), null);
    assert.equal(toOpenAIChat({ instruction: 'x' }, 'alpaca'), null);
  });

  it('rewrites a mixed file, keeping invalid and already-chat lines byte for byte', () => {
    const lines = [
      '{"instruction": "Add a task", "input": "", "output": "Added."}',
      '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}',
      '{"broken": ',
      '{"conversations": [{"from": "human", "value": "List"}, {"from": "gpt", "value": "Nothing"}]}',
      '',
    ];
    const r = convertTextToOpenAIChat(lines, detect);
    assert.equal(r.converted, 2);
    assert.equal(r.kept, 1);
    const out = r.text.split('\n');
    assert.equal(out[1], lines[1]);
    assert.equal(out[2], lines[2]);
    const lint = lintJsonlText(r.text, { ...defaultLintConfig, rules: { 'too-few-examples': 'off' } });
    assert.equal(lint.format, 'openai-chat');
    assert.deepEqual(lint.findings.map((f) => f.rule), ['invalid-json']);
  });
});
