// Bad input: build-time shape errors name the op and both shapes, unsupported ops are named,
// non-finite gradients are reported with the tensor's name, bad feeds never reach ORT.
import { strict as assert } from 'node:assert';
import { EngineError, NonFiniteError, ShapeError, UnsupportedOpError } from '../../src/runtime/engine/errors';
import { Graph } from '../../src/runtime/engine/graph';
import { compile } from '../../src/runtime/engine/program';

const throwsWith = (fn: () => unknown, type: new (...a: never[]) => Error, ...parts: string[]) =>
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `'${e.message}' should mention '${p}'`);
    return true;
  });

describe('engine bad input', () => {
  it('reports a broadcast mismatch with the op and both shapes at build time', () => {
    const g = new Graph();
    const a = g.input('a', ['batch', 3]);
    const b = g.input('b', [4]);
    throwsWith(() => a.add(b), ShapeError, 'Add', '[batch, 3]', '[4]');
    throwsWith(() => a.mul(g.input('c', ['seq', 3])), ShapeError, 'Mul', '[batch, 3]', '[seq, 3]');
  });

  it('reports MatMul inner-dimension and rank errors with both shapes', () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 'seq', 576]);
    const w = g.param('w', [1536, 575], { trainable: false });
    throwsWith(() => x.matmul(w.t()), ShapeError, 'MatMul', '[batch, seq, 576]', '[575, 1536]');
    throwsWith(() => x.matmul(g.input('v', [576])), ShapeError, 'MatMul', 'rank-1');
  });

  it('reports reshape, concat, squeeze, gather, where and cross-entropy misuse', () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 6]);
    throwsWith(() => x.reshape([4, -1]), ShapeError, 'Reshape', '[batch, 6]', '[4, -1]');
    throwsWith(() => x.reshape([-1, 4]), ShapeError, 'Reshape');
    throwsWith(() => g.concat([x, g.input('y', ['seq', 6])], 1), ShapeError, 'Concat', '[batch, 6]', '[seq, 6]');
    throwsWith(() => x.squeeze(1), ShapeError, 'Squeeze', '[batch, 6]');
    throwsWith(() => x.gather(x), ShapeError, 'Gather', 'int64');
    throwsWith(() => g.where(x, x, x), ShapeError, 'Where', 'bool');
    throwsWith(() => x.add(g.input('d', [6], 'float64')), ShapeError, 'Add', 'float32[batch, 6]', 'float64[6]');
    throwsWith(() => g.crossEntropy(g.input('logits', [2, 5, 7]), g.input('labels', [2, 4], 'int64')), ShapeError, 'SoftmaxCrossEntropy', '[2, 4]', '[2, 5, 7]');
    throwsWith(() => x.transpose([0, 0]), ShapeError, 'Transpose');
    throwsWith(() => x.softmax(2), EngineError, 'Softmax', 'axis 2');
  });

  it('names unsupported ops, and ops without a gradient on the differentiated path', () => {
    const g = new Graph();
    const x = g.input('x', [4]);
    throwsWith(() => g.apply('Erf', [x]), UnsupportedOpError, "'Erf'", 'MatMul');
    const w = g.param('w', [6], { trainable: true, data: new Float32Array(6) });
    const strided = w.slice(0, 0, 6, 2).sum();
    throwsWith(() => compile(g, { loss: strided }), UnsupportedOpError, 'Slice', 'strided');
  });

  it('reports NaN / Inf in a gradient with the tensor name', async () => {
    const g = new Graph();
    const w = g.param('layers.0.q.lora_A', [3], { trainable: true, data: Float32Array.from([1, 0, 4]) });
    const ok = g.param('ok', [3], { trainable: true, data: Float32Array.from([1, 2, 3]) });
    const p = compile(g, { loss: w.sqrt().sum().add(ok.sum()) });
    await assert.rejects(p.run({}), (e: Error) => {
      assert.ok(e instanceof NonFiniteError, e.message);
      assert.equal(e.reports.length, 1);
      assert.equal(e.reports[0].name, 'layers.0.q.lora_A');
      assert.deepEqual([e.reports[0].inf, e.reports[0].nan, e.reports[0].first], [1, 0, 1]);
      assert.match(e.message, /gradient of 'layers\.0\.q\.lora_A' is not finite: 0 NaN, 1 Inf/);
      return true;
    });
    w.data = Float32Array.from([-1, 1, 1]);
    await assert.rejects(p.run({}), /output of 'loss' is not finite: 1 NaN.*gradient of 'layers\.0\.q\.lora_A' is not finite: 1 NaN/);
    await p.dispose();
  });

  it('checks fed shapes and dtypes before ORT sees them', async () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 'seq', 4]);
    const m = g.input('m', ['batch', 'seq']);
    const p = compile(g, { outputs: { y: x.sum(-1).add(m) } });
    const f = (shape: number[]) => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });
    await assert.rejects(p.run({ x: f([2, 3, 4]), m: f([2, 5]) }), /input 'm': 'seq' is 5 here but 3 elsewhere/);
    await assert.rejects(p.run({ x: f([2, 3, 5]), m: f([2, 3]) }), /input 'x': fed shape \[2, 3, 5\] does not match declared \[batch, seq, 4\]/);
    await assert.rejects(p.run({ x: f([2, 3]), m: f([2, 3]) }), /input 'x': fed shape \[2, 3\] has rank 2/);
    await assert.rejects(p.run({ x: f([2, 3, 4]), m: { data: new Float64Array(6), shape: [2, 3] } }), /input 'm': fed float64, declared float32/);
    await assert.rejects(p.run({ x: f([2, 3, 4]) }), /missing feed for input 'm'/);
    await p.dispose();
  });

  it('rejects duplicate names, frozen parameters in wrt and non-scalar losses', () => {
    const g = new Graph();
    g.input('x', [2]);
    throwsWith(() => g.input('x', [3]), EngineError, "'x' already exists");
    const f = g.param('f', [2], { trainable: false, data: new Float32Array(2) });
    throwsWith(() => compile(g, { loss: f.sum(), wrt: [f] }), EngineError, "parameter 'f' is frozen");
    const t = g.param('t', [2], { trainable: true, data: new Float32Array(2) });
    throwsWith(() => compile(g, { loss: t.mul(2) }), EngineError, 'reduce it to a scalar');
    throwsWith(() => g.param('bad', [2], { trainable: true, data: new Float32Array(3) }), EngineError, "'bad'", '3 values');
  });
});
