/**
 * Two failure modes of an Altegio call, kept apart because callers react differently:
 * {@link AltegioApiError} — Altegio answered and said no (retrying the same request rarely helps,
 * the dialogue must tell the client why); {@link AltegioNetworkError} — we do not know what
 * happened (timeout, reset), so a write may or may not have landed.
 *
 * Callers branch on `error.kind` (or the numeric `code`), never on message text: Altegio's
 * messages are localised and change without notice. Messages never contain tokens or phones.
 */

/** What went wrong, derived from the booking error code first and the HTTP status second. */
export type AltegioErrorKind =
  | 'bad-phone' // 431
  | 'wrong-sms-code' // 432
  | 'slot-taken' // 433
  | 'blacklisted' // 434 (HTTP 403)
  | 'name-missing' // 435
  | 'no-staff-for-any' // 436
  | 'overlap' // 437
  | 'not-bookable' // 438
  | 'bad-request' // 400
  | 'unauthorized' // 401
  | 'payment-required' // 402
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'validation' // 422 without a known code
  | 'rate-limited' // 429
  | 'server' // 5xx
  | 'invalid-response' // 2xx we cannot read
  | 'other';

const KIND_BY_CODE: Readonly<Record<number, AltegioErrorKind>> = {
  431: 'bad-phone',
  432: 'wrong-sms-code',
  433: 'slot-taken',
  434: 'blacklisted',
  435: 'name-missing',
  436: 'no-staff-for-any',
  437: 'overlap',
  438: 'not-bookable',
};

const KIND_BY_STATUS: Readonly<Record<number, AltegioErrorKind>> = {
  400: 'bad-request',
  401: 'unauthorized',
  402: 'payment-required',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  422: 'validation',
  429: 'rate-limited',
};

/** Maps Altegio's booking code (431–438) or, failing that, the HTTP status to a kind. */
export function errorKindFor(httpStatus: number, code: number | undefined): AltegioErrorKind {
  if (code !== undefined) {
    const byCode = KIND_BY_CODE[code];
    if (byCode) return byCode;
  }
  const byStatus = KIND_BY_STATUS[httpStatus];
  if (byStatus) return byStatus;
  if (httpStatus >= 500) return 'server';
  return 'other';
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asCode(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Every `{code, message}` entry Altegio listed: `meta.errors[]` first, then the older `errors`. */
function errorEntries(root: Record<string, unknown>): Array<Record<string, unknown>> {
  const lists = [asRecord(root.meta)?.errors, root.errors];
  const entries: Array<Record<string, unknown>> = [];
  for (const list of lists) {
    for (const item of Array.isArray(list) ? list : [list]) {
      const entry = asRecord(item);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}

/**
 * Reads Altegio's error code. The documented layout (developer.alteg.io, validate booking
 * parameters) is HTTP 422 with `meta.errors: [{code, message}, …]`, whose first entry may be a
 * generic 422; so every entry is scanned and a booking code (431–438) wins over a generic one.
 * Older layouts (`errors.code`, `errors[0].code`, `meta.code`, `code`) are still read.
 */
export function extractErrorCode(body: unknown): number | undefined {
  const root = asRecord(body);
  if (!root) return undefined;
  const codes = [
    ...errorEntries(root).map((entry) => asCode(entry.code)),
    asCode(asRecord(root.meta)?.code),
    asCode(root.code),
  ].filter((code): code is number => code !== undefined);
  return codes.find((code) => KIND_BY_CODE[code] !== undefined) ?? codes[0];
}

/** Altegio's human message: `meta.message` first (the documented place), then the entries' messages. */
export function extractErrorMessage(body: unknown): string | undefined {
  const root = asRecord(body);
  if (!root) return typeof body === 'string' && body.trim() !== '' ? body.slice(0, 200) : undefined;
  const entries = errorEntries(root);
  const booking = entries.find((entry) => {
    const code = asCode(entry.code);
    return code !== undefined && KIND_BY_CODE[code] !== undefined;
  });
  for (const candidate of [
    asRecord(root.meta)?.message,
    booking?.message,
    ...entries.map((entry) => entry.message),
    root.message,
  ]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate;
  }
  return undefined;
}

/** Options shared by both error classes: where the call went. */
export interface AltegioCallInfo {
  /** Templated path, e.g. `/book_times/{cid}/{sid}/{date}` — no ids, no tokens, no phones. */
  endpoint: string;
  method: string;
}

/** Altegio answered with an error status (or with a body we cannot use). */
export class AltegioApiError extends Error {
  override readonly name: string = 'AltegioApiError';
  readonly kind: AltegioErrorKind;
  readonly httpStatus: number;
  /** Altegio's numeric code (e.g. 433), when the body carried one. */
  readonly code: number | undefined;
  readonly endpoint: string;
  readonly method: string;
  /** Parsed `Retry-After`, for 429/503. */
  readonly retryAfterMs: number | undefined;
  /** Altegio's own message (may be localised); for logs and admins, not for branching. */
  readonly serverMessage: string | undefined;

  constructor(
    info: AltegioCallInfo & {
      httpStatus: number;
      code?: number | undefined;
      serverMessage?: string | undefined;
      kind?: AltegioErrorKind;
      retryAfterMs?: number | undefined;
    },
  ) {
    const code = info.code;
    const codePart = code !== undefined && code !== info.httpStatus ? ` code ${code}` : '';
    super(
      `Altegio ${info.method} ${info.endpoint} answered ${info.httpStatus}${codePart}: ${info.serverMessage ?? 'no message'}`,
    );
    this.kind = info.kind ?? errorKindFor(info.httpStatus, code);
    this.httpStatus = info.httpStatus;
    this.code = code;
    this.endpoint = info.endpoint;
    this.method = info.method;
    this.retryAfterMs = info.retryAfterMs;
    this.serverMessage = info.serverMessage;
  }

  /** Builds the error from a failed response body, reading code and message defensively. */
  static fromBody(
    info: AltegioCallInfo & { httpStatus: number; retryAfterMs?: number | undefined },
    body: unknown,
  ) {
    return new AltegioApiError({
      ...info,
      code: extractErrorCode(body),
      serverMessage: extractErrorMessage(body),
    });
  }

  /** The chosen time is gone (433 taken, 437 overlap, 436 nobody free for "any"): offer new times. */
  get isSlotUnavailable(): boolean {
    return this.kind === 'slot-taken' || this.kind === 'overlap' || this.kind === 'no-staff-for-any';
  }
}

/**
 * A 2xx response whose body does not have a shape we can rely on (missing id, …). Named after the
 * endpoint and the JSON path so that a changed Altegio payload is diagnosed from one log line.
 */
export class AltegioParseError extends AltegioApiError {
  override readonly name: string = 'AltegioParseError';
  /** Path inside the response, e.g. `data[3].id`. */
  readonly path: string;

  constructor(info: AltegioCallInfo & { httpStatus: number; path: string; problem: string }) {
    super({
      ...info,
      kind: 'invalid-response',
      serverMessage: `unexpected response at ${info.path}: ${info.problem}`,
    });
    this.path = info.path;
  }
}

/** Why a request produced no answer. */
export type AltegioNetworkErrorKind = 'network' | 'timeout' | 'aborted' | 'outcome-unknown';

/**
 * The request failed before an answer arrived. For writes this means "may have happened":
 * `outcomeUnknown` is set when a write was sent and we could not verify its result.
 */
export class AltegioNetworkError extends Error {
  override readonly name: string = 'AltegioNetworkError';
  readonly kind: AltegioNetworkErrorKind;
  readonly endpoint: string;
  readonly method: string;

  constructor(info: AltegioCallInfo & { kind: AltegioNetworkErrorKind; cause?: unknown; detail?: string }) {
    const detail = info.detail ?? describeCause(info.cause);
    super(`Altegio ${info.method} ${info.endpoint} failed (${info.kind})${detail ? `: ${detail}` : ''}`, {
      cause: info.cause,
    });
    this.kind = info.kind;
    this.endpoint = info.endpoint;
    this.method = info.method;
  }

  /** True when a write may or may not have been applied by Altegio. */
  get outcomeUnknown(): boolean {
    return this.kind === 'outcome-unknown';
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return '';
  // undici hides the real reason (ECONNREFUSED, …) one level down.
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
  return `${cause.message}${inner}`;
}

/** Either Altegio error; handy in `catch` blocks that treat both alike. */
export type AltegioError = AltegioApiError | AltegioNetworkError;

/** Narrowing helper: `isAltegioError(e, 'slot-taken')`. */
export function isAltegioError(
  error: unknown,
  kind?: AltegioErrorKind | AltegioNetworkErrorKind,
): error is AltegioError {
  if (!(error instanceof AltegioApiError) && !(error instanceof AltegioNetworkError)) return false;
  return kind === undefined || error.kind === kind;
}
