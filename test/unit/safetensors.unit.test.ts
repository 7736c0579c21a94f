import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  SafetensorsFile,
  SafetensorsModel,
  writeSafetensors,
  type FloatDtype,
} from '../../src/runtime/models/safetensors';
import { rng } from '../random';

const PYTHON = '/usr/bin/python3';

/** A file built by hand: 8-byte length (or `len`), header text, data bytes. */
function rawFile(dir: string, name: string, header: unknown, data: Uint8Array, len?: bigint): string {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const l = Buffer.alloc(8);
  l.writeBigUInt64LE(len ?? BigInt(h.length));
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat([l, h, data]));
  return file;
}

async function openError(file: string): Promise<string> {
  try {
    const f = await SafetensorsFile.open(file);
    await f.close();
  } catch (e) {
    return (e as Error).message;
  }
  return 'opened without error';
}

describe('safetensors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmops-st-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips F32 exactly, with an 8-byte aligned header, format pt and custom metadata', async () => {
    const rand = rng(1);
    const a = Float32Array.from({ length: 6 * 5 }, () => rand() * 200 - 100);
    const b = Float32Array.from([1, -0, Infinity, -Infinity, 1e-45, 3.4028234663852886e38]);
    const file = join(dir, 'm.safetensors');
    await writeSafetensors(file, [
      { name: 'a', shape: [6, 5], data: a },
      { name: 'b.weight', shape: [6], data: () => b },
      { name: 'empty', shape: [0, 3], data: new Float32Array(0) },
    ], { metadata: { note: 'x' } });
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
    assert.deepEqual(header.__metadata__, { format: 'pt', note: 'x' });
    assert.deepEqual(header.a, { dtype: 'F32', shape: [6, 5], data_offsets: [0, 120] });
    const f = await SafetensorsFile.open(file);
    try {
      assert.deepEqual(f.names(), ['a', 'b.weight', 'empty']);
      assert.deepEqual(f.metadata, { format: 'pt', note: 'x' });
      assert.deepEqual(await f.read('a'), a);
      const rb = await f.read('b.weight');
      assert.ok(Object.is(rb[1], -0));
      assert.deepEqual(rb, b);
      assert.equal((await f.read('empty')).length, 0);
      assert.equal(f.info('b.weight').offset, 8 + n + 120);
      assert.deepEqual(await f.readRaw('b.weight'), new Uint8Array(b.buffer));
      await assert.rejects(f.read('nope'), /no tensor named nope/);
    } finally {
      await f.close();
    }
  });

  it('every F16 and BF16 value survives float32 and back unchanged', () => {
    for (let h = 0; h < 65536; h++) {
      const x = f16BitsToF32(h);
      const y = bf16BitsToF32(h);
      if (Number.isNaN(x)) assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(x))));
      else assert.equal(f32ToF16Bits(x), h, `f16 ${h.toString(16)}`);
      if (Number.isNaN(y)) assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(y))));
      else assert.equal(f32ToBf16Bits(y), h, `bf16 ${h.toString(16)}`);
    }
  });

  it('rounds float32 to F16 and BF16 to nearest, ties to even, with overflow and subnormals', () => {
    assert.equal(f32ToF16Bits(1), 0x3c00);
    assert.equal(f32ToF16Bits(65504), 0x7bff);
    assert.equal(f32ToF16Bits(65519), 0x7bff); // below the halfway point to 65536
    assert.equal(f32ToF16Bits(65520), 0x7c00); // halfway: even is 65536, which overflows to Inf
    assert.equal(f32ToF16Bits(-1e6), 0xfc00);
    assert.equal(f32ToF16Bits(2 ** -24), 0x0001);
    assert.equal(f32ToF16Bits(2 ** -25), 0x0000); // tie between 0 and the smallest subnormal: 0 is even
    assert.equal(f32ToF16Bits(3 * 2 ** -26), 0x0001);
    assert.equal(f32ToF16Bits(3 * 2 ** -25), 0x0002); // 1.5 × 2^-24: tie, 2 is even
    assert.equal(f32ToF16Bits(1 + 2 ** -11), 0x3c00); // tie, 1.0 is even
    assert.equal(f32ToF16Bits(1 + 3 * 2 ** -11), 0x3c02);
    assert.equal(f32ToF16Bits(2 ** -14 - 2 ** -25), 0x0400); // largest subnormal + half rounds up to the smallest normal
    assert.equal(f32ToBf16Bits(1), 0x3f80);
    assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie, even
    assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie, even
    assert.equal(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81);
    assert.equal(f32ToBf16Bits(3.4028234663852886e38), 0x7f80); // rounds past the largest bf16 to Inf
    assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
    assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
  });

  for (const dtype of ['F16', 'BF16'] as FloatDtype[]) {
    it(`writes and reads ${dtype}: values exact where representable, else the nearest`, async () => {
      const rand = rng(dtype === 'F16' ? 2 : 3);
      const exact = Float32Array.from({ length: 1000 }, () => (dtype === 'F16' ? f16BitsToF32(Math.floor(rand() * 0x7c00)) : bf16BitsToF32(Math.floor(rand() * 0x7f80))) * (rand() < 0.5 ? -1 : 1));
      const any = Float32Array.from({ length: 1000 }, () => (rand() - 0.5) * 10);
      const file = join(dir, `${dtype}.safetensors`);
      await writeSafetensors(file, [{ name: 'exact', shape: [10, 100], data: exact }, { name: 'any', shape: [1000], data: any }], { dtype });
      const f = await SafetensorsFile.open(file);
      try {
        assert.equal(f.info('exact').dtype, dtype);
        assert.equal(f.info('exact').byteLength, 2000);
        assert.deepEqual(await f.read('exact'), exact);
        const back = await f.read('any');
        const conv = dtype === 'F16' ? (x: number) => f16BitsToF32(f32ToF16Bits(x)) : (x: number) => bf16BitsToF32(f32ToBf16Bits(x));
        for (let i = 0; i < any.length; i++) {
          assert.equal(back[i], conv(any[i]));
          assert.ok(Math.abs(back[i] - any[i]) <= Math.abs(any[i]) * (dtype === 'F16' ? 2 ** -11 : 2 ** -8));
        }
      } finally {
        await f.close();
      }
    });
  }

  it('mixes dtypes in one file and refuses to read integer tensors as floats', async () => {
    const file = join(dir, 'mixed.safetensors');
    await writeSafetensors(file, [{ name: 'h', shape: [2], data: Float32Array.from([0.5, 2]), dtype: 'BF16' }, { name: 'f', shape: [1], data: Float32Array.from([3]) }]);
    const f = await SafetensorsFile.open(file);
    assert.deepEqual([f.info('h').dtype, f.info('f').dtype], ['BF16', 'F32']);
    assert.deepEqual(await f.read('h'), Float32Array.from([0.5, 2]));
    await f.close();
    const ints = rawFile(dir, 'ints.safetensors', { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16));
    const g = await SafetensorsFile.open(ints);
    await assert.rejects(g.read('ids'), /tensor ids has dtype I64; only F32, F16, BF16 tensors can be read as floats/);
    assert.equal((await g.readRaw('ids')).length, 16);
    await g.close();
  });

  it('writes atomically: a failed write leaves the previous file and no temporary file', async () => {
    const file = join(dir, 'model.safetensors');
    await writeSafetensors(file, [{ name: 'a', shape: [2], data: Float32Array.from([1, 2]) }]);
    const before = readFileSync(file);
    await assert.rejects(writeSafetensors(file, [{ name: 'a', shape: [3], data: Float32Array.from([1, 2]) }]), /shape \[3\] has 3 elements, the data 2/);
    await assert.rejects(writeSafetensors(file, [{ name: 'a', shape: [1], data: () => { throw new Error('disk full'); } }]), /disk full/);
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
    await assert.rejects(writeSafetensors(file, [{ name: 'a', shape: [1], data: new Float32Array(1) }, { name: 'a', shape: [1], data: new Float32Array(1) }]), /listed twice/);
  });

  it('reports every kind of corrupt file clearly', async () => {
    const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const data8 = new Uint8Array(8);
    writeFileSync(join(dir, 'tiny.safetensors'), Buffer.from([1, 2, 3]));
    assert.match(await openError(join(dir, 'tiny.safetensors')), /3 bytes is too small for a safetensors file/);
    assert.match(await openError(rawFile(dir, 'len.safetensors', ok, data8, 1000n)), /header length 1000 runs past the end of the file \(\d+ bytes\)/);
    assert.match(await openError(rawFile(dir, 'huge.safetensors', ok, data8, 2n ** 63n)), /header length 9223372036854775808 runs past the end/);
    assert.match(await openError(rawFile(dir, 'json.safetensors', '{"a": {"dtype": "F32",', data8)), /invalid JSON header \(\d+ bytes\)/);
    assert.match(await openError(rawFile(dir, 'arr.safetensors', '[1]', data8)), /the header is not a JSON object/);
    assert.match(await openError(rawFile(dir, 'dtype.safetensors', { a: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 8] } }, data8)), /tensor a: unknown dtype "Q4_K" \(known: BOOL, U8/);
    assert.match(await openError(rawFile(dir, 'size.safetensors', { a: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, data8)), /tensor a: shape \[3\] × F16 needs 6 bytes but data_offsets \[0, 8\] span 8/);
    assert.match(await openError(rawFile(dir, 'range.safetensors', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data8)), /tensor a: data_offsets \[0, 16\] run past the end of the data \(8 bytes\): the file is truncated or corrupt/);
    assert.match(
      await openError(rawFile(dir, 'overlap.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12))),
      /tensors a and b overlap \(bytes 4\.\.8 of the data\)/,
    );
    assert.match(
      await openError(rawFile(dir, 'gap.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12))),
      /4 unused bytes before tensor b \(offset 4\): safetensors data must be contiguous/,
    );
    assert.match(await openError(rawFile(dir, 'tail.safetensors', ok, new Uint8Array(12))), /4 bytes after the last tensor/);
    assert.match(await openError(rawFile(dir, 'offs.safetensors', { a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, data8)), /data_offsets must be \[begin, end\] with 0 ≤ begin ≤ end/);
    assert.match(await openError(rawFile(dir, 'shape.safetensors', { a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data8)), /shape must be a list of non-negative integers/);
    assert.match(await openError(rawFile(dir, 'meta.safetensors', { __metadata__: { format: 1 }, ...ok }, data8)), /__metadata__\.format must be a string/);
    assert.match(await openError(join(dir, 'missing.safetensors')), /missing\.safetensors: no such file/);
  });

  it('opens a sharded model through model.safetensors.index.json and checks the index', async () => {
    await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'x', shape: [2], data: Float32Array.from([1, 2]) }]);
    await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'y', shape: [1, 1], data: Float32Array.from([3]), dtype: 'BF16' }]);
    const index = (map: Record<string, string>) => writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 10 }, weight_map: map }));
    index({ x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' });
    const m = await SafetensorsModel.open(dir);
    try {
      assert.deepEqual(m.names().sort(), ['x', 'y']);
      assert.deepEqual(m.shapes(), new Map([['x', [2]], ['y', [1, 1]]]));
      assert.deepEqual(await m.read('y'), Float32Array.from([3]));
      assert.equal(m.info('x').file, join(dir, 'model-00001-of-00002.safetensors'));
    } finally {
      await m.close();
    }
    index({ x: 'model-00002-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' });
    await assert.rejects(SafetensorsModel.open(dir), /puts tensor x in model-00002-of-00002\.safetensors, but model-00002-of-00002\.safetensors has no such tensor/);
    index({ x: 'model-00001-of-00002.safetensors', y: 'model-00001-of-00002.safetensors', z: 'model-00002-of-00002.safetensors' });
    await assert.rejects(SafetensorsModel.open(dir), /puts tensor y in model-00001-of-00002\.safetensors, but it is in model-00002-of-00002\.safetensors/);
    index({ x: 'model-00001-of-00002.safetensors', z: 'model-00001-of-00002.safetensors' });
    await assert.rejects(SafetensorsModel.open(dir), /puts tensor z in model-00001-of-00002\.safetensors, but model-00001-of-00002\.safetensors has no such tensor/);
    index({ x: '../elsewhere.safetensors' });
    await assert.rejects(SafetensorsModel.open(dir), /must name a \.safetensors file in the folder/);
    index({ x: 'model-00003-of-00003.safetensors' });
    await assert.rejects(SafetensorsModel.open(dir), /model-00003-of-00003\.safetensors: no such file/);
    const empty = mkdtempSync(join(tmpdir(), 'llmops-st-'));
    await assert.rejects(SafetensorsModel.open(empty), /no model\.safetensors or model\.safetensors\.index\.json/);
    rmSync(empty, { recursive: true });
  });

  it('torch reads what we write (Debian python3-torch, header parsed by hand)', async function () {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      console.log(`    skipped: ${PYTHON} has no torch (apt-get install python3-torch)`);
      this.skip();
    }
    const rand = rng(4);
    const values = Array.from({ length: 64 }, (_, i) => (i < 8 ? [0, -1e-30, 1e-8, 6e-8, 65504, 70000, -2.5e-5, 1 + 2 ** -8][i] : (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 4)));
    const data = Float32Array.from(values);
    for (const dtype of ['F32', 'F16', 'BF16'] as FloatDtype[]) await writeSafetensors(join(dir, `${dtype}.safetensors`), [{ name: 'w', shape: [8, 8], data }, { name: 'b', shape: [3], data: Float32Array.from([1, 2, 3]) }], { dtype });
    const script = `
import json, struct, sys, torch
d = sys.argv[1]
values = torch.tensor(json.loads(sys.argv[2]), dtype=torch.float32).reshape(8, 8)
types = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16}
for name, dt in types.items():
    raw = open(f'{d}/{name}.safetensors', 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    assert n % 8 == 0, 'header not aligned'
    header = json.loads(raw[8:8 + n])
    assert header['__metadata__'] == {'format': 'pt'}, header['__metadata__']
    base = 8 + n
    t = {}
    for k, v in header.items():
        if k == '__metadata__': continue
        b, e = v['data_offsets']
        t[k] = torch.frombuffer(bytearray(raw[base + b:base + e]), dtype=types[v['dtype']]).reshape(v['shape'])
    expected = values.to(dt)
    assert t['w'].dtype == dt
    assert torch.equal(t['w'].view(torch.int16 if dt != torch.float32 else torch.int32), expected.view(torch.int16 if dt != torch.float32 else torch.int32)), (name, t['w'], expected)
    assert torch.equal(t['b'].float(), torch.tensor([1.0, 2.0, 3.0]))
print('ok')
`;
    // torch.tensor of float64 JSON → float32 rounds exactly like Float32Array.from.
    const r = spawnSync(PYTHON, ['-c', script, dir, JSON.stringify(Array.from(data))], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });
});
