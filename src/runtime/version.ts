declare const __LLMOPS_VERSION__: string | undefined;

/** Replaced by esbuild at build time; falls back for unbundled runs (tests). */
export const version: string = typeof __LLMOPS_VERSION__ === 'string' ? __LLMOPS_VERSION__ : '0.0.0-dev';
