/**
 * safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__}`,
 * then the tensor data, offsets relative to its start. Reads one tensor at a time with positioned
 * reads (a model never sits in memory as one Buffer) and converts F32 / F16 / BF16 to Float32Array;
 * writes F32, F16 or BF16 to a temporary file renamed into place.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import * as path from 'node:path';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Bits per element of every dtype the format defines. */
const dtypeBits: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32, F64: 64, I64: 64, U64: 64, C64: 64, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
};

export const floatDtypes = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof floatDtypes)[number];

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the data in `file`. */
  offset: number;
  byteLength: number;
  file: string;
}

/** The safetensors spec's cap on the header (it guards against allocating from a corrupt length). */
const MAX_HEADER = 100_000_000;
/** Largest single read or write: Node refuses more than 2 GiB per call. */
const CHUNK = 64 * 1024 * 1024;

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Validates a parsed header against the size of the data section: known dtypes, shapes of
 * non-negative integers, offsets inside the data, shape × dtype size equal to the offsets' span,
 * and no overlap, gap or trailing bytes (what the reference implementation also rejects).
 */
export function parseHeader(header: unknown, dataStart: number, fileSize: number, file: string): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  const where = path.basename(file);
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new SafetensorsError(`${where}: the header is not a JSON object`);
  const dataLength = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  const spans: { name: string; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SafetensorsError(`${where}: __metadata__ must be an object of strings`);
      for (const [k, x] of Object.entries(v)) {
        if (typeof x !== 'string') throw new SafetensorsError(`${where}: __metadata__.${k} must be a string, got ${JSON.stringify(x)}`);
        metadata[k] = x;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) throw new SafetensorsError(`${where}: tensor ${name}: expected {dtype, shape, data_offsets}, got ${JSON.stringify(v)}`);
    if (typeof t.dtype !== 'string') throw new SafetensorsError(`${where}: tensor ${name}: dtype missing`);
    const bits = dtypeBits[t.dtype];
    if (bits === undefined) throw new SafetensorsError(`${where}: tensor ${name}: unknown dtype ${JSON.stringify(t.dtype)} (known: ${Object.keys(dtypeBits).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${where}: tensor ${name}: shape must be a list of non-negative integers, got ${JSON.stringify(t.shape)}`);
    const o = t.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x) && x >= 0) || o[0] > o[1]) throw new SafetensorsError(`${where}: tensor ${name}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(o)}`);
    const shape = t.shape as number[];
    const [begin, end] = o as [number, number];
    const totalBits = elementCount(shape) * bits;
    const expected = Math.ceil(totalBits / 8);
    if (end - begin !== expected) {
      throw new SafetensorsError(`${where}: tensor ${name}: shape ${fmtShape(shape)} × ${t.dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLength) throw new SafetensorsError(`${where}: tensor ${name}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes): the file is truncated or corrupt`);
    tensors.set(name, { name, dtype: t.dtype, shape, offset: dataStart + begin, byteLength: end - begin, file });
    spans.push({ name, begin, end });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev = '';
  for (const s of spans) {
    if (s.begin < at) throw new SafetensorsError(`${where}: tensors ${prev} and ${s.name} overlap (bytes ${s.begin}..${at} of the data)`);
    if (s.begin > at) throw new SafetensorsError(`${where}: ${s.begin - at} unused bytes before tensor ${s.name} (offset ${at}): safetensors data must be contiguous`);
    at = s.end;
    prev = s.name;
  }
  if (at !== dataLength) throw new SafetensorsError(`${where}: ${dataLength - at} bytes after the last tensor: the header does not describe the whole file`);
  return { tensors, metadata };
}

function checkLittleEndian(): void {
  if (endianness() !== 'LE') throw new SafetensorsError('safetensors I/O needs a little-endian machine');
}

/** One open safetensors file. */
export class SafetensorsFile {
  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    readonly size: number,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  /** Opens `file` and validates its header; throws SafetensorsError with the reason. */
  static async open(file: string): Promise<SafetensorsFile> {
    checkLittleEndian();
    let fh: FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SafetensorsError(code === 'ENOENT' ? `${file}: no such file` : `${file}: ${(e as Error).message}`);
    }
    try {
      const size = (await fh.stat()).size;
      const where = path.basename(file);
      if (size < 8) throw new SafetensorsError(`${where}: ${size} bytes is too small for a safetensors file (it starts with an 8-byte header length)`);
      const lenBuf = Buffer.alloc(8);
      await readFully(fh, lenBuf, 0);
      const n = lenBuf.readBigUInt64LE(0);
      if (n > BigInt(size - 8)) throw new SafetensorsError(`${where}: header length ${n} runs past the end of the file (${size} bytes): not a safetensors file, or truncated`);
      if (n > BigInt(MAX_HEADER)) throw new SafetensorsError(`${where}: header length ${n} is over the 100 MB limit`);
      const headerLength = Number(n);
      const hb = Buffer.alloc(headerLength);
      await readFully(fh, hb, 8);
      let header: unknown;
      try {
        header = JSON.parse(hb.toString('utf8'));
      } catch (e) {
        throw new SafetensorsError(`${where}: invalid JSON header (${headerLength} bytes): ${(e as Error).message}`);
      }
      const { tensors, metadata } = parseHeader(header, 8 + headerLength, size, file);
      return new SafetensorsFile(file, fh, size, tensors, metadata);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  info(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new SafetensorsError(`${path.basename(this.file)}: no tensor named ${name}`);
    return t;
  }

  /** The raw bytes of a tensor, as stored. */
  async readRaw(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const out = new Uint8Array(t.byteLength);
    await readFully(this.fh, out, t.offset);
    return out;
  }

  /** A F32 / F16 / BF16 tensor as float32 values (exact: every F16 and BF16 value is a float32). */
  async read(name: string): Promise<Float32Array> {
    const t = this.info(name);
    const out = new Float32Array(elementCount(t.shape));
    await this.readInto(name, out);
    return out;
  }

  /** Like read(), into `out` (which must hold exactly the tensor's elements). */
  async readInto(name: string, out: Float32Array): Promise<void> {
    const t = this.info(name);
    const n = elementCount(t.shape);
    if (out.length !== n) throw new SafetensorsError(`tensor ${name} has ${n} elements, the output ${out.length}`);
    if (t.dtype === 'F32') {
      await readFully(this.fh, new Uint8Array(out.buffer, out.byteOffset, out.byteLength), t.offset);
      return;
    }
    if (t.dtype !== 'F16' && t.dtype !== 'BF16') {
      throw new SafetensorsError(`${path.basename(this.file)}: tensor ${name} has dtype ${t.dtype}; only ${floatDtypes.join(', ')} tensors can be read as floats`);
    }
    // Converted in chunks: the float32 output plus one chunk of half-precision input at a time.
    const perChunk = Math.min(n, CHUNK / 2);
    const scratch = new Uint16Array(perChunk);
    const bytes = new Uint8Array(scratch.buffer);
    const decode = t.dtype === 'F16' ? f16ToF32Array : bf16ToF32Array;
    for (let i = 0; i < n; i += perChunk) {
      const m = Math.min(perChunk, n - i);
      await readFully(this.fh, bytes.subarray(0, m * 2), t.offset + i * 2);
      decode(scratch.subarray(0, m), out.subarray(i, i + m));
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const want = Math.min(CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, want, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The weights of a model folder: `model.safetensors`, or the shards of `model.safetensors.index.json`. */
export class SafetensorsModel {
  private constructor(
    readonly folder: string,
    private readonly files: SafetensorsFile[],
    private readonly byName: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  static async open(folder: string): Promise<SafetensorsModel> {
    const index = path.join(folder, INDEX_FILE);
    const single = path.join(folder, SINGLE_FILE);
    if (await exists(index)) return SafetensorsModel.openIndex(folder, index);
    if (!(await exists(single))) throw new SafetensorsError(`${folder}: no ${SINGLE_FILE} or ${INDEX_FILE} (only safetensors weights are supported, not pytorch_model.bin)`);
    const f = await SafetensorsFile.open(single);
    return new SafetensorsModel(folder, [f], new Map(f.names().map((n) => [n, f])));
  }

  private static async openIndex(folder: string, index: string): Promise<SafetensorsModel> {
    let json: unknown;
    try {
      json = JSON.parse(await fs.readFile(index, 'utf8'));
    } catch (e) {
      throw new SafetensorsError(`${INDEX_FILE}: ${(e as Error).message}`);
    }
    const map = (json as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new SafetensorsError(`${INDEX_FILE}: no weight_map object`);
    const shardNames = new Set<string>();
    for (const [name, shard] of Object.entries(map)) {
      if (typeof shard !== 'string' || !shard.endsWith('.safetensors') || shard !== path.basename(shard)) throw new SafetensorsError(`${INDEX_FILE}: weight_map.${name} must name a .safetensors file in the folder, got ${JSON.stringify(shard)}`);
      shardNames.add(shard);
    }
    const files: SafetensorsFile[] = [];
    const byName = new Map<string, SafetensorsFile>();
    try {
      for (const s of [...shardNames].sort()) {
        const f = await SafetensorsFile.open(path.join(folder, s));
        files.push(f);
        for (const n of f.names()) {
          const other = byName.get(n);
          if (other) throw new SafetensorsError(`tensor ${n} is in two shards: ${path.basename(other.file)} and ${s}`);
          byName.set(n, f);
        }
      }
      for (const [name, shard] of Object.entries(map as Record<string, string>)) {
        const f = byName.get(name);
        if (!f || path.basename(f.file) !== shard) throw new SafetensorsError(`${INDEX_FILE} puts tensor ${name} in ${shard}, but ${f ? `it is in ${path.basename(f.file)}` : `${shard} has no such tensor`}`);
      }
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    return new SafetensorsModel(folder, files, byName);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  info(name: string): TensorInfo {
    const f = this.byName.get(name);
    if (!f) throw new SafetensorsError(`${this.folder}: no tensor named ${name}`);
    return f.info(name);
  }

  /** Name → shape of every tensor. */
  shapes(): Map<string, number[]> {
    return new Map(this.names().map((n) => [n, this.info(n).shape]));
  }

  read(name: string): Promise<Float32Array> {
    const f = this.byName.get(name);
    if (!f) return Promise.reject(new SafetensorsError(`${this.folder}: no tensor named ${name}`));
    return f.read(name);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  /** The values, or a function that makes them when their turn comes (keeps one tensor in memory at a time). */
  data: Float32Array | (() => Float32Array | Promise<Float32Array>);
  /** Stored dtype; default: the file's. */
  dtype?: FloatDtype;
}

export interface WriteOptions {
  /** Default F32. */
  dtype?: FloatDtype;
  /** Added to `__metadata__` (which always has format: pt, what transformers checks). */
  metadata?: Record<string, string>;
}

/**
 * Writes a safetensors file atomically: a temporary file in the same folder, fsynced, then
 * renamed over `file` — a crash or a full disk leaves the previous file as it was.
 */
export async function writeSafetensors(file: string, tensors: readonly TensorToWrite[], opts: WriteOptions = {}): Promise<void> {
  checkLittleEndian();
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...opts.metadata } };
  const seen = new Set<string>();
  let offset = 0;
  const plan = tensors.map((t) => {
    if (!t.name || t.name === '__metadata__') throw new SafetensorsError(`invalid tensor name ${JSON.stringify(t.name)}`);
    if (seen.has(t.name)) throw new SafetensorsError(`tensor ${t.name} is listed twice`);
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`tensor ${t.name}: invalid shape ${fmtShape(t.shape)}`);
    const dtype = t.dtype ?? opts.dtype ?? 'F32';
    const n = elementCount(t.shape);
    const bytes = n * (dtype === 'F32' ? 4 : 2);
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
    return { t, dtype, n };
  });
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // The data must start 8-byte aligned: pad the header with spaces, as the reference writer does.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));

  await writeAtomic(file, async (fh) => {
    let pos = 0;
    const put = async (b: Uint8Array): Promise<void> => {
      for (let done = 0; done < b.length; ) {
        const { bytesWritten } = await fh.write(b, done, Math.min(CHUNK, b.length - done), pos);
        done += bytesWritten;
        pos += bytesWritten;
      }
    };
    await put(len);
    await put(json);
    for (const { t, dtype, n } of plan) {
      const data = typeof t.data === 'function' ? await t.data() : t.data;
      if (data.length !== n) throw new SafetensorsError(`tensor ${t.name}: shape ${fmtShape(t.shape)} has ${n} elements, the data ${data.length}`);
      if (dtype === 'F32') {
        await put(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        continue;
      }
      const perChunk = Math.min(n, CHUNK / 2);
      const scratch = new Uint16Array(perChunk);
      const encode = dtype === 'F16' ? f32ToF16Array : f32ToBf16Array;
      for (let i = 0; i < n; i += perChunk) {
        const m = Math.min(perChunk, n - i);
        encode(data.subarray(i, i + m), scratch.subarray(0, m));
        await put(new Uint8Array(scratch.buffer, 0, m * 2));
      }
    }
  });
}

/**
 * Runs `write` on a temporary file next to `file`, fsyncs it and renames it to `file`. On any
 * error the temporary file is removed and `file` is untouched.
 */
export async function writeAtomic(file: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`);
  const fh = await fs.open(tmp, 'wx');
  try {
    await write(fh);
    await fh.sync();
    await fh.close();
    await fs.rename(tmp, file);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Writes a text or byte file atomically (see writeAtomic). */
export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return writeAtomic(file, async (fh) => {
    await fh.writeFile(data);
  });
}

// ---------------------------------------------------------------------------------------------
// Half-precision conversions (round to nearest even, as torch's .to(float16 / bfloat16))

let f16Table: Float32Array | null = null;

/** float32 value of every F16 bit pattern (256 KB, built once). */
function f16Values(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) t[h] = f16BitsToF32(h);
  return (f16Table = t);
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

export function f32ToF16Bits(x: number): number {
  f32Scratch[0] = x;
  return f32BitsToF16(u32Scratch[0]);
}

export function f32ToBf16Bits(x: number): number {
  f32Scratch[0] = x;
  return f32BitsToBf16(u32Scratch[0]);
}

export function bf16BitsToF32(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0];
}

function f32BitsToBf16(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff; // NaN stays a (quiet) NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function f32BitsToF16(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m × 2^-24.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let m = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && m & 1)) m++;
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry into the exponent rounds up correctly, to Inf at the top
  return sign | h;
}

export function f16ToF32Array(src: Uint16Array, out: Float32Array): void {
  const t = f16Values();
  for (let i = 0; i < src.length; i++) out[i] = t[src[i]];
}

export function bf16ToF32Array(src: Uint16Array, out: Float32Array): void {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) o[i] = src[i] << 16;
}

export function f32ToF16Array(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToF16(u[i]);
}

export function f32ToBf16Array(src: Float32Array, out: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) out[i] = f32BitsToBf16(u[i]);
}
