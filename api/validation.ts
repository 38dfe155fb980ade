/** zod at the edge: one way to turn a bad query or body into a 400 with the problems listed. */
import type { z } from 'zod';
import { ApiError } from './errors.js';

export function validQuery<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ApiError(400, 'bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
