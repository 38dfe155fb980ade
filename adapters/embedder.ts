/**
 * Turns text into vectors. The only implementation used at run time talks to an
 * OpenAI-compatible endpoint through the `openai` client.
 */
import { DocumentError } from '../core/formats.js';

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

/**
 * The server answered 2xx but the payload is unusable (wrong count, ragged or non-finite vectors): permanent too.
 * `input` is the position, in the texts given to `embed`, of the one input whose vector was bad,
 * when the fault is that item's alone: a caller embedding several documents together can then
 * fail only the document it belongs to.
 */
export class EmbeddingResponseError extends DocumentError {
  constructor(
    readonly detail: string,
    readonly input?: number,
  ) {
    super('embedding_rejected', `invalid embedding response: ${detail}`);
    this.name = 'EmbeddingResponseError';
  }
}
