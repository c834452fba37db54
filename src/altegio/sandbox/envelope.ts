import type { z } from 'zod';

/**
 * Altegio's response envelope and error shape. Errors follow the documented layout
 * (developer.alteg.io, online booking: validate booking parameters): HTTP status, `data: null`,
 * `meta.message` and `meta.errors[]` of `{code, message}`.
 */

export interface Envelope<T> {
  success: true;
  data: T;
  meta: unknown[] | Record<string, unknown>;
}

export interface ErrorEntry {
  code: number;
  message: string;
  [extra: string]: unknown;
}

export interface ErrorEnvelope {
  success: false;
  data: null;
  meta: { message: string; errors: ErrorEntry[] };
}

export function ok<T>(data: T, meta: unknown[] | Record<string, unknown> = []): Envelope<T> {
  return { success: true, data, meta };
}

/** Thrown by handlers and domain code; the server's error handler renders it. */
export class SandboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Altegio's own code (433, 436 …); defaults to the HTTP status. */
    readonly code: number = status,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

export function errorBody(
  status: number,
  message: string,
  code = status,
  extra: Record<string, unknown> = {},
): ErrorEnvelope {
  // validate_booking_params: a booking code (431–438) follows a generic 422 entry, as in the vendor's example.
  const generic: ErrorEntry[] = code !== status && status === 422 ? [{ code: 422, message }] : [];
  return { success: false, data: null, meta: { message, errors: [...generic, { ...extra, code, message }] } };
}

export const notFound = (what = 'Not found'): SandboxError => new SandboxError(404, what);

/**
 * Parses a body (or query) with zod; a mismatch becomes Altegio's error (400 by default, 422
 * where the operation documents it) with the first problem named.
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, status = 400): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue?.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new SandboxError(status, `Invalid request: ${where}${issue?.message ?? 'bad input'}${keys}`);
}
