/**
 * Speed of the dataset-quality primitives on one core: JSON path location, MinHash signatures and
 * the near-duplicate index, PII detection; and all of them together on chat-format lines against
 * a bare JSON.parse loop. Run: npx tsx test/bench/quality.ts
 */
import { locateJsonPath, locateJsonPaths } from '../../src/core/dataset/jsonLocate';
import { fmix32, lshCandidateProbability, minhashSignature, NearDuplicateIndex, shingleHashes } from '../../src/core/quality/minhash';
import { findPii } from '../../src/core/quality/pii';
import { chatLine, fmt } from './data';
import { randomVocabulary, rng } from '../random';

let sink = 0;

/** Best-of-`runs` nanoseconds per call of `f` over `n` calls. */
function nsPer(n: number, f: (i: number) => unknown, runs = 7): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (f(i)) sink++;
    best = Math.min(best, performance.now() - t0);
  }
  return (best * 1e6) / n;
}


const rand = rng(1);
const vocabulary = randomVocabulary(rand, 20_000, 2, 8);
/** About `bytes` of prose-like text: random words, some capitalised, punctuation. */
function prose(bytes: number, r: () => number): string {
  let s = '';
  while (s.length < bytes) {
    const w = vocabulary[Math.floor(r() * vocabulary.length)];
    s += (r() < 0.1 ? w[0].toUpperCase() + w.slice(1) : w) + (r() < 0.08 ? '. ' : r() < 0.05 ? ', ' : ' ');
  }
  return s.slice(0, bytes);
}


/** The textbook scheme, for comparison: k hash functions, each applied to every shingle. */
function kPermutationSignature(text: string, k: number): Uint32Array {
  const sig = new Uint32Array(k).fill(0xffffffff);
  const shingles = shingleHashes(text);
  for (let s = 0; s < shingles.length; s++) {
    const h = shingles[s];
    for (let i = 0; i < k; i++) {
      const v = fmix32(h ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

function section(title: string): void {
  console.log(`\n== ${title}`);
}

function benchLocate(lines: string[]): void {
  section('jsonLocate (chat lines ~1 KB)');
  const bytes = lines.reduce((s, l) => s + l.length, 0) / lines.length;
  const n = lines.length;
  const parse = nsPer(n, (i) => JSON.parse(lines[i]));
  const deep = nsPer(n, (i) => locateJsonPath(lines[i], ['messages', 4, 'content']));
  const key = nsPer(n, (i) => locateJsonPath(lines[i], ['messages', 2, 'tool_calls', 0, 'function', 'arguments'], 'key'));
  const first = nsPer(n, (i) => locateJsonPath(lines[i], ['messages', 0, 'role']));
  const five = [['messages', 0, 'role'], ['messages', 1, 'content'], ['messages', 2, 'tool_calls', 0, 'id'], ['messages', 3, 'content'], ['messages', 4, 'content']];
  const batch = nsPer(n, (i) => locateJsonPaths(lines[i], five));
  const loop = nsPer(n, (i) => five.map((p) => locateJsonPath(lines[i], p)));
  const row = (name: string, ns: number): void => console.log(`${name.padEnd(44)} ${fmt(ns / 1000, 2).padStart(7)} µs/line ${fmt(bytes / ns * 1000, 0).padStart(6)} MB/s`);
  row('JSON.parse (reference)', parse);
  row('messages[0].role', first);
  row('messages[4].content (last value)', deep);
  row('tool_calls[0].function.arguments key', key);
  row('5 paths, locateJsonPaths (one pass)', batch);
  row('5 paths, 5 × locateJsonPath', loop);

  const big = 'x'.repeat(10_000_000);
  const huge = `{"text": "${big}", "escaped": "${'a\\"b\\\\'.repeat(200_000)}", "id": 42}`;
  const t0 = performance.now();
  locateJsonPath(huge, ['id']);
  const ms = performance.now() - t0;
  console.log(`11.2 MB line, path after a 10 MB string: ${fmt(ms, 1)} ms (${fmt(huge.length / 1e6 / (ms / 1000), 0)} MB/s)`);
  const depth = 100_000;
  const nested = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  const path = new Array<string>(depth).fill('a');
  const t1 = performance.now();
  locateJsonPath(nested, path);
  console.log(`100,000 nested objects, 100,000-key path: ${fmt(performance.now() - t1, 1)} ms`);
}

function benchMinhash(): void {
  section('MinHash signature (word 3-grams)');
  const r = rng(2);
  const texts = Array.from({ length: 4000 }, () => prose(1024, r));
  const n = texts.length;
  const out128 = new Uint32Array(128);
  const tokens = shingleHashes(texts[0]).length;
  console.log(`1 KB prose record ≈ ${tokens} distinct shingles`);
  const row = (name: string, ns: number): void => console.log(`${name.padEnd(44)} ${fmt(ns / 1000, 2).padStart(7)} µs per 1 KB record ${fmt(1024 / ns * 1000, 0).padStart(6)} MB/s`);
  row('one-permutation + densification, k=64', nsPer(n, (i) => minhashSignature(texts[i], 64)));
  row('one-permutation + densification, k=128', nsPer(n, (i) => minhashSignature(texts[i], 128)));
  row('  same, reusing the output array', nsPer(n, (i) => minhashSignature(texts[i], 128, out128)));
  row('one-permutation + densification, k=256', nsPer(n, (i) => minhashSignature(texts[i], 256)));
  row('k-permutation (128 hash functions)', nsPer(n / 4, (i) => kPermutationSignature(texts[i], 128), 3));
  row('  of which shingling alone (Set of hashes)', nsPer(n, (i) => shingleHashes(texts[i])));
  const short = texts.map((t) => t.slice(0, 120));
  console.log(`${'120-char record, k=128 (mostly densified)'.padEnd(44)} ${fmt(nsPer(n, (i) => minhashSignature(short[i], 128)) / 1000, 2).padStart(7)} µs`);

  section('NearDuplicateIndex (10 bands × 6 rows, 128 stored 4-bit bins, threshold 0.85)');
  console.log(`  P(candidate | J): ${[0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95].map((j) => `${j.toFixed(2)} → ${lshCandidateProbability(j, 10, 6).toFixed(3)}`).join(', ')}`);
  const N = 1_000_000;
  const sigs = new Uint32Array(128);
  let x = 12345;
  // Fresh random signatures stand in for 1M distinct records (the index never sees text).
  const fill = (): void => {
    for (let j = 0; j < 128; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      sigs[j] = x >>> 1;
    }
  };
  const t00 = performance.now();
  for (let id = 0; id < N; id++) fill();
  const gen = performance.now() - t00;
  for (const sized of [false, true]) {
    const index = new NearDuplicateIndex(sized ? { expectedRecords: N } : {});
    let dups = 0;
    const t0 = performance.now();
    for (let id = 0; id < N; id++) {
      fill();
      if (index.add(id, sigs)) dups++;
    }
    const ms = performance.now() - t0 - gen;
    console.log(
      `1,000,000 distinct records, ${sized ? 'expectedRecords given' : 'tables growing       '}: ${fmt((ms / N) * 1000, 2)} µs/add, ` +
        `${fmt(index.memoryBytes / 1e6, 1)} MB in typed arrays, ${dups} false matches`,
    );
  }

  // Real signatures: 50,000 1-KB records, 10% of them a copy of an earlier one with one word changed.
  const idx = new NearDuplicateIndex({ expectedRecords: 50_000 });
  const recs: string[] = [];
  const r4 = rng(4);
  for (let i = 0; i < 50_000; i++) {
    if (i > 100 && r4() < 0.1) {
      const w = recs[Math.floor(r4() * recs.length)].split(' ');
      w[Math.floor(r4() * w.length)] = 'changed';
      recs.push(w.join(' '));
    } else {
      recs.push(prose(1024, r4));
    }
  }
  const sig = new Uint32Array(128);
  let found = 0;
  const t2 = performance.now();
  for (let i = 0; i < recs.length; i++) if (idx.add(i, minhashSignature(recs[i], 128, sig))) found++;
  const ms2 = performance.now() - t2;
  console.log(`50,000 × 1 KB records, signature + add: ${fmt(ms2 / recs.length * 1000, 2)} µs/record (${fmt((recs.length * 1024) / 1e6 / (ms2 / 1000), 0)} MB/s), ${found.toLocaleString()} near-duplicates`);
}

function benchPii(lines: string[]): void {
  section('findPii');
  const n = lines.length;
  const bytes = lines.reduce((s, l) => s + l.length, 0) / n;
  const r = rng(5);
  const prosey = Array.from({ length: 4000 }, () => JSON.stringify({ messages: [{ role: 'user', content: prose(1000, r) }] }));
  const withPii = lines.map((l, i) =>
    l.replace('Request', i % 4 === 0 ? 'Mail jane.doe@gmail.com' : i % 4 === 1 ? 'Call +1 (415) 555-2671' : i % 4 === 2 ? 'Card 4539 5787 6362 1486' : `Key ghp_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3${i % 10}`),
  );
  for (const l of withPii.slice(0, 4)) if (findPii(l).length !== 1) throw new Error(`expected one finding in ${l}`);
  if (lines.some((l) => findPii(l).length > 0)) throw new Error('unexpected finding in a clean line');
  const row = (name: string, ns: number, b = bytes): void => console.log(`${name.padEnd(48)} ${fmt(ns, 0).padStart(6)} ns/line (${fmt(ns / (b / 1024), 0)} ns per KB) ${fmt(b / ns * 1000, 0).padStart(6)} MB/s`);
  row(`chat lines, nothing found (${fmt(bytes, 0)} B, many digits)`, nsPer(n, (i) => findPii(lines[i]).length));
  row('prose lines, nothing found (~1 KB)', nsPer(prosey.length, (i) => findPii(prosey[i]).length), 1030);
  row('chat lines with one finding each', nsPer(n, (i) => findPii(withPii[i]).length));
}

function benchAll(lines: string[]): void {
  section('all together on chat lines: JSON.parse + findPii + MinHash of the message text + index add');
  const bytes = lines.reduce((s, l) => s + l.length + 1, 0);
  const mb = bytes / 1e6;
  const sig = new Uint32Array(128);
  const best = { parse: Infinity, pii: Infinity, sig: Infinity, all: Infinity };
  const texts: string[] = [];
  for (const l of lines) {
    // The system prompt is the same in every record: it would only make all records look alike.
    let text = '';
    for (const m of (JSON.parse(l) as { messages: { role: string; content: string | null }[] }).messages) if (m.content && m.role !== 'system') text += m.content + '\n';
    texts.push(text);
  }
  for (let run = 0; run < 5; run++) {
    let t0 = performance.now();
    for (const l of lines) JSON.parse(l);
    best.parse = Math.min(best.parse, performance.now() - t0);
    t0 = performance.now();
    for (const l of lines) findPii(l);
    best.pii = Math.min(best.pii, performance.now() - t0);
    t0 = performance.now();
    const index = new NearDuplicateIndex({ expectedRecords: lines.length });
    for (let i = 0; i < texts.length; i++) index.add(i, minhashSignature(texts[i], 128, sig));
    best.sig = Math.min(best.sig, performance.now() - t0);
    const all = new NearDuplicateIndex({ expectedRecords: lines.length });
    t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      const rec = JSON.parse(lines[i]) as { messages: { role: string; content: string | null }[] };
      findPii(lines[i]);
      let text = '';
      for (const m of rec.messages) if (m.content && m.role !== 'system') text += m.content + '\n';
      all.add(i, minhashSignature(text, 128, sig));
    }
    best.all = Math.min(best.all, performance.now() - t0);
  }
  const textKb = texts.reduce((s, t) => s + t.length, 0) / texts.length / 1024;
  const per = (ms: number): string => `${fmt((ms * 1000) / lines.length, 2).padStart(6)} µs/line ${fmt(mb / (ms / 1000), 0).padStart(5)} MB/s`;
  console.log(`${fmt(mb, 1)} MB, ${lines.length.toLocaleString()} lines of ${fmt(bytes / lines.length, 0)} B; message text without the system prompt ${fmt(textKb * 1024, 0)} B`);
  console.log(`JSON.parse alone                          ${per(best.parse)}`);
  console.log(`findPii on the raw line                   ${per(best.pii)}`);
  console.log(`MinHash of the message text + index add   ${per(best.sig)}`);
  console.log(`all of it, one pass                       ${per(best.all)}  (${fmt((100 * best.parse) / best.all, 0)}% of the JSON.parse rate)`);
}

function main(): void {
  const lines = Array.from({ length: 20_000 }, (_, i) => chatLine(i));
  console.log(`node ${process.version}; one core; best of several runs`);
  benchLocate(lines);
  benchMinhash();
  benchPii(lines);
  benchAll(Array.from({ length: 50_000 }, (_, i) => chatLine(i)));
  if (sink < 0) console.log(sink);
}

main();
