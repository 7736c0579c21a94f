/** Entry of dist/tokenizers/o200k_base.js: the o200k_base encoding, loaded only when an OpenAI model needs it. */
export { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
