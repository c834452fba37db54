import type { SettingsHolder } from '../config/settings-holder.js';
import { formatProblems, type Settings } from '../domain/settings.js';

/** A problem as `PUT /api/settings` answers it and the console shows it next to its field. */
export interface SettingsProblemView {
  path: string;
  message: string;
  value: unknown;
}

/** The two log calls used; fastify's request logger and pino both fit. */
export interface ChangeLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export type ChangeSettingsResult =
  | { ok: true; settings: Settings; version: string }
  | { ok: false; status: 400; error: string; problems?: SettingsProblemView[] }
  | { ok: false; status: 409; error: string; version: string };

export const NOT_AN_OBJECT_MESSAGE =
  'the body must be a JSON object with the settings to change, e.g. {"records":{"cancellation":"delete"}}';
export const CONFLICT_MESSAGE =
  'the settings were changed by someone else since you loaded them; reload to see the current values';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The one way settings change at run time, shared by `PUT /api/settings` and the web console, so
 * that both refuse exactly the same values with exactly the same messages.
 */
export async function changeSettings(
  holder: SettingsHolder,
  body: unknown,
  options: { expectedVersion?: string | undefined; logger: ChangeLogger; source: string },
): Promise<ChangeSettingsResult> {
  // The holder validates the contents; here only "is it an object at all", so that an array or a
  // bare string gets a plain answer instead of a settings problem with an empty path.
  if (!isPlainObject(body)) return { ok: false, status: 400, error: NOT_AN_OBJECT_MESSAGE };
  const result = await holder.update(
    body,
    options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion },
  );
  if (result.ok) {
    options.logger.info({ keys: Object.keys(body), source: options.source }, 'settings changed');
    return result;
  }
  if (result.conflict) {
    options.logger.warn({ source: options.source }, 'settings change refused: changed meanwhile');
    return { ok: false, status: 409, error: CONFLICT_MESSAGE, version: result.version };
  }
  options.logger.warn(
    { problems: formatProblems(result.problems), source: options.source },
    'settings change refused',
  );
  return {
    ok: false,
    status: 400,
    error: 'invalid settings',
    problems: result.problems.map(({ path, message, value }) => ({ path, message, value })),
  };
}
