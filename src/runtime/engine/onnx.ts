// ONNX ModelProto writer (field numbers from onnx/onnx.proto, IR version 8).
import { Message } from './protobuf';

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 };
export const DTYPE_BYTES: Record<DType, number> = { float32: 4, int32: 4, int64: 8, bool: 1, float64: 8 };

export const IR_VERSION = 8;
export const OPSET = 18;
export const MS_DOMAIN = 'com.microsoft';

export interface OnnxTensor {
  name: string;
  dtype: DType;
  dims: readonly number[];
  /** Little-endian raw bytes (a view; copied once when the model is written). */
  raw: Uint8Array;
}

export type OnnxAttr =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: readonly number[] }
  | { name: string; floats: readonly number[] }
  | { name: string; string: string }
  | { name: string; tensor: OnnxTensor };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attrs?: readonly OnnxAttr[];
}

export interface OnnxValueInfo {
  name: string;
  dtype: DType;
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  initializers: readonly OnnxTensor[];
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function tensorProto(t: OnnxTensor): Message {
  const m = new Message();
  for (const d of t.dims) m.varint(1, d);
  m.varint(2, ONNX_DTYPE[t.dtype]);
  m.string(8, t.name);
  m.bytes(9, t.raw);
  return m;
}

function attrProto(a: OnnxAttr): Message {
  const m = new Message().string(1, a.name);
  if ('int' in a) m.varint(20, ATTR.INT).varint(3, a.int);
  else if ('float' in a) m.varint(20, ATTR.FLOAT).float(2, a.float);
  else if ('ints' in a) {
    m.varint(20, ATTR.INTS);
    for (const v of a.ints) m.varint(8, v);
  } else if ('floats' in a) {
    m.varint(20, ATTR.FLOATS);
    for (const v of a.floats) m.float(7, v);
  } else if ('string' in a) m.varint(20, ATTR.STRING).string(4, a.string);
  else m.varint(20, ATTR.TENSOR).message(5, tensorProto(a.tensor));
  return m;
}

function nodeProto(n: OnnxNode): Message {
  const m = new Message();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  if (n.name) m.string(3, n.name);
  m.string(4, n.op);
  for (const a of n.attrs ?? []) m.message(5, attrProto(a));
  if (n.domain) m.string(7, n.domain);
  return m;
}

function valueInfo(v: OnnxValueInfo): Message {
  const shape = new Message();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Message().varint(1, d) : new Message().string(2, d));
  const tensorType = new Message().varint(1, ONNX_DTYPE[v.dtype]).message(2, shape);
  return new Message().string(1, v.name).message(2, new Message().message(1, tensorType));
}

/** Serialises a graph as an ONNX ModelProto. */
export function encodeModel(g: OnnxGraph, opts: { producer?: string; msDomain?: boolean } = {}): Uint8Array {
  const graph = new Message();
  for (const n of g.nodes) graph.message(1, nodeProto(n));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, tensorProto(t));
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  const model = new Message().varint(1, IR_VERSION).string(2, opts.producer ?? 'llmops-engine').string(3, '0.1');
  model.message(7, graph);
  model.message(8, new Message().string(1, '').varint(2, OPSET));
  if (opts.msDomain) model.message(8, new Message().string(1, MS_DOMAIN).varint(2, 1));
  return model.encode();
}

/** Raw little-endian bytes of a typed array (a view, not a copy). */
export const rawBytes = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
