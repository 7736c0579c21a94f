import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectRecordFormat, formatNames, type FormatName } from '../../src/core/dataset/formats';
import { formatSchemas, validateRecord } from '../../src/core/dataset/schemas';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });
const toolCall = { id: 'call_1', type: 'function', function: { name: 'create_task', arguments: '{"title":"x"}' } };
const tool = { type: 'function', function: { name: 'create_task', description: 'Create a task', parameters: { type: 'object', properties: { title: { type: 'string' } } }, strict: true } };

/** At least one valid record per format, in every shape the format allows. */
const valid: Record<Exclude<FormatName, 'unknown'>, unknown[]> = {
  'openai-chat': [
    { messages: [user('hi'), assistant('hello')] },
    {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }], name: 'dev' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [toolCall], weight: 1 },
        { role: 'tool', tool_call_id: 'call_1', content: '{"id":"t1"}' },
        { role: 'assistant', content: [{ type: 'text', text: 'Done' }], weight: 0 },
        { role: 'assistant', tool_calls: [toolCall] },
      ],
      tools: [tool],
      parallel_tool_calls: false,
    },
  ],
  'openai-preference': [
    {
      input: { messages: [user('hi')], tools: [tool], parallel_tool_calls: true },
      preferred_output: [assistant('Hello!')],
      non_preferred_output: [{ role: 'assistant', content: null, tool_calls: [toolCall] }],
    },
  ],
  'trl-text': [{ text: 'The sky is blue.' }],
  'trl-prompt-completion': [
    { prompt: 'The sky is', completion: ' blue.' },
    { prompt: [user('What color is the sky?')], completion: [assistant('It is blue.')] },
    {
      prompt: [user('Lights on')],
      completion: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'light', arguments: { on: true } } }] }],
      tools: [tool.function],
    },
  ],
  'trl-preference': [
    { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' },
    { prompt: [user('Sky?')], chosen: [assistant('Blue.')], rejected: [assistant('Green.')] },
  ],
  'trl-preference-implicit': [
    { chosen: 'The sky is blue.', rejected: 'The sky is green.' },
    { chosen: [user('Sky?'), assistant('Blue.')], rejected: [user('Sky?'), assistant('Green.')] },
  ],
  kto: [
    { prompt: 'The sky is', completion: ' blue.', label: true },
    { prompt: [user('Sky?')], completion: [assistant('Green.')], label: false },
  ],
  'trl-stepwise': [{ prompt: 'Which is larger, 9.8 or 9.11?', completions: ['0.8 > 0.11.', 'So 9.8.'], labels: [true, true] }],
  sharegpt: [
    {
      conversations: [
        { from: 'system', value: 'Be brief.' },
        { from: 'human', value: 'Add a task' },
        { from: 'function_call', value: '{"name":"create_task","arguments":{}}' },
        { from: 'observation', value: '{"id":"t1"}' },
        { from: 'gpt', value: 'Done' },
      ],
      system: 'Be brief.',
      tools: '[]',
    },
  ],
  alpaca: [
    { instruction: 'Translate', output: 'Bonjour' },
    { instruction: 'Translate', input: 'Hello', output: 'Bonjour', system: 'Be exact.', history: [['Hi', 'Salut']] },
  ],
};

/** One broken record per format, with the problems expected: [path, code]. */
const invalid: [FormatName, unknown, [(string | number)[], string][]][] = [
  ['openai-chat', { messages: [user('hi'), { role: 'assistant', contents: 'x' }] }, [[['messages', 1, 'contents'], 'unrecognized_keys'], [['messages', 1, 'content'], 'custom']]],
  ['openai-chat', { messages: [{ role: 'bot', content: 'x' }] }, [[['messages', 0, 'role'], 'invalid_value']]],
  ['openai-chat', { messages: [{ content: 'x' }] }, [[['messages', 0, 'role'], 'invalid_type']]],
  ['openai-chat', { messages: [user('hi'), { ...assistant('x'), weight: 0.5 }] }, [[['messages', 1, 'weight'], 'invalid_value']]],
  ['openai-chat', { messages: [{ role: 'assistant', content: null, tool_calls: [{ ...toolCall, function: { name: 'f', arguments: { a: 1 } } }] }] }, [[['messages', 0, 'tool_calls', 0, 'function', 'arguments'], 'invalid_type']]],
  ['openai-chat', { messages: [{ role: 'tool', content: 'x' }] }, [[['messages', 0, 'tool_call_id'], 'invalid_type']]],
  ['openai-chat', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'u', detail: 'max' } }] }] }, [[['messages', 0, 'content', 0, 'image_url', 'detail'], 'invalid_value']]],
  ['openai-chat', { messages: [], extra: 1 }, [[['messages'], 'too_small'], [['extra'], 'unrecognized_keys']]],
  ['openai-chat', { messages: [user('x')], tools: [{ type: 'function', function: { name: 'bad name' } }] }, [[['tools', 0, 'function', 'name'], 'invalid_format']]],
  ['openai-preference', { input: { messages: [user('x')] }, preferred_output: [assistant('a'), assistant('b')], non_preferred_output: [{ ...assistant('c'), weight: 1 }] }, [[['preferred_output'], 'too_big'], [['non_preferred_output', 0, 'weight'], 'unrecognized_keys']]],
  ['trl-text', { text: 42 }, [[['text'], 'invalid_type']]],
  ['trl-prompt-completion', { prompt: 'x', completion: ['y'] }, [[['completion'], 'invalid_type']]],
  ['trl-prompt-completion', { prompt: [user('x')], completion: [{ role: 'robot', content: 'y' }] }, [[['completion', 0, 'role'], 'invalid_value']]],
  ['trl-preference', { prompt: 'x', chosen: 'a' }, [[['rejected'], 'invalid_type']]],
  ['trl-preference-implicit', { chosen: 1, rejected: 'b' }, [[['chosen'], 'invalid_type']]],
  ['kto', { prompt: 'x', completion: 'y', label: 'yes' }, [[['label'], 'invalid_type']]],
  ['trl-stepwise', { prompt: 'x', completions: ['a', 'b'], labels: [true] }, [[['labels'], 'custom']]],
  ['sharegpt', { conversations: [{ from: 'user', value: 'x' }] }, [[['conversations', 0, 'from'], 'invalid_value']]],
  ['alpaca', { instruction: 'x', output: 'y', history: [['a']] }, [[['history', 0], 'too_small']]],
  ['alpaca', { instruction: 'x', response: 'y' }, [[['output'], 'invalid_type'], [['response'], 'unrecognized_keys']]],
];

describe('dataset record schemas', () => {
  it('has a schema for every format name', () => {
    assert.deepEqual(Object.keys(formatSchemas).sort(), [...formatNames].sort());
  });

  for (const [format, records] of Object.entries(valid)) {
    it(`accepts valid ${format} records, which detection also assigns to ${format}`, () => {
      for (const r of records) {
        assert.deepEqual(validateRecord(format as FormatName, r), [], JSON.stringify(r));
        assert.equal(formatNames[detectRecordFormat(r)], format);
      }
    });
  }

  for (const [format, record, expected] of invalid) {
    it(`rejects ${format} ${JSON.stringify(record).slice(0, 70)}`, () => {
      const problems = validateRecord(format, record);
      assert.deepEqual(
        problems.map((p) => [p.path, p.code]),
        expected,
        JSON.stringify(problems),
      );
      for (const p of problems) assert.ok(p.message.length > 0);
    });
  }

  it('names missing keys, unknown keys and bad discriminators in its messages', () => {
    assert.equal(validateRecord('openai-chat', {})[0].message, 'Missing required key "messages"');
    assert.equal(validateRecord('openai-chat', { messages: [{ content: 'x' }] })[0].message, 'Missing required key "role"');
    assert.equal(validateRecord('alpaca', { instruction: 'x', output: 'y', inputs: 'z' })[0].message, 'Unknown key "inputs"');
    assert.match(validateRecord('openai-chat', { messages: [{ role: 'bot', content: 'x' }] })[0].message, /^Invalid role "bot": expected one of "system", "developer", "user", "assistant"/);
    assert.equal(validateRecord('openai-chat', { messages: [{ role: 'user', content: 3 }] })[0].message, 'Invalid input: expected string or array, received number');
  });

  it('rejects non-objects and accepts any object as unknown', () => {
    assert.deepEqual(validateRecord('openai-chat', [1]), [{ path: [], code: 'invalid_type', message: 'Invalid input: expected object, received array' }]);
    assert.deepEqual(validateRecord('unknown', { anything: [1, 2] }), []);
    assert.equal(validateRecord('unknown', 'text')[0].code, 'invalid_type');
  });

  it('validates every record of the example project', () => {
    const dir = join(__dirname, '..', '..', 'examples', 'task-assistant', 'data');
    for (const [file, format] of [
      ['train.jsonl', 'openai-chat'],
      ['eval.jsonl', 'openai-chat'],
      ['preferences.jsonl', 'openai-preference'],
    ] as const) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.trim());
      assert.ok(lines.length > 0);
      lines.forEach((line, i) => {
        const record: unknown = JSON.parse(line);
        assert.equal(formatNames[detectRecordFormat(record)], format, `${file}:${i + 1}`);
        assert.deepEqual(validateRecord(format, record), [], `${file}:${i + 1}`);
      });
    }
  });
});
