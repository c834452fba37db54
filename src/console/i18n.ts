import { readFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import { asLanguage, LANGUAGES, type Language } from '../domain/settings.js';

/** The console's own text, `locales/<lng>/console.json`, read once. */
export type ConsoleResources = Record<Language, Record<string, unknown>>;

const root = new URL('../../locales/', import.meta.url);

export const CONSOLE_RESOURCES: ConsoleResources = Object.fromEntries(
  LANGUAGES.map((lng) => [
    lng,
    JSON.parse(readFileSync(new URL(`${lng}/console.json`, root), 'utf8')) as Record<string, unknown>,
  ]),
) as ConsoleResources;

function lookup(tree: Record<string, unknown>, key: string): string | undefined {
  let node: unknown = tree;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : undefined;
}

/** Translates `key`, filling `{{name}}` from `values`; a missing key shows itself (the test forbids it). */
export type ConsoleT = (key: string, values?: Record<string, string | number>) => string;

export function consoleT(language: Language): ConsoleT {
  return (key, values = {}) => {
    const text = lookup(CONSOLE_RESOURCES[language], key) ?? lookup(CONSOLE_RESOURCES.en, key) ?? key;
    return text.replace(/\{\{(\w+)\}\}/g, (match, name: string) =>
      name in values ? String(values[name]) : match,
    );
  };
}

export const LANGUAGE_COOKIE = 'console_lang';

/** The admin's language: the one picked in the console (a cookie), else the browser's, else English. */
export function requestLanguage(request: FastifyRequest, cookies: Record<string, string>): Language {
  const picked = asLanguage(cookies[LANGUAGE_COOKIE]);
  if (picked) return picked;
  const header = request.headers['accept-language'] ?? '';
  for (const part of header.split(',')) {
    const code = asLanguage(part.trim().slice(0, 2).toLowerCase());
    if (code) return code;
  }
  return 'en';
}
