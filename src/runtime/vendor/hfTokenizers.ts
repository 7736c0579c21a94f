/**
 * Entry of dist/tokenizers/hf.js: transformers.js's tokenizers (AutoTokenizer with chat templates),
 * the same code the library runs. Counting tokens needs neither ONNX Runtime nor image decoding,
 * so the build points those two native packages at `noNative.ts`, which fails loudly if used.
 */
export { AutoTokenizer, PreTrainedTokenizer, env } from '@huggingface/transformers';
