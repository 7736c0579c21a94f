/**
 * Near-duplicate records: MinHash signatures of word 3-gram shingles and an LSH index.
 *
 * Shingles are word 3-grams of normalised text (case folded, punctuation and whitespace dropped,
 * so `Done!` and `done` agree). Words rather than character 5-grams because a record has about six
 * times fewer words than characters, so six times fewer shingles to hash; edits in datasets are
 * word-level (a name, a number, a date swapped), and one changed word in 100 still leaves a
 * Jaccard similarity of about 0.94. Scripts written without spaces (CJK, Thai, ...) would make one
 * "word" of a whole sentence, so each of their characters is a word of its own.
 *
 * The signature is one-permutation hashing (Li, Owen & Zhang 2012) with optimal densification
 * (Shrivastava 2017): each shingle is hashed once, its hash picks a bin and the bin keeps its
 * smallest value; empty bins borrow from a non-empty bin chosen by a data-independent probe
 * sequence, which keeps equal bins as likely as in k-permutation MinHash. The cost is one hash
 * per shingle whatever k is, where k-permutation MinHash costs k (measured 10× slower at k = 128).
 * k defaults to 128: the estimate's error is sampling error, sd ≈ sqrt(J(1 − J)/k), and at 64 bins
 * about 5% of pairs were off by more than 0.1, at 128 about 1%.
 */

/** Value of a bin of a text with no words at all. */
export const EMPTY_BIN = 0xffffffff;

/** murmur3's 32-bit finaliser. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** ASCII: 0 for a separator, else the lowercased code; and -1 for word characters, 0 for others. */
const ASCII = new Uint8Array(128);
const WORD_MASK = new Int32Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII[c] = c;
for (let c = 0x61; c <= 0x7a; c++) ASCII[c] = c;
for (let c = 0x41; c <= 0x5a; c++) ASCII[c] = c + 0x20;
for (let c = 0; c < 128; c++) WORD_MASK[c] = ASCII[c] === 0 ? 0 : -1;

const SEP = 0;
const WORD = 1;
/** A character that is a word by itself (scripts written without spaces). */
const SINGLE = 2;

function classify(c: number): number {
  if (c <= 0xbf) return c === 0xaa || c === 0xb5 || c === 0xba ? WORD : SEP; // Latin-1 symbols and NBSP
  if (c < 0x0e00) return c === 0xd7 || c === 0xf7 ? SEP : WORD;
  if (c <= 0x0eff) return SINGLE; // Thai, Lao
  if (c >= 0x1000 && c <= 0x109f) return SINGLE; // Myanmar
  if (c >= 0x1780 && c <= 0x17ff) return SINGLE; // Khmer
  if (c === 0x1680) return SEP;
  if (c >= 0x2000 && c <= 0x2bff) return SEP; // spaces, punctuation, symbols, arrows, dingbats
  if (c >= 0x2e00 && c <= 0x2e7f) return SEP;
  if (c >= 0x3000 && c <= 0x303f) return SEP; // CJK spaces and punctuation
  if (c >= 0x2e80 && c <= 0x9fff) return SINGLE; // CJK radicals, kana, ideographs
  if (c >= 0xd800 && c <= 0xdfff) return SEP; // astral plane, mostly emoji
  if (c >= 0xf900 && c <= 0xfaff) return SINGLE;
  if (c === 0xfeff || (c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) || (c >= 0xff5b && c <= 0xff65)) return SEP;
  return WORD;
}

/** Simple case folding of the common bicameral scripts, without allocating a string. */
function foldCase(c: number): number {
  if (c >= 0xc0 && c <= 0xde) return c === 0xd7 ? c : c + 0x20;
  if (c >= 0x100 && c <= 0x17f) return c | 1;
  if (c >= 0x391 && c <= 0x3a9) return c + 0x20;
  if (c >= 0x410 && c <= 0x42f) return c + 0x20;
  if (c >= 0x400 && c <= 0x40f) return c + 0x50;
  return c;
}

/**
 * Finalises a word's running hash (h·31 + c: the cheapest per-character step measured; a
 * multiply per character was 15% slower) so that shingle hashes built from it by rotation are
 * well mixed.
 */
function wordHash(h: number): number {
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return h ^ (h >>> 15);
}

/** One hash per word 3-gram from the hashes of its words. */
function shingleHash(a: number, b: number, c: number): number {
  let x = a ^ ((b << 11) | (b >>> 21)) ^ ((c << 22) | (c >>> 10));
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  return x ^ (x >>> 13);
}

const SHORT_B = 0x2545f491;
const SHORT_C = 0x5bd1e995;

/** Per-text state of `scan`: the hashes of the two previous words and the word count. */
const window = new Int32Array(3);

/** Running hashes of completed words, turned into shingles whenever the buffer fills. */
const tokens = new Int32Array(4096);
const FLUSH_AT = tokens.length - 4;

/** Adds the shingles ending with each of `tokens[0, count)` to `sig` (or `collect`). */
function shingles(count: number, k: number, sig: Uint32Array, collect: Set<number> | null): void {
  let a = window[0];
  let b = window[1];
  let words = window[2];
  for (let t = 0; t < count; t++) {
    const w = wordHash(tokens[t]);
    if (words >= 2) {
      const x = shingleHash(a, b, w);
      if (collect) {
        collect.add(x >>> 0);
      } else {
        // The top 16 bits pick the bin, a second mix of all 32 the value within it.
        const bin = ((x >>> 16) * k) >>> 16;
        const v = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 1;
        if (v < sig[bin]) sig[bin] = v;
      }
    }
    a = b;
    b = w;
    words++;
  }
  window[0] = a;
  window[1] = b;
  window[2] = words;
}

/**
 * Tokenizes `text` and adds its shingles to `sig`'s k bins (or to `collect`). Returns the number
 * of words.
 *
 * The ASCII path has no branch on the text: word boundaries are unpredictable, and a mispredicted
 * branch per boundary cost more than the arithmetic (measured ~25%). Each character stores the
 * running hash at `tokens[count]` and advances `count` only where a word ends.
 */
function scan(text: string, k: number, sig: Uint32Array, collect: Set<number> | null): number {
  const n = text.length;
  window.fill(0);
  let h = 0;
  /** -1 inside a word, 0 outside. */
  let inWord = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const mask = WORD_MASK[c];
      tokens[count] = h;
      count += inWord & ~mask & 1;
      h = (((h << 5) - h + ASCII[c]) | 0) & mask;
      inWord = mask;
    } else {
      const kind = classify(c);
      if (kind === WORD) {
        h = ((h << 5) - h + foldCase(c)) | 0;
        inWord = -1;
      } else {
        if (inWord !== 0) tokens[count++] = h;
        if (kind === SINGLE) tokens[count++] = (c * 31 + 0x3c6ef372) | 0;
        h = 0;
        inWord = 0;
      }
    }
    if (count >= FLUSH_AT) {
      shingles(count, k, sig, collect);
      count = 0;
    }
  }
  if (inWord !== 0) tokens[count++] = h;
  shingles(count, k, sig, collect);
  const words = window[2];
  // Fewer than three words: one shingle of what there is, so short identical texts still match.
  if (words === 1 || words === 2) {
    const x = shingleHash(words === 2 ? window[0] : window[1], words === 2 ? window[1] : SHORT_B, SHORT_C);
    if (collect) {
      collect.add(x >>> 0);
    } else {
      const bin = ((x >>> 16) * k) >>> 16;
      sig[bin] = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 1;
    }
  }
  return words;
}

/** The distinct shingle hashes of `text`, sorted (for exact Jaccard similarity in tests and tools). */
export function shingleHashes(text: string): Uint32Array {
  const seen = new Set<number>();
  scan(text, 1, new Uint32Array(1), seen);
  return Uint32Array.from(seen).sort();
}

let filled = new Uint8Array(128);

/**
 * Signatures are views into shared blocks: a Uint32Array of 256 bytes gets a backing store of its
 * own (malloc and external-memory accounting), which cost as much as signing a short text. A
 * block stays alive while any of its signatures is.
 */
const BLOCK = 1 << 14;
let block = new Uint32Array(0);
let blockUsed = 0;

function allocate(k: number): Uint32Array {
  if (k > BLOCK / 4) return new Uint32Array(k);
  if (blockUsed + k > block.length) {
    block = new Uint32Array(BLOCK);
    blockUsed = 0;
  }
  blockUsed += k;
  return block.subarray(blockUsed - k, blockUsed);
}

/**
 * MinHash signature of `text` with `k` bins (k ≤ 65536). Bins hold 31-bit values; a text without
 * words gets a signature of `EMPTY_BIN`s. `out` (length k) is filled and returned when given.
 */
export function minhashSignature(text: string, k = 128, out?: Uint32Array): Uint32Array {
  if (!(k >= 1 && k <= 65536 && Number.isInteger(k))) throw new RangeError(`k must be an integer in [1, 65536], got ${k}`);
  const sig = out ?? allocate(k);
  sig.fill(EMPTY_BIN);
  if (scan(text, k, sig, null) > 0) densify(sig, k);
  return sig;
}

/** Bin `j`'s `attempt`-th probe: the data-independent sequence optimal densification follows. */
function probe(j: number, attempt: number, k: number): number {
  return ((fmix32(Math.imul(j + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca77)) >>> 16) * k) >>> 16;
}

/** The first PROBES probes of every bin, per k: short texts leave most bins empty. */
const PROBES = 32;
const probeTables = new Map<number, Uint16Array>();

function probeTable(k: number): Uint16Array {
  let table = probeTables.get(k);
  if (!table) {
    table = new Uint16Array(k * PROBES);
    for (let j = 0; j < k; j++) for (let a = 0; a < PROBES; a++) table[j * PROBES + a] = probe(j, a + 1, k);
    if (probeTables.size < 16) probeTables.set(k, table);
  }
  return table;
}

let emptyBins = new Int32Array(128);

/**
 * Optimal densification: an empty bin copies the first non-empty bin of its own probe sequence.
 *
 * Short texts leave most bins empty, and a loop that stops at the first filled probe mispredicts
 * its exit once per empty bin (that was two thirds of the time for a 250-character text). So the
 * first 8 probes of a bin are tested at once (4 when most bins are filled), as a bit mask, and the
 * lowest set bit taken; only the few bins whose first 8 probes all miss take the loop.
 */
function densify(sig: Uint32Array, k: number): void {
  if (filled.length < k) {
    filled = new Uint8Array(k);
    emptyBins = new Int32Array(k);
  }
  let empties = 0;
  for (let j = 0; j < k; j++) {
    const f = sig[j] === EMPTY_BIN ? 0 : 1;
    filled[j] = f;
    emptyBins[empties] = j;
    empties += 1 - f;
  }
  if (empties === 0 || empties === k) return;
  const t = probeTable(k);
  // At least half the bins filled: 4 probes find one 15 times in 16, so test 4 first.
  const wide = empties * 2 > k;
  for (let e = 0; e < empties; e++) {
    const j = emptyBins[e];
    const at = j * PROBES;
    let hits = filled[t[at]] | (filled[t[at + 1]] << 1) | (filled[t[at + 2]] << 2) | (filled[t[at + 3]] << 3);
    if (wide || hits === 0) hits |= (filled[t[at + 4]] << 4) | (filled[t[at + 5]] << 5) | (filled[t[at + 6]] << 6) | (filled[t[at + 7]] << 7);
    let src = -1;
    if (hits !== 0) {
      src = t[at + 31 - Math.clz32(hits & -hits)];
    } else {
      for (let a = 8; a < PROBES && src < 0; a++) if (filled[t[at + a]] === 1) src = t[at + a];
      for (let attempt = PROBES + 1; src < 0 && attempt <= 8 * k + PROBES; attempt++) {
        const p = probe(j, attempt, k);
        if (filled[p] === 1) src = p;
      }
      // Practically unreachable (one filled bin in a large k): fall back to the next filled bin.
      if (src < 0) for (src = (j + 1) % k; filled[src] === 0; src = (src + 1) % k);
    }
    sig[j] = sig[src];
  }
}

/** Estimated Jaccard similarity of the shingle sets behind two signatures of the same k. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  const k = Math.min(a.length, b.length);
  if (k === 0 || a[0] === EMPTY_BIN || b[0] === EMPTY_BIN) return 0;
  let same = 0;
  for (let j = 0; j < k; j++) if (a[j] === b[j]) same++;
  return same / k;
}

/** Probability that two records of Jaccard similarity `s` share at least one band. */
export function lshCandidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

export interface NearDuplicateOptions {
  /** Estimated Jaccard similarity from which a record is a near-duplicate. Default 0.85. */
  threshold?: number;
  /** LSH bands × rows (bins per band). Default 10 × 6: see `lshCandidateProbability`. */
  bands?: number;
  rows?: number;
  /**
   * Bins of each signature kept (4 bits each) to estimate similarity and recognise band buckets.
   * Default 128; even, at least bands × rows, at most the signature length.
   */
  storedBins?: number;
  /** Sizes the tables up front; they grow as needed otherwise. */
  expectedRecords?: number;
}

export interface NearDuplicate {
  /** The record added. */
  id: number;
  /** The earliest record added before it with an estimated similarity at or above the threshold. */
  of: number;
  /** Estimated Jaccard similarity with `of`. */
  jaccard: number;
}

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
/** Table slots pack (record index + 1) << 8 with 8 bits of the band's full-precision hash. */
const MAX_RECORDS = (1 << 24) - 2;
const MAX_LOAD = 0.7;
const GROWTH = 1.5;
/**
 * Tables smaller than this (1 MB a band) grow 4× at a time: a 200 MB file's 170,000 records then
 * rehash 60,000 entries a band instead of 340,000, for at most 10 MB of tables.
 */
const FAST_GROWTH_BELOW = 1 << 18;
const GROW_BATCH = 64;
const growEntries = new Uint32Array(GROW_BATCH);
const growSlots = new Int32Array(GROW_BATCH);
/** Unequal bins agree in their low 4 bits 1 time in 16. */
const CHANCE = 1 / 16;

/**
 * A streaming LSH index: `add` each record's signature in order and get back whether it is a
 * near-duplicate of one added before (matches are returned, not kept: the caller owns them).
 *
 * Memory per record: `storedBins` / 2 bytes of signature (the low 4 bits of each bin: equal bins
 * stay equal, unequal ones agree 1 time in 16, which the estimate corrects for; at equal memory
 * 128 four-bit bins estimate better than 64 eight-bit ones), 4 bytes of id, and one 32-bit slot
 * per band in open-addressing tables at ≤ 70% load (tables under FAST_GROWTH_BELOW slots grow 4×
 * at a time, so down to 17.5% there), only for band values not seen before. Each
 * band bucket remembers its first record, so a new record is compared with at most `bands`
 * earlier ones. A bucket is known by the band's stored bits (4 × rows) plus 8 bits of the
 * full-precision band hash kept in the slot: 32 bits for 6 rows, from which the tables can be
 * rebuilt when they grow.
 */
export class NearDuplicateIndex {
  readonly threshold: number;
  readonly bands: number;
  readonly rows: number;
  readonly storedBins: number;
  private readonly recordBytes: number;
  private count = 0;
  private readonly sigChunks: Uint8Array[] = [];
  /** The same memory as `sigChunks`, for comparing 32 bits at a time. */
  private readonly wordChunks: Uint32Array[] = [];
  private readonly idChunks: Uint32Array[] = [];
  private tables: Uint32Array[] = [];
  private tableSize: number;
  private readonly tableCounts: Int32Array;
  private readonly candidates: Int32Array;
  private readonly slots: Int32Array;
  private readonly fps: Int32Array;
  private readonly heads: Uint32Array;

  constructor(options: NearDuplicateOptions = {}) {
    this.threshold = options.threshold ?? 0.85;
    this.bands = options.bands ?? 10;
    this.rows = options.rows ?? 6;
    this.storedBins = options.storedBins ?? 128;
    if (!(this.bands >= 1 && this.rows >= 1 && this.storedBins >= this.bands * this.rows && this.storedBins % 2 === 0)) {
      throw new RangeError(`storedBins (${this.storedBins}) must be even and at least bands × rows (${this.bands} × ${this.rows})`);
    }
    this.recordBytes = this.storedBins / 2;
    this.tableSize = Math.max(4096, Math.ceil((options.expectedRecords ?? 0) / MAX_LOAD) + 1);
    for (let b = 0; b < this.bands; b++) this.tables.push(new Uint32Array(this.tableSize));
    this.tableCounts = new Int32Array(this.bands);
    this.candidates = new Int32Array(this.bands);
    this.slots = new Int32Array(this.bands);
    this.fps = new Int32Array(this.bands);
    this.heads = new Uint32Array(this.bands);
  }

  /** Records added (those with an empty signature are not). */
  get size(): number {
    return this.count;
  }

  /** Bytes held in typed arrays. */
  get memoryBytes(): number {
    return this.sigChunks.length * CHUNK * (this.recordBytes + 4) + this.bands * this.tableSize * 4;
  }

  /**
   * Adds a record (`id`: an integer in [0, 2^32)). Returns the earliest similar record added
   * before it, or null. A signature of a text without words is not added (nothing to compare);
   * past 16,777,214 records the index is full and `add` only looks up.
   */
  add(id: number, sig: Uint32Array): NearDuplicate | null {
    if (sig.length < this.storedBins) throw new RangeError(`signature has ${sig.length} bins, the index keeps ${this.storedBins}`);
    if (!(Number.isInteger(id) && id >= 0 && id <= 0xffffffff)) throw new RangeError(`id must be an integer in [0, 2^32), got ${id}`);
    if (sig[0] === EMPTY_BIN) return null;
    const full = this.count >= MAX_RECORDS;
    // Write the record in its slot first: bucket checks and estimates read the stored nibbles.
    const idx = full ? MAX_RECORDS : this.count;
    const chunk = idx >>> CHUNK_BITS;
    while (this.sigChunks.length <= chunk) {
      const bytes = new Uint8Array(CHUNK * this.recordBytes);
      this.sigChunks.push(bytes);
      this.wordChunks.push(new Uint32Array(bytes.buffer, 0, bytes.length >>> 2));
      this.idChunks.push(new Uint32Array(CHUNK));
    }
    const mine = this.sigChunks[chunk];
    const base = (idx & (CHUNK - 1)) * this.recordBytes;
    for (let j = 0, o = base; j < this.storedBins; j += 2, o++) mine[o] = (sig[j] & 15) | ((sig[j + 1] & 15) << 4);
    this.idChunks[chunk][idx & (CHUNK - 1)] = id;

    let nCandidates = 0;
    const size = this.tableSize;
    const rows = this.rows;
    const slots = this.slots;
    const fps = this.fps;
    const heads = this.heads;
    // Three passes, so that the table reads (a cache miss each) do not wait on one another.
    for (let band = 0; band < this.bands; band++) {
      // Bin values are hashes already: one multiply per row, one finaliser per band.
      let full32 = Math.imul(band + 1, 0x9e3779b1);
      for (let j = band * rows; j < (band + 1) * rows; j++) {
        full32 = Math.imul(full32 ^ sig[j], 0x85ebca77);
        full32 ^= full32 >>> 16;
      }
      fps[band] = fmix32(full32) & 0xff;
      slots[band] = this.slotOf(mine, base, band, fps[band], size);
    }
    for (let band = 0; band < this.bands; band++) heads[band] = this.tables[band][slots[band]];
    for (let band = 0; band < this.bands; band++) {
      const table = this.tables[band];
      const fp = fps[band];
      let slot = slots[band];
      let e = heads[band];
      for (;;) {
        if (e === 0) {
          if (!full) {
            table[slot] = ((idx + 1) * 256 + fp) >>> 0;
            this.tableCounts[band]++;
          }
          break;
        }
        if ((e & 0xff) === fp) {
          const other = (e >>> 8) - 1;
          if (this.sameBand(mine, base, other, band)) {
            let seen = false;
            for (let c = 0; c < nCandidates; c++) if (this.candidates[c] === other) seen = true;
            if (!seen) this.candidates[nCandidates++] = other;
            break;
          }
        }
        slot = slot + 1 === size ? 0 : slot + 1;
        e = table[slot];
      }
    }

    let best = -1;
    let bestJaccard = 0;
    for (let c = 0; c < nCandidates; c++) {
      const other = this.candidates[c];
      if (best >= 0 && other > best) continue;
      const jac = this.estimate(chunk, base, other);
      if (jac >= this.threshold) {
        best = other;
        bestJaccard = jac;
      }
    }
    if (!full) {
      this.count++;
      for (let band = 0; band < this.bands; band++) {
        if (this.tableCounts[band] > MAX_LOAD * this.tableSize) {
          this.grow();
          break;
        }
      }
    }
    if (best < 0) return null;
    return { id, of: this.idChunks[best >>> CHUNK_BITS][best & (CHUNK - 1)], jaccard: bestJaccard };
  }

  private nibble(bytes: Uint8Array, base: number, bin: number): number {
    const b = bytes[base + (bin >>> 1)];
    return (bin & 1) === 0 ? b & 15 : b >>> 4;
  }

  /** Table position from what is stored: the band's nibbles and the slot's fingerprint. */
  private slotOf(bytes: Uint8Array, base: number, band: number, fp: number, size: number): number {
    const rows = this.rows;
    let h = Math.imul(band + 1, 0x27d4eb2f) ^ (fp << 24);
    if ((rows & 1) === 0) {
      // With an even number of rows a band's nibbles are whole bytes: read three at a time.
      const from = base + ((band * rows) >>> 1);
      const to = from + (rows >>> 1);
      for (let j = from; j < to; j += 3) {
        const word = bytes[j] | (j + 1 < to ? bytes[j + 1] << 8 : 0) | (j + 2 < to ? bytes[j + 2] << 16 : 0);
        h = Math.imul(h ^ word, 0x85ebca77);
        h ^= h >>> 15;
      }
    } else {
      for (let j = band * rows; j < (band + 1) * rows; j++) {
        h = Math.imul(h ^ this.nibble(bytes, base, j), 0x85ebca77);
        h ^= h >>> 15;
      }
    }
    return Math.floor((fmix32(h) >>> 0) * size * 2.3283064365386963e-10);
  }

  private sameBand(mine: Uint8Array, base: number, other: number, band: number): boolean {
    const theirs = this.sigChunks[other >>> CHUNK_BITS];
    const otherBase = (other & (CHUNK - 1)) * this.recordBytes;
    for (let j = band * this.rows; j < (band + 1) * this.rows; j++) {
      if (this.nibble(mine, base, j) !== this.nibble(theirs, otherBase, j)) return false;
    }
    return true;
  }

  private estimate(mineChunk: number, base: number, other: number): number {
    const chunk = other >>> CHUNK_BITS;
    const otherBase = (other & (CHUNK - 1)) * this.recordBytes;
    let differ = 0;
    if ((this.recordBytes & 3) === 0) {
      // Eight nibbles at a time: fold each nibble's bits onto its lowest bit, then add those up.
      const mine = this.wordChunks[mineChunk];
      const theirs = this.wordChunks[chunk];
      for (let w = base >>> 2, o = otherBase >>> 2, end = (base + this.recordBytes) >>> 2; w < end; w++, o++) {
        let x = mine[w] ^ theirs[o];
        x |= x >>> 1;
        x |= x >>> 2;
        differ += Math.imul(x & 0x11111111, 0x11111111) >>> 28;
      }
    } else {
      const mine = this.sigChunks[mineChunk];
      const theirs = this.sigChunks[chunk];
      for (let j = 0; j < this.recordBytes; j++) {
        const x = mine[base + j] ^ theirs[otherBase + j];
        differ += ((x & 15) !== 0 ? 1 : 0) + (x >>> 4 !== 0 ? 1 : 0);
      }
    }
    const p = 1 - differ / this.storedBins;
    return Math.max(0, Math.min(1, (p - CHANCE) / (1 - CHANCE)));
  }

  private grow(): void {
    // Growing costs two cache misses per entry (its record's bits, its new slot): ~3 µs per add
    // amortised at 1M records here, against ~1.5 µs for the add itself. Pass expectedRecords.
    // Entries go in batches: first every new slot (their records' bits are read independently,
    // so the cache misses overlap), then the inserts, in the order of the old table as before.
    const size = this.tableSize < FAST_GROWTH_BELOW ? this.tableSize * 4 : Math.ceil(this.tableSize * GROWTH);
    const entries = growEntries;
    const slots = growSlots;
    for (let band = 0; band < this.bands; band++) {
      const old = this.tables[band];
      // One band at a time, so growth never holds every table twice.
      const table = new Uint32Array(size);
      for (let s = 0; s < old.length; ) {
        let m = 0;
        for (; s < old.length && m < GROW_BATCH; s++) {
          const e = old[s];
          entries[m] = e;
          m += e === 0 ? 0 : 1;
        }
        for (let t = 0; t < m; t++) {
          const e = entries[t];
          const idx = (e >>> 8) - 1;
          slots[t] = this.slotOf(this.sigChunks[idx >>> CHUNK_BITS], (idx & (CHUNK - 1)) * this.recordBytes, band, e & 0xff, size);
        }
        for (let t = 0; t < m; t++) {
          let slot = slots[t];
          while (table[slot] !== 0) slot = slot + 1 === size ? 0 : slot + 1;
          table[slot] = entries[t];
        }
      }
      this.tables[band] = table;
    }
    this.tableSize = size;
  }
}
