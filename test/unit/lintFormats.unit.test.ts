import { strict as assert } from 'node:assert';
import { formatGithub, GITHUB_ANNOTATION_LIMIT } from '../../src/core/lint/githubAnnotations';
import { formatJunit } from '../../src/core/lint/junit';
import { summarize, type FileReport, type ReportDiagnostic } from '../../src/core/lint/report';
import { rules as registeredRules } from '../../src/core/lint/rules/registry';
import { FINGERPRINT_KEY, formatSarif, MAX_SARIF_RESULTS, pascalName } from '../../src/core/lint/sarif';
import type { Rule, Severity } from '../../src/core/lint/types';

const ruleA: Rule = {
  code: 'LD001',
  name: 'invalid-json',
  defaultSeverity: 'error',
  summary: 'A line is not valid JSON.',
  doc: { what: 'Flags broken lines.', why: 'Loaders fail.', example: '{"a": 1,}\n```not a fence```', useInstead: '{"a": 1}' },
};
const ruleB: Rule = {
  code: 'LD005',
  name: 'empty-file',
  defaultSeverity: 'warning',
  summary: 'The dataset has no records.',
  fix: { title: 'Remove the file', applicability: 'unsafe' },
  doc: { what: 'Flags empty files.', why: 'Nothing to learn.', example: '', useInstead: '{"messages": []}' },
};
const testRules = [ruleA, ruleB];

function diag(line: number, message: string, severity: Severity = 'error', extra: Partial<ReportDiagnostic> = {}): ReportDiagnostic {
  const rule = severity === 'error' ? ruleA : ruleB;
  return { code: rule.code, rule: rule.name, severity, line, column: 3, endLine: line, endColumn: 7, message, ...extra };
}

const file = (path: string, diagnostics: ReportDiagnostic[], records = 10): FileReport => ({ path, format: 'openai-chat', records, diagnostics });

/** Every awkward thing a message can hold. */
const nasty = 'Bad: 100% "quoted", \'single\' <tag> & co,\nline two\r\nthree\ttab 🚀 \u0001\u001b[31m \uD800 ::add-mask::x %0A';

const emptyReport = summarize([]);

// ---------------------------------------------------------------------------------------------------
// SARIF: a shape check written from sarif-schema-2.1.0.json (additionalProperties: false on these
// objects) and from GitHub's "SARIF support for code scanning" required-property tables.

type Json = Record<string, unknown>;

const allowed: Record<string, string[]> = {
  log: ['$schema', 'version', 'runs', 'inlineExternalProperties', 'properties'],
  run: ['tool', 'invocations', 'conversion', 'language', 'versionControlProvenance', 'originalUriBaseIds', 'artifacts', 'logicalLocations', 'graphs', 'results', 'automationDetails', 'runAggregates', 'baselineGuid', 'redactionTokens', 'defaultEncoding', 'defaultSourceLanguage', 'newlineSequences', 'columnKind', 'externalPropertyFileReferences', 'threadFlowLocations', 'taxonomies', 'addresses', 'translations', 'policies', 'webRequests', 'webResponses', 'specialLocations', 'properties'],
  tool: ['driver', 'extensions', 'properties'],
  toolComponent: ['guid', 'name', 'organization', 'product', 'productSuite', 'shortDescription', 'fullDescription', 'fullName', 'version', 'semanticVersion', 'dottedQuadFileVersion', 'releaseDateUtc', 'downloadUri', 'informationUri', 'globalMessageStrings', 'notifications', 'rules', 'taxa', 'locations', 'language', 'contents', 'isComprehensive', 'localizedDataSemanticVersion', 'minimumRequiredLocalizedDataSemanticVersion', 'associatedComponent', 'translationMetadata', 'supportedTaxonomies', 'properties'],
  reportingDescriptor: ['id', 'deprecatedIds', 'guid', 'deprecatedGuids', 'name', 'deprecatedNames', 'shortDescription', 'fullDescription', 'messageStrings', 'defaultConfiguration', 'helpUri', 'help', 'relationships', 'properties'],
  multiformatMessageString: ['text', 'markdown', 'properties'],
  reportingConfiguration: ['enabled', 'level', 'rank', 'parameters', 'properties'],
  result: ['ruleId', 'ruleIndex', 'rule', 'kind', 'level', 'message', 'analysisTarget', 'locations', 'guid', 'correlationGuid', 'occurrenceCount', 'partialFingerprints', 'fingerprints', 'stacks', 'codeFlows', 'graphs', 'graphTraversals', 'relatedLocations', 'suppressions', 'baselineState', 'rank', 'attachments', 'hostedViewerUri', 'workItemUris', 'provenance', 'fixes', 'taxa', 'webRequest', 'webResponse', 'properties'],
  message: ['text', 'markdown', 'id', 'arguments', 'properties'],
  location: ['id', 'physicalLocation', 'logicalLocations', 'message', 'annotations', 'relationships', 'properties'],
  physicalLocation: ['address', 'artifactLocation', 'region', 'contextRegion', 'properties'],
  artifactLocation: ['uri', 'uriBaseId', 'index', 'description', 'properties'],
  region: ['startLine', 'startColumn', 'endLine', 'endColumn', 'charOffset', 'charLength', 'byteOffset', 'byteLength', 'snippet', 'message', 'sourceLanguage', 'properties'],
  invocation: ['commandLine', 'arguments', 'responseFiles', 'startTimeUtc', 'endTimeUtc', 'exitCode', 'ruleConfigurationOverrides', 'notificationConfigurationOverrides', 'toolExecutionNotifications', 'toolConfigurationNotifications', 'exitCodeDescription', 'exitSignalName', 'exitSignalNumber', 'processStartFailureMessage', 'executionSuccessful', 'machine', 'account', 'processId', 'executableLocation', 'workingDirectory', 'environmentVariables', 'stdin', 'stdout', 'stderr', 'stdoutStderr', 'properties'],
  notification: ['locations', 'message', 'level', 'threadId', 'timeUtc', 'exception', 'descriptor', 'associatedRule', 'properties'],
};

function obj(v: unknown, kind: string, at: string): Json {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `${at}: expected an object`);
  const o = v as Json;
  for (const k of Object.keys(o)) assert.ok(allowed[kind].includes(k), `${at}: ${kind} has no property '${k}'`);
  return o;
}

/** GitHub: "The empty string is not supported for required properties." */
function str(v: unknown, at: string, max = Infinity): string {
  assert.equal(typeof v, 'string', `${at}: expected a string`);
  assert.ok((v as string).trim().length > 0, `${at}: empty`);
  assert.ok((v as string).length <= max, `${at}: longer than ${max}`);
  return v as string;
}

function int(v: unknown, min: number, at: string): number {
  assert.ok(Number.isInteger(v) && (v as number) >= min, `${at}: expected an integer >= ${min}, got ${String(v)}`);
  return v as number;
}

const levels = ['none', 'note', 'warning', 'error'];

function mms(v: unknown, at: string, max = Infinity): Json {
  const m = obj(v, 'multiformatMessageString', at);
  str(m.text, `${at}.text`, max);
  if ('markdown' in m) str(m.markdown, `${at}.markdown`);
  return m;
}

function checkSarif(text: string): Json {
  const log = obj(JSON.parse(text), 'log', '$');
  assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(log.version, '2.1.0');
  assert.ok(Array.isArray(log.runs) && log.runs.length === 1, 'one run');
  const run = obj(log.runs[0], 'run', 'run');
  const tool = obj(run.tool, 'tool', 'run.tool');
  const driver = obj(tool.driver, 'toolComponent', 'driver');
  str(driver.name, 'driver.name');
  if ('informationUri' in driver) assert.match(driver.informationUri as string, /^https?:\/\//);
  assert.ok(Array.isArray(driver.rules), 'driver.rules is required by GitHub');
  const rules = driver.rules as unknown[];
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    const rule = obj(r, 'reportingDescriptor', at);
    const id = str(rule.id, `${at}.id`);
    assert.ok(!ids.has(id), `${at}: duplicate id ${id}`);
    ids.add(id);
    if ('name' in rule) assert.match(str(rule.name, `${at}.name`, 255), /^[A-Z][A-Za-z0-9]*$/);
    mms(rule.shortDescription, `${at}.shortDescription`, 1024);
    mms(rule.fullDescription, `${at}.fullDescription`, 1024);
    mms(rule.help, `${at}.help`);
    if ('defaultConfiguration' in rule) assert.ok(levels.includes(obj(rule.defaultConfiguration, 'reportingConfiguration', at).level as string));
    if ('properties' in rule) {
      const tags = (rule.properties as Json).tags as string[];
      assert.ok(Array.isArray(tags) && tags.length <= 20 && new Set(tags).size === tags.length, `${at}: tags`);
    }
  });
  assert.ok(Array.isArray(run.results), 'run.results is required by GitHub');
  (run.results as unknown[]).forEach((r, i) => {
    const at = `results[${i}]`;
    const result = obj(r, 'result', at);
    const ruleIndex = int(result.ruleIndex, 0, `${at}.ruleIndex`);
    assert.ok(ruleIndex < rules.length, `${at}: ruleIndex out of range`);
    assert.equal((rules[ruleIndex] as Json).id, result.ruleId, `${at}: ruleIndex and ruleId disagree`);
    assert.ok(levels.includes(result.level as string), `${at}.level`);
    str(obj(result.message, 'message', `${at}.message`).text, `${at}.message.text`);
    const locations = result.locations as unknown[];
    assert.ok(Array.isArray(locations) && locations.length >= 1 && locations.length <= 10, `${at}: 1 to 10 locations`);
    const loc = obj(locations[0], 'location', `${at}.locations[0]`);
    const phys = obj(loc.physicalLocation, 'physicalLocation', `${at}.physicalLocation`);
    const art = obj(phys.artifactLocation, 'artifactLocation', `${at}.artifactLocation`);
    const uri = str(art.uri, `${at}.uri`);
    assert.doesNotThrow(() => new URL(uri, 'file:///root/'), `${at}: uri is not a URI reference`);
    assert.ok(!/[\s\\#?]/.test(uri), `${at}: uri has an unencoded character: ${uri}`);
    if (art.uriBaseId !== undefined) assert.ok((run.originalUriBaseIds as Json)[art.uriBaseId as string], `${at}: uriBaseId not in originalUriBaseIds`);
    const reg = obj(phys.region, 'region', `${at}.region`);
    const startLine = int(reg.startLine, 1, `${at}.startLine`);
    const startColumn = int(reg.startColumn, 1, `${at}.startColumn`);
    const endLine = int(reg.endLine, 1, `${at}.endLine`);
    const endColumn = int(reg.endColumn, 1, `${at}.endColumn`);
    assert.ok(endLine > startLine || (endLine === startLine && endColumn >= startColumn), `${at}: region ends before it starts`);
    const prints = result.partialFingerprints as Json;
    assert.ok(prints && Object.keys(prints).length > 0, `${at}: partialFingerprints`);
    for (const v of Object.values(prints)) str(v, `${at}.partialFingerprints`);
  });
  assert.ok((run.results as unknown[]).length <= MAX_SARIF_RESULTS);
  if ('invocations' in run) {
    for (const inv of run.invocations as unknown[]) {
      const o = obj(inv, 'invocation', 'invocation');
      assert.equal(typeof o.executionSuccessful, 'boolean');
      for (const n of (o.toolExecutionNotifications as unknown[]) ?? []) str(obj(obj(n, 'notification', 'notification').message, 'message', 'notification.message').text, 'notification text');
    }
  }
  for (const [k, v] of Object.entries((run.originalUriBaseIds as Json) ?? {})) {
    const a = obj(v, 'artifactLocation', `originalUriBaseIds.${k}`);
    if ('uri' in a) assert.match(a.uri as string, /^file:\/\/.*\/$/, 'a base URI is absolute and ends with a slash');
  }
  assert.equal(run.columnKind, 'utf16CodeUnits');
  return log;
}

const sarifRun = (text: string): Json => ((JSON.parse(text) as Json).runs as Json[])[0];
const results = (text: string): Json[] => sarifRun(text).results as Json[];
const fingerprintOf = (r: Json): string => (r.partialFingerprints as Record<string, string>)[FINGERPRINT_KEY];
const uriOf = (r: Json): Json => ((r.locations as Json[])[0].physicalLocation as Json).artifactLocation as Json;
const sarif = (report = emptyReport, extra = {}): string => formatSarif(report, { toolVersion: '1.2.3', rules: testRules, ...extra });

describe('lint output: SARIF', () => {
  it('writes a valid log with the tool and every registered rule, even with no results', () => {
    const text = sarif();
    checkSarif(text);
    const run = sarifRun(text);
    const driver = (run.tool as Json).driver as Json;
    assert.equal(driver.name, 'llmops');
    assert.equal(driver.version, '1.2.3');
    assert.equal(driver.semanticVersion, '1.2.3');
    assert.deepEqual(run.results, []);
    assert.deepEqual(
      (driver.rules as Json[]).map((r) => [r.id, r.name, (r.defaultConfiguration as Json).level]),
      [
        ['LD001', 'InvalidJson', 'error'],
        ['LD005', 'EmptyFile', 'warning'],
      ],
    );
    assert.ok(text.endsWith('}\n'));
  });

  it('documents each rule from its doc sections, with fences that survive backticks', () => {
    const rule = (((sarifRun(sarif()).tool as Json).driver as Json).rules as Json[])[0];
    assert.equal((rule.shortDescription as Json).text, ruleA.summary);
    assert.equal((rule.fullDescription as Json).text, ruleA.doc.what);
    const help = rule.help as { text: string; markdown: string };
    for (const section of ['What it does', 'Why', 'Example', 'Use instead']) {
      assert.ok(help.text.includes(section), section);
      assert.ok(help.markdown.includes(`## ${section}`), section);
    }
    assert.ok(help.markdown.includes('````\n{"a": 1,}\n```not a fence```\n````'), 'a longer fence around an example holding ```');
    assert.ok(help.text.includes('llmops explain LD001'));
    const withFix = (((sarifRun(sarif()).tool as Json).driver as Json).rules as Json[])[1];
    assert.ok((withFix.help as Json).text!.toString().includes('Fix (unsafe): Remove the file'));
    assert.deepEqual((withFix.properties as Json)['problem.severity'], 'warning');
  });

  it('describes every rule in the real registry validly', () => {
    const text = formatSarif(emptyReport, { toolVersion: '0.1.0', rules: registeredRules });
    checkSarif(text);
    assert.equal((((sarifRun(text).tool as Json).driver as Json).rules as Json[]).length, registeredRules.length);
  });

  it('maps severities to levels and points each result at its rule and region', () => {
    const report = summarize([
      file('data/train.jsonl', [
        diag(2, 'Invalid JSON: Trailing comma', 'error'),
        diag(3, 'w', 'warning'),
        diag(4, 'i', 'info'),
        diag(5, 'h', 'hint', { endLine: 6, endColumn: 1 }),
      ]),
    ]);
    const text = sarif(report);
    checkSarif(text);
    const rs = results(text);
    assert.deepEqual(
      rs.map((r) => r.level),
      ['error', 'warning', 'note', 'note'],
    );
    assert.deepEqual(rs.map((r) => [r.ruleId, r.ruleIndex]), [
      ['LD001', 0],
      ['LD005', 1],
      ['LD005', 1],
      ['LD005', 1],
    ]);
    assert.deepEqual(uriOf(rs[0]), { uri: 'data/train.jsonl', uriBaseId: '%SRCROOT%' });
    assert.deepEqual((rs[0].locations as Json[])[0].physicalLocation, {
      artifactLocation: { uri: 'data/train.jsonl', uriBaseId: '%SRCROOT%' },
      region: { startLine: 2, startColumn: 3, endLine: 2, endColumn: 7 },
    });
    assert.deepEqual(((rs[3].locations as Json[])[0].physicalLocation as Json).region, { startLine: 5, startColumn: 3, endLine: 6, endColumn: 1 });
    assert.equal((rs[0].message as Json).text, 'Invalid JSON: Trailing comma');
  });

  it('keeps awkward message text exact (JSON escaping does the work)', () => {
    const text = sarif(summarize([file('a.jsonl', [diag(1, nasty)])]));
    checkSarif(text);
    assert.equal((results(text)[0].message as Json).text, nasty);
    assert.ok(![...text].some((c) => c !== '\n' && c.charCodeAt(0) < 0x20), 'no raw control characters in the JSON text');
  });

  it('encodes paths as relative URI references with forward slashes', () => {
    const uris = (paths: string[]): Json[] => results(sarif(summarize(paths.map((p) => file(p, [diag(1, 'x')]))))).map(uriOf);
    assert.deepEqual(uris(['my data/a#1 100%.jsonl', './x.jsonl', 'sub\\win.jsonl', 'c:odd.jsonl', 'ünï/😀.jsonl']), [
      { uri: 'my%20data/a%231%20100%25.jsonl', uriBaseId: '%SRCROOT%' },
      { uri: 'x.jsonl', uriBaseId: '%SRCROOT%' },
      { uri: 'sub/win.jsonl', uriBaseId: '%SRCROOT%' },
      { uri: 'c%3Aodd.jsonl', uriBaseId: '%SRCROOT%' },
      { uri: '%C3%BCn%C3%AF/%F0%9F%98%80.jsonl', uriBaseId: '%SRCROOT%' },
    ]);
    assert.equal(decodeURIComponent('my%20data/a%231%20100%25.jsonl'), 'my data/a#1 100%.jsonl');
    assert.deepEqual(uris(['/abs/p.jsonl', 'D:/data/q.jsonl']), [{ uri: 'file:///abs/p.jsonl' }, { uri: 'file:///D:/data/q.jsonl' }]);
  });

  it('records the source root when given one', () => {
    const text = sarif(emptyReport, { srcRoot: '/work/repo', informationUri: 'https://example.com/llmops' });
    checkSarif(text);
    assert.deepEqual(sarifRun(text).originalUriBaseIds, { '%SRCROOT%': { uri: 'file:///work/repo/' } });
    assert.equal(((sarifRun(text).tool as Json).driver as Json).informationUri, 'https://example.com/llmops');
  });

  describe('fingerprints', () => {
    const printsFor = (diagnostics: ReportDiagnostic[], path = 'data/a.jsonl'): string[] => results(sarif(summarize([file(path, diagnostics)]))).map(fingerprintOf);

    it('are stable run to run and survive lines moving', () => {
      const before = printsFor([diag(3, 'Invalid JSON: Trailing comma'), diag(9, 'Invalid JSON: Unexpected end')]);
      assert.deepEqual(printsFor([diag(3, 'Invalid JSON: Trailing comma'), diag(9, 'Invalid JSON: Unexpected end')]), before);
      assert.deepEqual(printsFor([diag(40, 'Invalid JSON: Trailing comma', 'error', { column: 1, endLine: 40 }), diag(90, 'Invalid JSON: Unexpected end')]), before);
      for (const p of before) assert.match(p, /^[0-9a-f]{16}:\d+$/);
    });

    it('ignore numbers in the message (offsets, counts) but not the words', () => {
      const [a] = printsFor([diag(1, 'Invalid UTF-8 at byte offset 120 (bytes 0xFF)')]);
      const [b] = printsFor([diag(7, 'Invalid UTF-8 at byte offset 9999 (bytes 0xFF)')]);
      const [c] = printsFor([diag(1, 'Invalid JSON: Trailing comma')]);
      assert.equal(a, b);
      assert.notEqual(a, c);
    });

    it('tell apart rules, files and repeated identical findings (numbered in line order)', () => {
      const same = printsFor([diag(8, 'dup'), diag(2, 'dup'), diag(5, 'dup')]);
      const hash = same[0].split(':')[0];
      assert.deepEqual(same, [`${hash}:3`, `${hash}:1`, `${hash}:2`]);
      assert.notEqual(printsFor([diag(1, 'dup')], 'data/b.jsonl')[0], `${hash}:1`);
      assert.notEqual(printsFor([diag(1, 'dup', 'warning')])[0].split(':')[0], hash);
    });
  });

  it('gives a diagnostic with an unregistered code a rule of its own', () => {
    const d: ReportDiagnostic = { ...diag(1, 'new rule fired'), code: 'LD999', rule: 'brand-new-rule', severity: 'warning' };
    const text = sarif(summarize([file('a.jsonl', [d, { ...d, line: 2 }])]));
    checkSarif(text);
    const rules = ((sarifRun(text).tool as Json).driver as Json).rules as Json[];
    assert.equal(rules.length, 3);
    assert.deepEqual([rules[2].id, rules[2].name], ['LD999', 'BrandNewRule']);
    assert.deepEqual(results(text).map((r) => r.ruleIndex), [2, 2]);
  });

  it('repairs impossible regions instead of writing an invalid log', () => {
    const text = sarif(summarize([file('a.jsonl', [diag(0, 'x', 'error', { column: 0, endLine: 0, endColumn: 0 }), diag(5, 'y', 'error', { column: 9, endLine: 5, endColumn: 2 }), diag(1, '', 'error')])]));
    checkSarif(text);
    const regions = results(text).map((r) => ((r.locations as Json[])[0].physicalLocation as Json).region);
    assert.deepEqual(regions[0], { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
    assert.deepEqual(regions[1], { startLine: 5, startColumn: 9, endLine: 5, endColumn: 9 });
    assert.equal((results(text)[2].message as Json).text, 'LD001 invalid-json');
  });

  it("stays within GitHub's result limit, dropping the least severe first and saying so", () => {
    const report = summarize([file('a.jsonl', [diag(1, 'w1', 'warning'), diag(2, 'w2', 'warning'), diag(3, 'e1', 'error'), diag(4, 'w3', 'warning')])]);
    const text = sarif(report, { maxResults: 2 });
    checkSarif(text);
    assert.deepEqual(results(text).map((r) => (r.message as Json).text), ['w1', 'e1']);
    const note = ((sarifRun(text).invocations as Json[])[0].toolExecutionNotifications as Json[])[0];
    assert.match((note.message as Json).text as string, /^2 of 4 results were left out/);
    assert.ok(!('invocations' in sarifRun(sarif(report))));
  });

  it('omits semanticVersion when the version is not semver', () => {
    const driver = (sarifRun(formatSarif(emptyReport, { toolVersion: 'nightly', rules: testRules })).tool as Json).driver as Json;
    assert.equal(driver.version, 'nightly');
    assert.ok(!('semanticVersion' in driver));
  });

  it('makes Pascal-case names', () => {
    assert.equal(pascalName('multiline-json-not-jsonl'), 'MultilineJsonNotJsonl');
    assert.equal(pascalName('utf8-bom'), 'Utf8Bom');
    assert.equal(pascalName('3-way'), 'Rule3Way');
  });
});

// ---------------------------------------------------------------------------------------------------
// GitHub workflow commands: parsed back the way the runner reads them.

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
function unescapeProperty(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
}
function parseCommand(line: string): { command: string; props: Record<string, string>; message: string } | null {
  const m = /^::([a-z]+)(?: ([^]*?))?::([^]*)$/.exec(line);
  if (!m) return null;
  const props: Record<string, string> = {};
  for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = kv.indexOf('=');
    props[kv.slice(0, eq)] = unescapeProperty(kv.slice(eq + 1));
  }
  return { command: m[1], props, message: unescapeData(m[3]) };
}

describe('lint output: GitHub annotations', () => {
  it('writes one command per diagnostic in the documented form, then a plain summary', () => {
    const out = formatGithub(summarize([file('data/train.jsonl', [diag(2, 'Invalid JSON: Trailing comma')], 3)]));
    assert.equal(
      out,
      '::error file=data/train.jsonl,line=2,col=3,endLine=2,endColumn=7,title=invalid-json (LD001)::Invalid JSON: Trailing comma\n' +
        'llmops lint: 1 file, 3 records: 1 error, 0 warnings\n',
    );
  });

  it('maps severities to error, warning and notice', () => {
    const out = formatGithub(summarize([file('a.jsonl', [diag(1, 'e'), diag(2, 'w', 'warning'), diag(3, 'i', 'info'), diag(4, 'h', 'hint')])]));
    assert.deepEqual(
      out.trimEnd().split('\n').slice(0, 4).map((l) => parseCommand(l)!.command),
      ['error', 'warning', 'notice', 'notice'],
    );
  });

  it('escapes data and properties so every value reads back exactly and stays on one line', () => {
    const path = 'we,ird:dir/100% a\nb.jsonl';
    const out = formatGithub(summarize([file(path, [diag(1, nasty)])]));
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 2, 'a newline in a message or path never starts a new command');
    const cmd = parseCommand(lines[0])!;
    assert.equal(cmd.message, nasty);
    assert.equal(cmd.props.file, path);
    assert.equal(cmd.props.title, 'invalid-json (LD001)');
    assert.ok(lines[0].includes('file=we%2Cird%3Adir/100%25 a%0Ab.jsonl,'));
    assert.ok(lines[0].includes('::Bad: 100%25 "quoted", \'single\' <tag> & co,%0Aline two%0D%0Athree'), 'data keeps : and , as they are');
    assert.ok(lines[0].endsWith(' %250A'), 'a literal %0A in a message is not decoded into a newline');
  });

  it('leaves columns out of an annotation that spans lines', () => {
    const cmd = parseCommand(formatGithub(summarize([file('a.jsonl', [diag(2, 'x', 'error', { endLine: 5, endColumn: 1 })])])).split('\n')[0])!;
    assert.deepEqual(cmd.props, { file: 'a.jsonl', line: '2', endLine: '5', title: 'invalid-json (LD001)' });
  });

  it('prints only the summary for an empty report, and notes the per-step display limit when it bites', () => {
    assert.equal(formatGithub(emptyReport), 'llmops lint: 0 files, 0 records: 0 errors, 0 warnings\n');
    const many = Array.from({ length: GITHUB_ANNOTATION_LIMIT + 1 }, (_, i) => diag(i + 1, 'x'));
    const last = formatGithub(summarize([file('a.jsonl', many)])).trimEnd().split('\n').pop()!;
    assert.match(last, /^llmops lint: 1 file, 10 records: 11 errors, 0 warnings \(GitHub shows at most 10 annotations/);
    assert.equal(parseCommand(last), null);
  });
});

// ---------------------------------------------------------------------------------------------------
// JUnit: a small well-formedness check for the XML subset the formatter writes, decoding as a parser would.

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

function decodeRefs(s: string, at: string): string {
  assert.ok(!/[<]/.test(s), `${at}: raw '<'`);
  return s.replace(/&(#x?[0-9a-fA-F]+|[a-z]+);|&/g, (all, ref: string | undefined) => {
    assert.ok(ref, `${at}: bare '&'`);
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (ref!.startsWith('#')) return String.fromCodePoint(ref![1] === 'x' ? parseInt(ref!.slice(2), 16) : parseInt(ref!.slice(1), 10));
    assert.ok(ref! in named, `${at}: unknown entity ${all}`);
    return named[ref!];
  });
}

function parseXml(xml: string): XmlNode {
  assert.ok(XML_CHAR.test(xml), 'only characters XML 1.0 allows');
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  const root: XmlNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"]*")*)\s*(\/?)>|([^<]+)/gy;
  re.lastIndex = xml.indexOf('?>') + 2;
  let m: RegExpExecArray | null;
  while (re.lastIndex < xml.length && (m = re.exec(xml))) {
    const top = stack[stack.length - 1];
    if (m[5] !== undefined) {
      top.text += decodeRefs(m[5].replace(/\r\n?/g, '\n'), top.name);
      continue;
    }
    if (m[1]) {
      assert.equal(m[2], top.name, 'tags nest');
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/([\w-]+)="([^"]*)"/g)) {
      assert.ok(!(a[1] in attrs), 'no repeated attribute');
      // Attribute-value normalisation: literal whitespace becomes a space; references survive.
      attrs[a[1]] = decodeRefs(a[2].replace(/[\t\n\r]/g, ' '), `${m[2]}@${a[1]}`);
    }
    const node: XmlNode = { name: m[2], attrs, children: [], text: '' };
    top.children.push(node);
    if (!m[4]) stack.push(node);
  }
  assert.equal(re.lastIndex, xml.length, 'the whole document parses');
  assert.equal(stack.length, 1, 'every element closes');
  assert.equal(root.children.length, 1, 'one root element');
  return root.children[0];
}

describe('lint output: JUnit XML', () => {
  it('writes one suite, one case per file, one failure listing the errors, warnings in system-out', () => {
    const report = summarize([
      file('data/bad.jsonl', [diag(2, 'Invalid JSON: Trailing comma'), diag(4, 'Still broken'), diag(5, 'Looks odd', 'warning')]),
      file('data/ok.jsonl', []),
      file('data/warn.jsonl', [diag(1, 'Only a warning', 'warning')]),
    ]);
    const root = parseXml(formatJunit(report));
    assert.equal(root.name, 'testsuites');
    assert.deepEqual(root.attrs, { name: 'llmops lint', tests: '3', failures: '1', errors: '0', skipped: '0' });
    const [suite] = root.children;
    assert.deepEqual(suite.attrs, { name: 'llmops lint', tests: '3', failures: '1', errors: '0', skipped: '0' });
    const [bad, ok, warn] = suite.children;
    assert.deepEqual(bad.attrs, { name: 'data/bad.jsonl', classname: 'llmops lint', file: 'data/bad.jsonl' });
    assert.deepEqual(
      bad.children.map((c) => c.name),
      ['failure', 'system-out'],
    );
    const failure = bad.children[0];
    assert.deepEqual(failure.attrs, { message: '2 errors; first at line 2: Invalid JSON: Trailing comma', type: 'LD001' });
    assert.equal(failure.text, 'data/bad.jsonl:2:3: error Invalid JSON: Trailing comma [LD001 invalid-json]\ndata/bad.jsonl:4:3: error Still broken [LD001 invalid-json]');
    assert.equal(bad.children[1].text, 'data/bad.jsonl:5:3: warning Looks odd [LD005 empty-file]');
    assert.deepEqual(ok.children, []);
    assert.deepEqual(
      warn.children.map((c) => c.name),
      ['system-out'],
    );
  });

  it('escapes markup and keeps awkward text readable, replacing what XML 1.0 cannot hold', () => {
    const path = 'dir/<a & "b">\'.jsonl';
    const root = parseXml(formatJunit(summarize([file(path, [diag(1, nasty), diag(2, 'tab\there', 'warning')])])));
    const tc = root.children[0].children[0];
    assert.equal(tc.attrs.name, path);
    const expected = nasty.replace('\u0001', '\\u0001').replace('\u001b', '\\u001B').replace('\uD800', '\\uD800');
    assert.equal(tc.children[0].attrs.message, `1 error; first at line 1: ${expected}`, 'newlines, CR and tabs in an attribute survive as references');
    assert.ok(tc.children[0].text.includes(expected), 'text content keeps newlines, CR, quotes, emoji');
    assert.ok(tc.children[1].text.includes('tab\there'));
  });

  it('writes an empty suite for an empty report', () => {
    const xml = formatJunit(emptyReport);
    const root = parseXml(xml);
    assert.equal(root.attrs.tests, '0');
    assert.deepEqual(root.children[0].children, []);
  });
});
