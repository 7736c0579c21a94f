import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type ManifestProblem } from '../../src/core/project/manifest';

/** [line, column, endLine, endColumn] of each problem. */
const ranges = (ps: ManifestProblem[]) => ps.map((p) => [p.line, p.column, p.endLine, p.endColumn]);

describe('llmops.yaml manifest', () => {
  it('parses the example project with no problems', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'examples', 'task-assistant', 'llmops.yaml'), 'utf8');
    const r = parseManifest(text);
    assert.deepEqual(r.problems, []);
    assert.equal(r.manifest?.version, 1);
    assert.equal(r.manifest?.project.name, 'task-assistant');
    assert.equal(r.manifest?.volume?.monthly_requests, 500000);
    assert.equal(r.manifest?.datasets?.preferences, 'data/preferences.jsonl');
  });

  it('accepts every optional section, other dataset names and lint settings', () => {
    const r = parseManifest(
      [
        'version: 1',
        'project: {name: p}',
        'datasets:',
        '  train: a.jsonl',
        '  holdout: b.jsonl',
        'lint:',
        '  format: openai-chat',
        '  rules: {invalid-json: off, LD002: warning}',
        '  near_duplicate_threshold: 0.9',
        '  min_examples: 10',
        'prices:',
        '  gpt-4o-mini: {input_per_million: 0.15}',
        'decision: {revision: 1, inputs: {monthly_requests: 500000}, result: {id: sft, approaches: [sft], score: 80}}',
      ].join('\n'),
    );
    assert.deepEqual(r.problems, []);
    assert.equal(r.manifest?.datasets?.holdout, 'b.jsonl');
    assert.equal(r.manifest?.lint?.rules?.['invalid-json'], 'off');
  });

  it('reports an unknown key at the key itself', () => {
    const r = parseManifest('version: 1\nproject:\n  name: x\n  nmae: y\n');
    assert.equal(r.manifest, undefined);
    assert.deepEqual(ranges(r.problems), [[3, 2, 3, 6]]);
    assert.equal(r.problems[0].message, 'Unknown key "nmae"');
    assert.deepEqual(r.problems[0].path, ['project', 'nmae']);
  });

  it('reports each of several unknown keys, top-level ones included', () => {
    const r = parseManifest('version: 1\nproject: {name: x, owner: me}\nbudget: 3\n');
    assert.deepEqual(ranges(r.problems), [
      [1, 19, 1, 24],
      [2, 0, 2, 6],
    ]);
  });

  it('reports a wrong type at the value', () => {
    const r = parseManifest('version: 1\nproject:\n  name: x\nvolume:\n  monthly_requests: lots\n');
    assert.deepEqual(ranges(r.problems), [[4, 20, 4, 24]]);
    assert.equal(r.problems[0].message, 'Invalid input: expected number, received string');
    assert.equal(r.problems[0].severity, 'error');
  });

  it('reports values out of range, bad enum values and bad rule names at their ranges', () => {
    const text = ['version: 2', 'project: {name: x}', 'lint:', '  rules:', '    Bad Rule: error', '    invalid-json: loud', '  near_duplicate_threshold: 1.5', '  format: csv'].join('\n');
    const r = parseManifest(text);
    assert.deepEqual(
      r.problems.map((p) => [p.path?.join('.'), p.line, p.column, p.endColumn]),
      [
        ['version', 0, 9, 10],
        ['lint.format', 7, 10, 13],
        ['lint.rules.Bad Rule', 4, 4, 12],
        ['lint.rules.invalid-json', 5, 18, 22],
        ['lint.near_duplicate_threshold', 6, 28, 31],
      ],
    );
  });

  it('reports a missing key at the key of the object that lacks it', () => {
    const r = parseManifest('version: 1\nproject:\n  use_case: x\n');
    assert.deepEqual(ranges(r.problems), [[1, 0, 1, 7]]);
    assert.equal(r.problems[0].message, 'Missing required key "name"');
    const top = parseManifest('project:\n  name: x\n');
    assert.deepEqual(ranges(top.problems), [[0, 0, 0, 7]]);
    assert.equal(top.problems[0].message, 'Missing required key "version"');
  });

  it('reports an empty value at its key, and a wrong block value at its key rather than the whole block', () => {
    assert.deepEqual(ranges(parseManifest('version: 1\nproject:\n').problems), [[1, 0, 1, 7]]);
    const r = parseManifest('version: 1\nproject:\n  name: x\n  description:\n    - a\n    - b\n');
    assert.deepEqual(ranges(r.problems), [[3, 2, 3, 13]]);
  });

  it('reports YAML syntax errors at their ranges, and no schema problems then', () => {
    const r = parseManifest('version: 1\nproject:\n  name: x\nproject: y\n');
    assert.equal(r.manifest, undefined);
    assert.deepEqual(ranges(r.problems), [[3, 0, 3, 1]]);
    assert.match(r.problems[0].message, /unique/);
    const flow = parseManifest('version: 1\nproject: {name: x\n');
    assert.ok(flow.problems.length > 0);
    assert.ok(flow.problems.every((p) => p.path === undefined && p.line >= 1));
  });

  it('reports YAML warnings as warnings', () => {
    const r = parseManifest('version: 1\nproject: {name: !custom x}\n');
    assert.deepEqual(
      r.problems.map((p) => [p.severity, p.line, p.column]),
      [['warning', 1, 16]],
    );
  });

  it('reports an empty document and a non-mapping document, and never throws', () => {
    assert.match(parseManifest('').problems[0].message, /empty/);
    assert.match(parseManifest('# only a comment\n').problems[0].message, /empty/);
    assert.match(parseManifest('- a\n- b\n').problems[0].message, /expected object, received array/);
    for (const text of ['\t\t:', '{{{', ']', ': : :', '\u0000', 'version: 1\n  project: x']) {
      const r = parseManifest(text);
      assert.ok(r.problems.length > 0, JSON.stringify(text));
    }
  });

  it('stops at an alias bomb instead of expanding it', () => {
    // Each level refers to the previous one ten times: 10^9 nodes if expanded.
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const r = parseManifest(['version: 1', 'project: {name: x}', 'decision:', ...levels.map((l) => '  ' + l)].join('\n'));
    assert.equal(r.manifest, undefined);
    assert.match(r.problems[0].message, /alias/i);
  });
});
