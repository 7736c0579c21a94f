// A minimal protobuf writer: enough of the wire format to write an ONNX ModelProto.
// Sizes are computed first and the message is written once into one buffer, so a large raw tensor
// (frozen weights as initializers) is copied exactly once.

const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  Fixed32 = 5,
}

type Field =
  | { tag: number; kind: Wire.Varint; value: number | bigint }
  | { tag: number; kind: Wire.Fixed32; value: number }
  | { tag: number; kind: Wire.Fixed64; value: number }
  | { tag: number; kind: Wire.Bytes; value: Uint8Array | Message };

const utf8 = new TextEncoder();
const TWO_64 = 1n << 64n;

/** UTF-8 bytes; a plain loop for ASCII (most ONNX names), which is much cheaper than TextEncoder per short string. */
function encodeString(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return utf8.encode(s);
    out[i] = c;
  }
  return out;
}

function varintBig(v: number | bigint): bigint {
  const b = BigInt(v);
  return b < 0n ? b + TWO_64 : b;
}

function varintSize(v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    let n = 1;
    while (v >= 128) {
      v = Math.floor(v / 128);
      n++;
    }
    return n;
  }
  let b = varintBig(v);
  let n = 1;
  while (b >= 128n) {
    b >>= 7n;
    n++;
  }
  return n;
}

function writeVarint(buf: Uint8Array, pos: number, v: number | bigint): number {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    while (v >= 128) {
      buf[pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
    return pos;
  }
  let b = varintBig(v);
  while (b >= 128n) {
    buf[pos++] = Number(b & 127n) | 128;
    b >>= 7n;
  }
  buf[pos++] = Number(b);
  return pos;
}

/** One protobuf message under construction. Field setters append (repeated fields: call again). */
export class Message {
  private readonly fields: Field[] = [];
  private cachedSize = -1;

  /** int32 / int64 / enum / bool (negative values take 10 bytes, as protobuf specifies). */
  varint(field: number, value: number | bigint | boolean): this {
    this.fields.push({ tag: (field << 3) | Wire.Varint, kind: Wire.Varint, value: typeof value === 'boolean' ? Number(value) : value });
    return this;
  }
  float(field: number, value: number): this {
    this.fields.push({ tag: (field << 3) | Wire.Fixed32, kind: Wire.Fixed32, value });
    return this;
  }
  double(field: number, value: number): this {
    this.fields.push({ tag: (field << 3) | Wire.Fixed64, kind: Wire.Fixed64, value });
    return this;
  }
  bytes(field: number, value: Uint8Array): this {
    this.fields.push({ tag: (field << 3) | Wire.Bytes, kind: Wire.Bytes, value });
    return this;
  }
  string(field: number, value: string): this {
    return this.bytes(field, encodeString(value));
  }
  message(field: number, value: Message): this {
    this.fields.push({ tag: (field << 3) | Wire.Bytes, kind: Wire.Bytes, value });
    return this;
  }

  size(): number {
    if (this.cachedSize >= 0) return this.cachedSize;
    let n = 0;
    for (const f of this.fields) {
      n += varintSize(f.tag);
      switch (f.kind) {
        case Wire.Varint:
          n += varintSize(f.value);
          break;
        case Wire.Fixed32:
          n += 4;
          break;
        case Wire.Fixed64:
          n += 8;
          break;
        case Wire.Bytes: {
          const len = f.value instanceof Message ? f.value.size() : f.value.byteLength;
          n += varintSize(len) + len;
          break;
        }
      }
    }
    this.cachedSize = n;
    return n;
  }

  writeTo(buf: Uint8Array, view: DataView, pos: number): number {
    for (const f of this.fields) {
      pos = writeVarint(buf, pos, f.tag);
      switch (f.kind) {
        case Wire.Varint:
          pos = writeVarint(buf, pos, f.value);
          break;
        case Wire.Fixed32:
          view.setFloat32(pos, f.value, true);
          pos += 4;
          break;
        case Wire.Fixed64:
          view.setFloat64(pos, f.value, true);
          pos += 8;
          break;
        case Wire.Bytes:
          if (f.value instanceof Message) {
            pos = writeVarint(buf, pos, f.value.size());
            pos = f.value.writeTo(buf, view, pos);
          } else {
            pos = writeVarint(buf, pos, f.value.byteLength);
            buf.set(f.value, pos);
            pos += f.value.byteLength;
          }
          break;
      }
    }
    return pos;
  }

  encode(): Uint8Array {
    const buf = new Uint8Array(this.size());
    const end = this.writeTo(buf, new DataView(buf.buffer), 0);
    if (end !== buf.length) throw new Error(`protobuf: wrote ${end} bytes, expected ${buf.length}`);
    return buf;
  }
}

/** Reads the fields of one message (for tests and inspection): field number → raw values. */
export function decodeFields(buf: Uint8Array): Map<number, (bigint | Uint8Array | number)[]> {
  const out = new Map<number, (bigint | Uint8Array | number)[]>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('protobuf: truncated varint');
      r |= BigInt(b & 127) << shift;
      if (b < 128) return r;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const field = tag >>> 3;
    let value: bigint | Uint8Array | number;
    switch (tag & 7) {
      case Wire.Varint:
        value = varint();
        break;
      case Wire.Fixed32:
        value = view.getFloat32(pos, true);
        pos += 4;
        break;
      case Wire.Fixed64:
        value = view.getFloat64(pos, true);
        pos += 8;
        break;
      case Wire.Bytes: {
        const len = Number(varint());
        value = buf.subarray(pos, pos + len);
        pos += len;
        break;
      }
      default:
        throw new Error(`protobuf: unsupported wire type ${tag & 7}`);
    }
    const list = out.get(field);
    if (list) list.push(value);
    else out.set(field, [value]);
  }
  return out;
}
