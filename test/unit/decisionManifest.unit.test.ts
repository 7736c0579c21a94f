import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decide } from '../../src/core/decision/engine';
import { answeredInputs, readDecision, saveDecision } from '../../src/core/decision/manifestEdit';
import { parseManifest } from '../../src/core/project/manifest';

const TODAY = '2025-06-01';

const commented = [
  '# LLMOps project manifest — reviewed by the data team',
  'version: 1',
  'project:',
  '  name: support-bot   # the customer support assistant',
  '  use_case: "Answers support tickets"',
  '',
  '# Traffic from the analytics dashboard (March)',
  'volume:',
  '  monthly_requests: 500000',
  'datasets: {train: data/train.jsonl, eval: data/eval.jsonl}',
  'lint:',
  '  rules:',
  "    LD002: warning     # we keep some 'assistant-last' records on purpose",
  '',
].join('\n');

describe('llmops.yaml decision: section', () => {
  it('reads the example project\'s saved decision (the Task API assistant: SFT + persona + tool calling) and the engine still agrees', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'examples', 'task-assistant', 'llmops.yaml'), 'utf8');
    const r = readDecision(text);
    assert.equal(r.problem, null);
    assert.ok(r.saved, 'the example has a decision: section');
    assert.deepEqual(r.saved.result.approaches, ['sft', 'persona-tuning', 'tool-calling-sft']);
    // The same answers with the example's project data (500k requests, 72 clean examples, 28 pairs) give the saved result.
    const again = decide(r.saved.inputs, { monthlyRequests: 500_000, labelledExamples: 72, preferencePairs: 28 });
    assert.equal(again.recommendation[0].id, r.saved.result.id);
    assert.equal(again.recommendation[0].score, r.saved.result.score);
  });

  it('appends a decision to a file without one; everything else stays byte for byte', () => {
    const r = saveDecision(commented, { domainSpecificity: 'high', monthlyRequests: 500_000 }, { today: TODAY });
    assert.ok(r.ok);
    assert.ok(r.text.startsWith(commented), 'the original text is an untouched prefix');
    const added = r.text.slice(commented.length);
    assert.match(added, /^decision:\n {2}# Saved by the LLMOps Decision view/);
    assert.match(added, /\n {2}date: 2025-06-01\n {2}revision: 1\n {2}inputs:\n {4}monthly_requests: 500000\n {4}domain_specificity: high\n {2}result:\n {4}id: sft\n/);
    assert.deepEqual(parseManifest(r.text).problems, []);
    assert.equal(r.saved.revision, 1);
    assert.equal(r.saved.result.id, 'sft');
    assert.equal(r.saved.result.breakEvenMonths, 2.64);
    assert.ok(r.saved.rationale[0].includes('strong case for fine-tuning'));
  });

  it('replaces only the decision section, increments the revision, keeps comments before and after it', () => {
    const first = saveDecision(commented, { domainSpecificity: 'high' }, { today: '2025-05-01' });
    assert.ok(first.ok);
    // A person adds a section after the decision and a comment above it.
    const edited = first.text.replace('decision:', '# Decision reviewed in PR #12\ndecision:') + 'prices:\n  gpt-4o: {input_per_million: 2.5}   # negotiated\n';
    const second = saveDecision(edited, { domainSpecificity: 'low', brandVoice: 'high' }, { today: TODAY });
    assert.ok(second.ok);
    const [before, rest] = edited.split(/(?=^decision:)/m);
    assert.ok(second.text.startsWith(before));
    assert.ok(second.text.endsWith('prices:\n  gpt-4o: {input_per_million: 2.5}   # negotiated\n'));
    assert.ok(rest.length > 0);
    const parsed = parseYaml(second.text) as { decision: Record<string, unknown> };
    assert.equal(parsed.decision.revision, 2);
    assert.equal(parsed.decision.date, TODAY);
    assert.deepEqual(parsed.decision.inputs, { domain_specificity: 'low', brand_voice: 'high' });
    assert.equal((second.text.match(/^decision:/gm) ?? []).length, 1);
    assert.deepEqual(parseManifest(second.text).problems, []);
  });

  it('round trip: what is saved is read back the same', () => {
    const inputs = { monthlyRequests: 250_000, domainSpecificity: 'high', brandVoice: 'medium', dataSovereignty: true, latency: 'realtime', changeRate: 'rarely', knowledgeKind: 'behaviour', toolCalling: true, safetyIssues: false, labelledExamples: 1200, preferencePairs: 0, budgetUsd: 20_000, teamHours: 200, apiCostPerQuery: 0.004, customMonthlyUsd: 600, setupHours: 80, hourlyRateUsd: 90, trainingCostUsd: 100 } as const;
    const r = saveDecision(commented, inputs, { today: TODAY });
    assert.ok(r.ok);
    const back = readDecision(r.text);
    assert.equal(back.problem, null);
    assert.deepEqual(back.saved, r.saved);
    assert.deepEqual(back.saved?.inputs, inputs);
    assert.equal(back.monthlyRequests, 500_000);
  });

  it('creates a minimal manifest when there is none', () => {
    const r = saveDecision(null, { toolCalling: true }, { today: TODAY, projectName: 'task-api' });
    assert.ok(r.ok);
    assert.match(r.text, /^# LLMOps Workbench project manifest\nversion: 1\nproject:\n {2}name: task-api\ndecision:\n/);
    const m = parseManifest(r.text);
    assert.deepEqual(m.problems, []);
    assert.equal(m.manifest?.decision?.inputs?.tool_calling, true);
  });

  it('never writes defaults, project-derived nulls or invalid values', () => {
    assert.deepEqual(answeredInputs({ labelledExamples: null, monthlyRequests: -1, latency: 'fast' as never, brandVoice: 'high' }), { brandVoice: 'high' });
    const r = saveDecision(commented, {}, { today: TODAY });
    assert.ok(r.ok);
    assert.ok(!/inputs:/.test(r.text));
  });

  it('uses the project values for the saved result (labelled examples from the datasets)', () => {
    const a = saveDecision(commented, { monthlyRequests: 500_000, domainSpecificity: 'high' }, { today: TODAY, fromProject: { labelledExamples: 3 } });
    assert.ok(a.ok);
    assert.notEqual(a.saved.result.id, 'sft');
    assert.ok(!/labelled_examples/.test(a.text), 'project values are not written as answers');
  });

  it('follows the file: 4-space indentation and CRLF line ends', () => {
    const text = 'version: 1\r\nproject:\r\n    name: x\r\n';
    const r = saveDecision(text, { brandVoice: 'high' }, { today: TODAY });
    assert.ok(r.ok);
    assert.ok(r.text.startsWith(text));
    assert.ok(!/[^\r]\n/.test(r.text), 'only CRLF');
    assert.match(r.text, /\r\n {4}date: 2025-06-01\r\n/);
  });

  it('replaces a decision at the end of a file without a final newline, and an empty decision key', () => {
    const a = saveDecision('version: 1\nproject: {name: x}\ndecision:\n  revision: 4', {}, { today: TODAY });
    assert.ok(a.ok);
    assert.equal((parseYaml(a.text) as { decision: { revision: number } }).decision.revision, 5);
    const b = saveDecision('version: 1\ndecision:\nproject: {name: x}\n', {}, { today: TODAY });
    assert.ok(b.ok);
    assert.ok(b.text.endsWith('project: {name: x}\n'));
    assert.deepEqual(parseManifest(b.text).problems, []);
  });

  it('rewrites a one-line flow manifest through the document model', () => {
    const r = saveDecision('{version: 1, project: {name: x}}\n', { brandVoice: 'high' }, { today: TODAY });
    assert.ok(r.ok);
    assert.deepEqual(parseManifest(r.text).problems, []);
  });

  it('refuses a file that does not parse, with the line, and never returns new text', () => {
    const bad = 'version: 1\nproject:\n  name: x\n  tags: [a, b\nvolume:\n  monthly_requests: 5\n';
    const r = saveDecision(bad, { brandVoice: 'high' }, { today: TODAY });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.problem.message, /does not parse/);
    assert.equal(typeof r.problem.line, 'number');
    assert.ok(r.problem.line! >= 4, String(r.problem.line));
    assert.equal((r as { text?: string }).text, undefined);
    const list = saveDecision('- a\n- b\n', {}, { today: TODAY });
    assert.equal(list.ok, false);
  });

  it('a hand-edited decision with a wrong value: a problem at its line; the rest of the manifest still loads', () => {
    const text = 'version: 1\nproject:\n  name: x\nlint:\n  min_examples: 5\ndecision:\n  revision: 2\n  inputs:\n    latency: fast\n';
    const r = readDecision(text);
    assert.equal(r.saved, null);
    assert.deepEqual(r.problem, { message: 'decision.inputs.latency: Expected one of: relaxed, interactive, realtime', line: 9 });
    const m = parseManifest(text);
    assert.equal(m.manifest?.lint?.min_examples, 5, 'lint settings still apply');
    assert.equal(m.manifest?.decision, undefined);
    assert.deepEqual(
      m.problems.map((p) => [p.line, p.path]),
      [[8, ['decision', 'inputs', 'latency']]],
    );
  });

  it('an unknown key in decision: is a problem at the key', () => {
    const r = readDecision('version: 1\nproject:\n  name: x\ndecision:\n  revison: 2\n');
    assert.deepEqual(r.problem, { message: 'decision.revison: Unknown key "revison"', line: 5 });
  });

  it('a decision written by hand with inputs only: the result is computed', () => {
    const r = readDecision('version: 1\nproject:\n  name: x\nvolume:\n  monthly_requests: 800000\ndecision:\n  inputs:\n    domain_specificity: high\n');
    assert.equal(r.problem, null);
    assert.equal(r.saved?.result.id, 'sft');
    assert.equal(r.saved?.revision, 0);
    assert.ok(r.saved!.rationale.length > 0);
  });

  it('a file that does not parse: the problem names the line', () => {
    const r = readDecision('version: 1\nproject:\n  name: "x\n');
    assert.equal(r.saved, null);
    assert.match(r.problem!.message, /does not parse/);
    assert.ok(r.problem!.line! >= 3);
  });
});
