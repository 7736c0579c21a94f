/**
 * Stands in for `onnxruntime-node` and `sharp` inside dist/tokenizers/hf.js only (see
 * hfTokenizers.ts): transformers.js imports them at load time, tokenizers never call them.
 */
const unavailable = (): never => {
  throw new Error('ONNX Runtime and image decoding are not part of the tokenizer bundle');
};
export const env = {};
export const InferenceSession = { create: unavailable };
export const Tensor = unavailable;
export default { env, InferenceSession, Tensor };
