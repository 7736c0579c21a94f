/** Entry of dist/tokenizers/cl100k_base.js: the cl100k_base encoding, loaded only when an OpenAI model needs it. */
export { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
