/**
 * Turns text into vectors. The only implementation used at run time talks to an
 * OpenAI-compatible endpoint through the `openai` client.
 */
export type EmbedPurpose = 'passage' | 'query';

export interface Embedder {
  /** Model name as the endpoint knows it. */
  readonly model: string;
  /** Vector size; known after the first call or from configuration. */
  dimensions(): Promise<number>;
  /** Embeds texts in order; batches and retries internally. */
  embed(texts: string[], purpose: EmbedPurpose, signal?: AbortSignal): Promise<number[][]>;
  health(): Promise<{ ok: boolean; detail: string }>;
}
