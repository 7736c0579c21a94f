import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleSet } from '../../src/core/lint/engine';
import { lintJsonlText, StreamingLinter, type JsonlLint } from '../../src/core/lint/jsonl';
import { orphanToolMessage } from '../../src/core/lint/rules/orphanToolMessage';
import { findRule, rules as registeredRules } from '../../src/core/lint/rules/registry';
import { toolArgumentsDoubleEncoded } from '../../src/core/lint/rules/toolArgumentsDoubleEncoded';
import { toolArgumentsNotJson } from '../../src/core/lint/rules/toolArgumentsNotJson';
import { toolArgumentsNotString } from '../../src/core/lint/rules/toolArgumentsNotString';
import { toolArgumentsSchema } from '../../src/core/lint/rules/toolArgumentsSchema';
import { unansweredToolCall } from '../../src/core/lint/rules/unansweredToolCall';
import { unknownTool } from '../../src/core/lint/rules/unknownTool';
import { defaultLintConfig, type Finding, type RecordRule } from '../../src/core/lint/types';
import { closestName, compileSchema, CompiledSchema, describePath } from '../../src/core/quality/jsonSchemaLite';

const toolRules: RecordRule[] = [toolArgumentsNotJson, toolArgumentsDoubleEncoded, toolArgumentsNotString, unknownTool, toolArgumentsSchema, orphanToolMessage, unansweredToolCall];
const toolRuleNames = new Set(toolRules.map((r) => r.name));

const registered = toolRules.every((r) => findRule(r.code) === r);

/** lintJsonlText; until the tool rules are registered, the same engine path with them added. */
function lint(text: string): JsonlLint {
  if (registered) return lintJsonlText(text);
  const s = new StreamingLinter(new RuleSet(defaultLintConfig, [...registeredRules, ...toolRules]));
  for (const line of text.split('\n')) s.push(line);
  return s.finish();
}

/** Findings of the tool rules only. */
const toolFindings = (text: string): Finding[] => lint(text).findings.filter((f) => toolRuleNames.has(f.rule));
const ofRule = (text: string, rule: string): Finding[] => lint(text).findings.filter((f) => f.rule === rule);

// ---------------------------------------------------------------------------------------------------
// Records

const createTask = {
  type: 'function',
  function: {
    name: 'create_task',
    description: 'Create a task.',
    parameters: {
      type: 'object',
      properties: {
        title: { type: 'string', minLength: 1 },
        priority: { type: 'string', enum: ['low', 'medium', 'high'] },
        due_date: { type: 'string', format: 'date' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['title'],
      additionalProperties: false,
    },
  },
};
const listTasks = { type: 'function', function: { name: 'list_tasks', parameters: { type: 'object', properties: { limit: { type: 'integer', minimum: 1 } } } } };
const TOOLS = [createTask, listTasks];
const GOOD_ARGS = JSON.stringify({ title: 'Pay rent', priority: 'high' });

const call = (args: unknown, name = 'create_task', id = 'call_1') => ({ id, type: 'function', function: { name, arguments: args } });

/** A chat record: user, assistant calls, one tool answer per id in `answers`, final assistant turn. */
function chat(calls: unknown[], opts: { answers?: string[]; tools?: unknown[] | null } = {}): string {
  const answers = opts.answers ?? calls.map((c) => (c as { id: string }).id);
  const messages: unknown[] = [
    { role: 'user', content: 'Add a task: pay rent' },
    { role: 'assistant', tool_calls: calls },
    ...answers.map((id) => ({ role: 'tool', tool_call_id: id, content: '{"id":"tsk_1"}' })),
    { role: 'assistant', content: 'Done!' },
  ];
  const tools = opts.tools === undefined ? TOOLS : opts.tools;
  return JSON.stringify(tools === null ? { messages } : { messages, tools });
}

function preference(output: unknown, tools: unknown[] | null = TOOLS, prompt: unknown[] = [{ role: 'user', content: 'Add a task: pay rent' }]): string {
  const input = tools === null ? { messages: prompt } : { messages: prompt, tools };
  return JSON.stringify({ input, preferred_output: [output], non_preferred_output: [{ role: 'assistant', content: 'I cannot do that.' }] });
}

/** 0-based column of the value of the `n`-th `"key":` in the line. */
function valueColumn(line: string, key: string, n = 0): number {
  let at = -1;
  for (let k = 0; k <= n; k++) at = line.indexOf(`"${key}":`, at + 1);
  assert.ok(at >= 0, `"${key}" not in line`);
  return at + key.length + 3;
}

/** Applies a finding's fix edits (all on `f.line`, 0 in these tests) to the line. */
function applyFix(line: string, f: Finding): string {
  assert.ok(f.fix?.edits, `${f.rule} has no edits`);
  const edits = [...f.fix.edits].sort((a, b) => b.startColumn - a.startColumn);
  let out = line;
  for (const e of edits) {
    assert.equal(e.startLine, f.line);
    assert.equal(e.endLine, f.line);
    out = out.slice(0, e.startColumn) + e.newText + out.slice(e.endColumn);
  }
  return out;
}

/** The fix of the only finding of `rule` on `line` yields valid JSON the rule no longer flags. */
function assertFixClears(line: string, rule: string): string {
  const fs = ofRule(line, rule);
  assert.equal(fs.length, 1, `expected one ${rule} finding, got ${JSON.stringify(fs)}`);
  const fixed = applyFix(line, fs[0]);
  JSON.parse(fixed);
  assert.deepEqual(ofRule(fixed, rule), [], `${rule} still fires after its fix: ${fixed}`);
  return fixed;
}

describe('tool rules: metadata', () => {
  it('have stable codes, kebab-case names, docs and fix metadata where they fix', () => {
    const expected: [RecordRule, string, string][] = [
      [toolArgumentsNotJson, 'LD017', 'tool-arguments-not-json'],
      [toolArgumentsDoubleEncoded, 'LD018', 'tool-arguments-double-encoded'],
      [toolArgumentsNotString, 'LD019', 'tool-arguments-not-string'],
      [unknownTool, 'LD020', 'unknown-tool'],
      [toolArgumentsSchema, 'LD021', 'tool-arguments-schema'],
      [orphanToolMessage, 'LD022', 'orphan-tool-message'],
      [unansweredToolCall, 'LD023', 'unanswered-tool-call'],
    ];
    for (const [rule, code, name] of expected) {
      assert.equal(rule.code, code);
      assert.equal(rule.name, name);
      assert.equal(rule.scope, 'record');
      assert.deepEqual(rule.formats, ['openai-chat', 'openai-preference']);
      for (const k of ['what', 'why', 'example', 'useInstead'] as const) assert.ok(rule.doc[k].length > 10, `${code} doc.${k}`);
    }
    assert.equal(unansweredToolCall.defaultSeverity, 'warning');
    assert.equal(toolArgumentsDoubleEncoded.fix?.applicability, 'safe');
    assert.equal(toolArgumentsNotString.fix?.applicability, 'safe');
    assert.equal(unknownTool.fix?.applicability, 'unsafe');
  });

  it('are in the registry', () => {
    const missing = toolRules.filter((r) => findRule(r.code) !== r).map((r) => r.code);
    assert.deepEqual(missing, [], `not in src/core/lint/rules/registry.ts: ${missing.join(', ')}`);
  });
});

describe('LD017 tool-arguments-not-json', () => {
  it('points at the offending character inside the arguments string', () => {
    const line = chat([call("{'title': 'Pay rent'}")]);
    const [f, ...rest] = ofRule(line, 'tool-arguments-not-json');
    assert.equal(rest.length, 0);
    assert.equal(f.severity, 'error');
    assert.equal(f.line, 0);
    // The value starts with its quote; the first `'` is character 2 of the arguments.
    assert.equal(f.column, valueColumn(line, 'arguments') + 2);
    assert.equal(f.endColumn, f.column + 1);
    assert.equal(f.message, 'The arguments of tool call "create_task" are not valid JSON: Property names must use double quotes, not single quotes (at character 2 of the arguments)');
  });

  it('counts escapes when mapping the position to the line', () => {
    const args = '{"title": "Pay rent",}';
    const line = chat([call(args)]);
    const [f] = ofRule(line, 'tool-arguments-not-json');
    assert.match(f.message, /Trailing comma before '}' is not allowed in JSON \(at character 21 of the arguments\)$/);
    // Four `\"` escapes precede the comma in the line.
    assert.equal(f.column, valueColumn(line, 'arguments') + 1 + args.indexOf(',}') + 4);
    assert.equal(line[f.column], ',');
  });

  it('says columns of the arguments, not of the line, for cut-off text', () => {
    const [f] = ofRule(chat([call('{"title": "Pay')]), 'tool-arguments-not-json');
    assert.equal(f.message, 'The arguments of tool call "create_task" are not valid JSON: Unterminated string starting at character 11 of the arguments');
  });

  it('explains empty arguments', () => {
    const line = chat([call('')]);
    const [f] = ofRule(line, 'tool-arguments-not-json');
    assert.equal(f.column, valueColumn(line, 'arguments'));
    assert.equal(f.endColumn, f.column + 2);
    assert.match(f.message, /are empty: .*"\{\}"/);
  });

  it('checks preference outputs and stays quiet on valid or non-string arguments', () => {
    assert.equal(ofRule(preference({ role: 'assistant', tool_calls: [call('{bad')] }), 'tool-arguments-not-json').length, 1);
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS), call('{}', 'list_tasks', 'call_2')]), 'tool-arguments-not-json'), []);
    assert.deepEqual(ofRule(chat([call({ title: 'x' })]), 'tool-arguments-not-json'), []);
  });
});

describe('LD018 tool-arguments-double-encoded', () => {
  it('flags arguments that decode to JSON text, with a safe fix that decodes once', () => {
    const line = chat([call(JSON.stringify(GOOD_ARGS))]);
    const [f] = ofRule(line, 'tool-arguments-double-encoded');
    assert.equal(f.column, valueColumn(line, 'arguments'));
    assert.equal(f.message, 'The arguments of tool call "create_task" are JSON-encoded twice: they decode to a string holding JSON, not to an object');
    assert.equal(f.fix?.applicability, 'safe');
    assert.equal(f.fix?.edits?.[0].newText, JSON.stringify(GOOD_ARGS));
    const fixed = assertFixClears(line, 'tool-arguments-double-encoded');
    assert.equal(JSON.parse(fixed).messages[1].tool_calls[0].function.arguments, GOOD_ARGS);
    assert.deepEqual(toolFindings(fixed), []);
  });

  it('decodes one level per fix, and checks preference outputs', () => {
    const thrice = chat([call(JSON.stringify(JSON.stringify(GOOD_ARGS)))]);
    const twice = applyFix(thrice, ofRule(thrice, 'tool-arguments-double-encoded')[0]);
    assert.equal(JSON.parse(twice).messages[1].tool_calls[0].function.arguments, JSON.stringify(GOOD_ARGS));
    assertFixClears(twice, 'tool-arguments-double-encoded');
    assert.equal(ofRule(preference({ role: 'assistant', tool_calls: [call(JSON.stringify(GOOD_ARGS))] }), 'tool-arguments-double-encoded').length, 1);
  });

  it('leaves plain strings and valid arguments alone', () => {
    assert.deepEqual(ofRule(chat([call(JSON.stringify('just text'))]), 'tool-arguments-double-encoded'), []);
    assert.deepEqual(ofRule(chat([call(JSON.stringify('{not json'))]), 'tool-arguments-double-encoded'), []);
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS)]), 'tool-arguments-double-encoded'), []);
  });
});

describe('LD019 tool-arguments-not-string', () => {
  it('flags an object with a safe fix that encodes it', () => {
    const line = chat([call({ title: 'Pay rent', priority: 'high' })]);
    const [f] = ofRule(line, 'tool-arguments-not-string');
    assert.equal(f.column, valueColumn(line, 'arguments'));
    assert.equal(line.slice(f.column, f.endColumn), '{"title":"Pay rent","priority":"high"}');
    assert.equal(f.message, 'The arguments of tool call "create_task" are a JSON object; OpenAI expects a string holding the JSON');
    const fixed = assertFixClears(line, 'tool-arguments-not-string');
    assert.equal(JSON.parse(fixed).messages[1].tool_calls[0].function.arguments, '{"title":"Pay rent","priority":"high"}');
    assert.deepEqual(toolFindings(fixed), []);
  });

  it('flags arrays (fixable) and scalars (not fixable)', () => {
    assertFixClears(chat([call(['Pay rent'])]), 'tool-arguments-not-string');
    const [f] = ofRule(chat([call(null)]), 'tool-arguments-not-string');
    assert.equal(f.fix, undefined);
    assert.match(f.message, /are null; OpenAI expects a string holding a JSON object/);
    assert.equal(ofRule(chat([call(42)]), 'tool-arguments-not-string').length, 1);
  });

  it('is quiet for string arguments', () => {
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS)]), 'tool-arguments-not-string'), []);
  });
});

describe('LD020 unknown-tool', () => {
  it('flags a call to an undeclared function, at its name', () => {
    const line = chat([call(GOOD_ARGS, 'add_task')]);
    const [f] = ofRule(line, 'unknown-tool');
    assert.equal(f.column, valueColumn(line, 'name'));
    assert.equal(line.slice(f.column, f.endColumn), '"add_task"');
    assert.equal(f.message, 'Tool "add_task" is not declared in this record\'s tools: it declares create_task, list_tasks');
    assert.equal(f.fix, undefined);
  });

  it('offers the closest declared name as an unsafe fix', () => {
    const line = chat([call(GOOD_ARGS, 'creat_task')]);
    const [f] = ofRule(line, 'unknown-tool');
    assert.match(f.message, /\(did you mean "create_task"\?\)$/);
    assert.equal(f.fix?.applicability, 'unsafe');
    const fixed = assertFixClears(line, 'unknown-tool');
    assert.deepEqual(toolFindings(fixed), []);
  });

  it('says once per record that no tools are declared', () => {
    const line = chat([call(GOOD_ARGS), call('{}', 'list_tasks', 'call_2')], { tools: null });
    const fs = ofRule(line, 'unknown-tool');
    assert.equal(fs.length, 1);
    assert.equal(fs[0].severity, 'error');
    // On the record (its first 200 characters), not on a call.
    assert.deepEqual([fs[0].line, fs[0].column, fs[0].endColumn], [0, 0, 200]);
    assert.equal(fs[0].message, 'This record calls "create_task" but declares no tools: add "tools" with the function definitions, so the model sees what it may call and with which parameters');
    const pref = ofRule(preference({ role: 'assistant', tool_calls: [call('{}', 'list_tasks')] }, null), 'unknown-tool');
    assert.equal(pref.length, 1);
    assert.match(pref[0].message, /add "input.tools"/);
  });

  it('checks preference outputs against input.tools; flags empty tool lists', () => {
    assert.equal(ofRule(preference({ role: 'assistant', tool_calls: [call('{}', 'search_tasks')] }), 'unknown-tool').length, 1);
    assert.deepEqual(ofRule(preference({ role: 'assistant', tool_calls: [call('{}', 'list_tasks')] }), 'unknown-tool'), []);
    assert.match(ofRule(chat([call(GOOD_ARGS)], { tools: [] }), 'unknown-tool')[0].message, /its "tools" list is empty/);
  });

  it('takes the flat Responses API declaration shape too', () => {
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS)], { tools: [{ type: 'function', name: 'create_task', parameters: createTask.function.parameters }] }), 'unknown-tool'), []);
  });
});

describe('LD021 tool-arguments-schema', () => {
  it('reports each violation on the arguments value, the inner path in the message', () => {
    const line = chat([call(JSON.stringify({ priority: 'critical' }))]);
    const fs = ofRule(line, 'tool-arguments-schema');
    assert.deepEqual(
      fs.map((f) => f.message),
      ['Arguments of "create_task": missing required property "title"', 'Arguments of "create_task": "priority" must be one of low, medium, high (got "critical")'],
    );
    for (const f of fs) {
      assert.equal(f.column, valueColumn(line, 'arguments'));
      assert.equal(f.severity, 'error');
    }
  });

  it('checks formats, additional properties, lengths, item types and ranges', () => {
    const msgs = (args: unknown, name = 'create_task') => ofRule(chat([call(JSON.stringify(args), name)]), 'tool-arguments-schema').map((f) => f.message);
    assert.deepEqual(msgs({ title: 'Pay rent', due_date: '2025-02-30', colour: 'red' }), [
      'Arguments of "create_task": "due_date" must be a date (YYYY-MM-DD) (got "2025-02-30")',
      'Arguments of "create_task": unexpected property "colour"',
    ]);
    assert.deepEqual(msgs({ title: '', tags: ['ok', 3] }), ['Arguments of "create_task": "title" must not be empty', 'Arguments of "create_task": "tags[1]" must be a string (got an integer 3)']);
    assert.deepEqual(msgs({ limit: 0 }, 'list_tasks'), ['Arguments of "list_tasks": "limit" must be >= 1 (got 0)']);
    assert.deepEqual(msgs([], 'list_tasks'), ['Arguments of "list_tasks": the arguments must be an object (got an array)']);
  });

  it('validates object arguments too, and leaves broken or double-encoded ones to their rules', () => {
    assert.deepEqual(
      ofRule(chat([call({ title: 42 })]), 'tool-arguments-schema').map((f) => f.message),
      ['Arguments of "create_task": "title" must be a string (got an integer 42)'],
    );
    assert.deepEqual(ofRule(chat([call('{bad')]), 'tool-arguments-schema'), []);
    assert.deepEqual(ofRule(chat([call(JSON.stringify(JSON.stringify({ priority: 'x' })))]), 'tool-arguments-schema'), []);
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS, 'add_task')]), 'tool-arguments-schema'), []);
    assert.deepEqual(ofRule(chat([call(GOOD_ARGS)], { tools: null }), 'tool-arguments-schema'), []);
  });

  it('checks preference outputs and caps violations per call', () => {
    assert.equal(ofRule(preference({ role: 'assistant', tool_calls: [call('{"priority": "x"}')] }), 'tool-arguments-schema').length, 2);
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`extra${i}`, i]));
    assert.equal(ofRule(chat([call(JSON.stringify({ title: 't', ...many }))]), 'tool-arguments-schema').length, 5);
  });

  it('tells apart two records declaring different schemas under one name', () => {
    const strict = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', required: ['a'] } } }];
    const loose = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const text = [chat([call('{}', 'f')], { tools: strict }), chat([call('{}', 'f')], { tools: loose }), chat([call('{}', 'f')], { tools: strict })].join('\n');
    assert.deepEqual(
      toolFindings(text).map((f) => f.line),
      [0, 2],
    );
  });
});

describe('LD022 orphan-tool-message', () => {
  it('flags a tool message answering an unknown id, at the id', () => {
    const line = chat([call(GOOD_ARGS)], { answers: ['call_1', 'call_9'] });
    const fs = ofRule(line, 'orphan-tool-message');
    assert.equal(fs.length, 1);
    assert.equal(fs[0].column, valueColumn(line, 'tool_call_id', 1));
    assert.equal(line.slice(fs[0].column, fs[0].endColumn), '"call_9"');
    assert.equal(fs[0].message, 'Tool message answers "call_9", but no earlier tool call has this id (earlier calls: call_1)');
  });

  it('flags a tool message without tool_call_id, or before any call', () => {
    const noId = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', content: '{}' }, { role: 'assistant', content: 'Hello' }] });
    const [f] = ofRule(noId, 'orphan-tool-message');
    assert.equal(f.column, noId.indexOf('{"role":"tool"'));
    assert.match(f.message, /has no "tool_call_id"/);
    const early = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'tool', tool_call_id: 'call_1', content: '{}' }, { role: 'assistant', tool_calls: [call(GOOD_ARGS)] }] });
    assert.match(ofRule(early, 'orphan-tool-message')[0].message, /no earlier assistant message makes a tool call/);
  });

  it('lets preference outputs answer calls of the prompt only', () => {
    const prompt = [
      { role: 'user', content: 'Add a task' },
      { role: 'assistant', tool_calls: [call(GOOD_ARGS)] },
      { role: 'tool', tool_call_id: 'call_1', content: '{}' },
    ];
    assert.deepEqual(ofRule(preference({ role: 'assistant', content: 'Done' }, TOOLS, prompt), 'orphan-tool-message'), []);
    const bad = [...prompt, { role: 'tool', tool_call_id: 'call_2', content: '{}' }];
    assert.equal(ofRule(preference({ role: 'assistant', content: 'Done' }, TOOLS, bad), 'orphan-tool-message').length, 1);
  });
});

describe('LD023 unanswered-tool-call', () => {
  it('flags the parallel call nobody answered, at its id', () => {
    const line = chat([call(GOOD_ARGS), call('{}', 'list_tasks', 'call_2')], { answers: ['call_1'] });
    const fs = ofRule(line, 'unanswered-tool-call');
    assert.equal(fs.length, 1);
    assert.equal(fs[0].severity, 'warning');
    assert.equal(line.slice(fs[0].column, fs[0].endColumn), '"call_2"');
    assert.equal(fs[0].message, 'Tool call "call_2" (list_tasks) gets no answer: no tool message with this "tool_call_id" follows before the next assistant message');
  });

  it('needs the answer before the next turn, and reports a call at the end', () => {
    const late = JSON.stringify({
      messages: [
        { role: 'user', content: 'Add' },
        { role: 'assistant', tool_calls: [call(GOOD_ARGS)] },
        { role: 'user', content: 'Never mind' },
        { role: 'tool', tool_call_id: 'call_1', content: '{}' },
        { role: 'assistant', content: 'OK' },
      ],
    });
    assert.match(ofRule(late, 'unanswered-tool-call')[0].message, /before the next user message$/);
    const end = JSON.stringify({ messages: [{ role: 'user', content: 'Add' }, { role: 'assistant', tool_calls: [call(GOOD_ARGS)] }] });
    assert.match(ofRule(end, 'unanswered-tool-call')[0].message, /before the end of the conversation$/);
  });

  it('handles many parallel calls, calls without id, and preference outputs', () => {
    const calls = Array.from({ length: 12 }, (_, i) => call('{}', 'list_tasks', `c${i}`));
    assert.deepEqual(
      ofRule(chat(calls, { answers: calls.slice(1).map((c) => c.id) }), 'unanswered-tool-call').map((f) => f.message.slice(0, 15)),
      ['Tool call "c0" '],
    );
    const noId = JSON.stringify({ messages: [{ role: 'user', content: 'Add' }, { role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'create_task', arguments: GOOD_ARGS } }] }] });
    assert.match(ofRule(noId, 'unanswered-tool-call')[0].message, /^Tool call 1 has no "id"/);
    // An output that ends in a call is the answer being trained, not an unanswered call.
    assert.deepEqual(ofRule(preference({ role: 'assistant', tool_calls: [call(GOOD_ARGS)] }), 'unanswered-tool-call'), []);
  });
});

describe('tool rules on clean data', () => {
  const dir = join(__dirname, '../../examples/task-assistant/data');
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    it(`find nothing in examples/task-assistant/data/${name}`, () => {
      const text = readFileSync(join(dir, name), 'utf8');
      const r = lint(text);
      assert.ok(r.records > 0);
      assert.deepEqual(
        r.findings.filter((f) => toolRuleNames.has(f.rule)),
        [],
      );
    });
  }

  it('deeply nested arguments: findings, no stack overflow', () => {
    const line = chat([call('ARGS')]).replace('"ARGS"', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000));
    const s = new StreamingLinter(new RuleSet(defaultLintConfig, toolRules));
    s.push(line);
    const fs = s.finish().findings;
    assert.deepEqual(
      fs.map((f) => `${f.rule}${f.fix ? ' (fix)' : ''}: ${f.message}`),
      [
        'tool-arguments-not-string: The arguments of tool call "create_task" are a JSON object; OpenAI expects a string holding the JSON',
        'tool-arguments-schema: Arguments of "create_task": missing required property "title"',
        'tool-arguments-schema: Arguments of "create_task": unexpected property "a"',
      ],
    );
  });

  it('record without tools or tool calls: nothing', () => {
    assert.deepEqual(toolFindings(JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }] })), []);
  });

  it('fixtures trigger their own rule', () => {
    const fixtures = join(__dirname, '../fixtures/rules');
    for (const r of toolRules) {
      const text = readFileSync(join(fixtures, `${r.code}.jsonl`), 'utf8');
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const flagged = new Set(lint(text).findings.filter((f) => f.rule === r.name).map((f) => f.line));
      // Every line but the last (the clean one) triggers the rule.
      assert.deepEqual([...flagged].sort((a, b) => a - b), lines.slice(0, -1).map((_, i) => i), r.code);
      assert.deepEqual(toolFindings(lines[lines.length - 1]), [], `${r.code} clean line`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe('jsonSchemaLite', () => {
  const messages = (schema: unknown, value: unknown) => new CompiledSchema(schema).validate(value).map((v) => v.message);
  const valid = (schema: unknown, value: unknown) => {
    const c = new CompiledSchema(schema);
    const ok = c.isValid(value);
    assert.equal(ok, c.validate(value).length === 0, 'isValid and validate disagree');
    return ok;
  };

  it('types: names, arrays of names, integer vs number, nullable', () => {
    assert.ok(valid({ type: 'integer' }, 3));
    assert.ok(valid({ type: 'integer' }, 3.0));
    assert.ok(!valid({ type: 'integer' }, 3.5));
    assert.ok(valid({ type: 'number' }, 3));
    assert.ok(valid({ type: ['string', 'null'] }, null));
    assert.ok(!valid({ type: ['string', 'null'] }, 1));
    assert.ok(valid({ type: 'string', nullable: true }, null));
    assert.ok(valid({ type: 'string', enum: ['a'], nullable: true }, null));
    assert.ok(!valid({ type: 'boolean' }, 'true'));
    assert.deepEqual(messages({ type: ['string', 'integer', 'null'] }, true), ['the value must be a string, an integer or null (got a boolean true)']);
    assert.deepEqual(messages({ type: 'object' }, [1]), ['the value must be an object (got an array)']);
    assert.ok(valid({ type: 'nonsense' }, 1), 'unknown type names are ignored');
  });

  it('objects: properties, required, additionalProperties as boolean or schema, patternProperties, counts', () => {
    const s = { type: 'object', properties: { title: { type: 'string' } }, required: ['title', 'due'], additionalProperties: false };
    assert.deepEqual(messages(s, { titel: 'x' }), ['missing required property "title"', 'missing required property "due"', 'unexpected property "titel" (did you mean "title"?)']);
    assert.deepEqual(messages({ additionalProperties: { type: 'integer' } }, { a: 1, b: 'x' }), ['"b" must be an integer (got a string "x")']);
    assert.ok(valid({ patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false }, { 'x-a': 'ok' }));
    assert.ok(!valid({ patternProperties: { '^x-': { type: 'string' } }, additionalProperties: false }, { 'x-a': 1 }));
    assert.ok(!valid({ minProperties: 1 }, {}));
    assert.ok(!valid({ maxProperties: 1 }, { a: 1, b: 2 }));
    assert.ok(valid({ required: ['constructor'] }, { constructor: 1 }));
    assert.ok(!valid({ required: ['constructor'] }, {}), 'inherited names are not properties');
    assert.deepEqual(
      new CompiledSchema({ properties: { a: { properties: { 'b c': { type: 'string' } } } } }).validate({ a: { 'b c': 1 } })[0],
      { path: ['a', 'b c'], message: '"a[\\"b c\\"]" must be a string (got an integer 1)' },
    );
  });

  it('nested paths name the place', () => {
    const s = { type: 'object', properties: { recurrence: { type: 'object', required: ['frequency'], properties: { days: { type: 'array', items: { enum: ['mon', 'tue'] } } } } } };
    const v = new CompiledSchema(s).validate({ recurrence: { days: ['mon', 'fri'] } }, { root: 'the arguments' });
    assert.deepEqual(v, [
      { path: ['recurrence', 'frequency'], message: 'missing required property "recurrence.frequency"' },
      { path: ['recurrence', 'days', 1], message: '"recurrence.days[1]" must be one of mon, tue (got "fri")' },
    ]);
    assert.equal(describePath([], 'the arguments'), 'the arguments');
  });

  it('enum and const compare values deeply', () => {
    assert.ok(valid({ enum: [{ a: [1, 2] }, 'x'] }, { a: [1, 2] }));
    assert.ok(!valid({ enum: [{ a: [1, 2] }] }, { a: [2, 1] }));
    assert.ok(!valid({ enum: [{ a: 1 }] }, { a: 1, b: 2 }));
    assert.ok(valid({ const: 5 }, 5));
    assert.deepEqual(messages({ const: 'x' }, 'y'), ['the value must be "x" (got "y")']);
    assert.deepEqual(messages({ enum: ['low', 'medium', 'high'] }, 'urgent'), ['the value must be one of low, medium, high (got "urgent")']);
  });

  it('arrays: items, tuples, min/maxItems, uniqueItems', () => {
    assert.ok(valid({ items: { type: 'string' } }, ['a', 'b']));
    assert.deepEqual(messages({ items: { type: 'string' }, minItems: 3 }, ['a', 2]), ['the value must have at least 3 items (got 2)', '"[1]" must be a string (got an integer 2)']);
    assert.deepEqual(messages({ maxItems: 1 }, [1, 2]), ['the value must have at most 1 item (got 2)']);
    assert.ok(valid({ prefixItems: [{ type: 'string' }, { type: 'integer' }] }, ['a', 1, null]));
    assert.ok(!valid({ prefixItems: [{ type: 'string' }], items: false }, ['a', 1]));
    assert.ok(!valid({ items: [{ type: 'string' }], additionalItems: false }, ['a', 1]));
    assert.ok(!valid({ uniqueItems: true }, [{ a: 1 }, { a: 1 }]));
    assert.ok(valid({ uniqueItems: true }, [{ a: 1 }, { a: 2 }]));
  });

  it('strings: lengths in code points, pattern (unanchored, non-unicode fallback), formats', () => {
    assert.ok(valid({ maxLength: 2 }, '🚀🚀'));
    assert.ok(!valid({ minLength: 3 }, '🚀🚀'));
    assert.deepEqual(messages({ minLength: 3 }, 'ab'), ['the value must be at least 3 characters long (got 2)']);
    assert.deepEqual(messages({ maxLength: 3 }, 'abcd'), ['the value must be at most 3 characters long (got 4)']);
    assert.ok(valid({ pattern: 'b' }, 'abc'));
    assert.deepEqual(messages({ pattern: '^\\d{4}$' }, '12'), ['the value must match the pattern ^\\d{4}$ (got "12")']);
    assert.ok(valid({ pattern: '^[\\w\\-]+$' }, 'a-b'), 'non-unicode pattern escapes are accepted');
    assert.ok(valid({ pattern: '([' }, 'x'), 'a broken pattern is ignored');
    assert.ok(valid({ format: 'date' }, '2024-02-29'));
    assert.ok(!valid({ format: 'date' }, '2025-02-29'));
    assert.ok(!valid({ format: 'date' }, '2025-13-01'));
    assert.ok(!valid({ format: 'date' }, '16/06/2025'));
    assert.ok(valid({ format: 'date-time' }, '2025-06-16T09:00:00Z'));
    assert.ok(valid({ format: 'date-time' }, '2025-06-16T09:00:00.123+02:00'));
    assert.ok(!valid({ format: 'date-time' }, '2025-06-16 9am'));
    assert.ok(valid({ format: 'email' }, 'ana@example.com'));
    assert.ok(!valid({ format: 'email' }, 'ana@example'));
    assert.ok(valid({ format: 'uri' }, 'not checked'), 'other formats are ignored');
    assert.ok(valid({ format: 'date' }, 5), 'formats only apply to strings');
  });

  it('numbers: minimum / maximum, exclusive bounds of both drafts, multipleOf', () => {
    assert.deepEqual(messages({ minimum: 1, maximum: 10 }, 11), ['the value must be <= 10 (got 11)']);
    assert.ok(valid({ exclusiveMinimum: 0 }, 0.1));
    assert.deepEqual(messages({ exclusiveMinimum: 0 }, 0), ['the value must be > 0 (got 0)']);
    assert.ok(!valid({ minimum: 0, exclusiveMinimum: true }, 0), 'draft 4 boolean');
    assert.ok(valid({ maximum: 5, exclusiveMaximum: false }, 5));
    assert.ok(!valid({ exclusiveMaximum: 5 }, 5));
    assert.ok(valid({ multipleOf: 0.1 }, 0.3));
    assert.ok(!valid({ multipleOf: 2 }, 3));
    assert.ok(valid({ minimum: 5 }, 'strings are not numbers'));
  });

  it('anyOf / oneOf / allOf / not', () => {
    const nullableObj = { anyOf: [{ type: 'object', required: ['a'] }, { type: 'null' }] };
    assert.ok(valid(nullableObj, null));
    assert.ok(valid(nullableObj, { a: 1 }));
    // The branch of the value's type explains the failure.
    assert.deepEqual(messages(nullableObj, {}), ['missing required property "a"']);
    assert.deepEqual(messages({ anyOf: [{ type: 'string' }, { type: 'integer' }] }, true), ['the value must be a string or an integer (got a boolean)']);
    assert.deepEqual(messages({ anyOf: [{ minimum: 5 }, { maximum: 1 }] }, 3), ['the value does not match any of the allowed shapes (got 3)']);
    assert.ok(valid({ oneOf: [{ type: 'integer' }, { type: 'string' }] }, 1));
    assert.deepEqual(messages({ oneOf: [{ type: 'integer' }, { type: 'number' }] }, 1), ['the value matches more than one of the allowed shapes (oneOf)']);
    assert.deepEqual(messages({ allOf: [{ required: ['a'] }, { required: ['b'] }] }, {}), ['missing required property "a"', 'missing required property "b"']);
    assert.ok(!valid({ not: { type: 'string' } }, 'x'));
    assert.ok(valid({ not: { type: 'string' } }, 1));
  });

  it('local $ref, recursion, boolean schemas, unknown keywords', () => {
    const tree = { $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['name'] } }, $ref: '#/$defs/node' };
    assert.ok(valid(tree, { name: 'a', children: [{ name: 'b', children: [] }] }));
    assert.deepEqual(new CompiledSchema(tree).validate({ name: 'a', children: [{ children: [] }] }).map((v) => v.path), [['children', 0, 'name']]);
    assert.ok(valid({ definitions: { a: { type: 'string' } }, properties: { x: { $ref: '#/definitions/a' } } }, { x: 'ok' }));
    assert.ok(valid({ $ref: 'https://example.com/remote.json' }, 1), 'remote refs are ignored');
    assert.ok(valid(true, 1));
    assert.ok(!valid(false, 1));
    assert.deepEqual(messages({ properties: { a: false } }, { a: 1 }), ['"a" is not allowed here']);
    assert.ok(valid({ type: 'string', 'x-custom': 1, description: 'd', title: 't', examples: [] }, 's'));
    assert.ok(valid({}, { anything: [1, 'x'] }));
  });

  it('never overflows the stack: self references, deep values, deep schemas', () => {
    const deepText = '['.repeat(100_000) + ']'.repeat(100_000);
    const deep = JSON.parse(deepText);
    assert.ok(valid({ $ref: '#' }, 1));
    assert.ok(valid({ type: 'array', items: { $ref: '#' } }, deep), 'accepted past the depth limit');
    assert.ok(valid({ uniqueItems: true }, [deep, JSON.parse(deepText)]), 'too deep to compare: different');
    assert.deepEqual(messages({ enum: [1] }, deep), ['the value must be one of 1 (got an array)']);
    const deepSchema = JSON.parse('{"items":'.repeat(100_000) + '{}' + '}'.repeat(100_000));
    assert.ok(compileSchema(deepSchema).isValid([[1]]));
  });

  it('caps the violations it returns', () => {
    const v = new CompiledSchema({ additionalProperties: false }).validate({ a: 1, b: 2, c: 3 }, { max: 2 });
    assert.equal(v.length, 2);
  });

  it('compileSchema caches by JSON text, bounded', () => {
    const a = compileSchema({ type: 'object', required: ['x'] });
    assert.equal(compileSchema({ type: 'object', required: ['x'] }), a);
    assert.notEqual(compileSchema({ type: 'object', required: ['y'] }), a);
    for (let i = 0; i < 300; i++) compileSchema({ minimum: i });
    assert.notEqual(compileSchema({ type: 'object', required: ['x'] }), a, 'the oldest entries were evicted');
  });

  it('closestName finds typos, not unrelated names', () => {
    assert.equal(closestName('creat_task', ['create_task', 'list_tasks']), 'create_task');
    assert.equal(closestName('Title', ['title']), 'title');
    assert.equal(closestName('weather', ['create_task', 'list_tasks']), null);
  });
});
