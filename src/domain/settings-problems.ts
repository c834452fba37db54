import type { z } from 'zod';

/**
 * One thing wrong with a settings document, in the words a salon admin reads: the dotted key
 * (`records.cancellation`, `templates[2].text`), the value they wrote, and what is allowed.
 * The admin API returns these as JSON; the CLI prints them with `formatProblems`.
 */
export interface SettingsProblem {
  /** Dotted key path; list items as `[index]`; empty for problems with the file as a whole. */
  path: string;
  /** The offending value as written (absent for a missing setting). */
  value: unknown;
  /** What is allowed, e.g. `must be one of "no-show", "delete"`. */
  message: string;
  /** `unknown`: a key the schema does not have (usually a typo); `syntax`: the file is not YAML/JSON. */
  kind: 'invalid' | 'missing' | 'unknown' | 'syntax';
}

type Key = PropertyKey;

/** `['templates', 2, 'text']` → `templates[2].text`. */
export function formatPath(path: readonly Key[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** Values are quoted as JSON so `"3"` (text) and `3` (number) look different, as they are. */
function show(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const json = JSON.stringify(value);
  if (json === undefined) return undefined;
  return json.length > 60 ? undefined : json;
}

/**
 * One line per problem, e.g. `records.cancellation: "cancel" is not allowed; must be one of
 * "no-show", "delete"`. Long values (template texts) are left out: the path already points at them.
 */
export function formatProblems(problems: readonly SettingsProblem[]): string {
  return problems
    .map((problem) => {
      const prefix = problem.path === '' ? '' : `${problem.path}: `;
      const shown = show(problem.value);
      if (problem.kind === 'invalid' && shown !== undefined) {
        return `${prefix}${shown} is not allowed; ${problem.message}`;
      }
      return `${prefix}${problem.message}`;
    })
    .join('\n');
}

function valueAt(root: unknown, path: readonly Key[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<Key, unknown>)[key];
  }
  return node;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function unknownKeyMessage(key: string, parent: readonly Key[], known: readonly string[]): string {
  const closest = known
    .map((candidate) => ({ candidate, d: distance(key, candidate) }))
    .sort((x, y) => x.d - y.d)[0];
  if (closest && closest.d <= Math.max(1, Math.floor(key.length / 4))) {
    return `unknown setting; did you mean ${formatPath([...parent, closest.candidate])}?`;
  }
  return known.length > 0 ? `unknown setting; known here: ${known.join(', ')}` : 'unknown setting';
}

const NUMERIC_TEXT = /^\s*-?\d+(\.\d+)?\s*$/;
const BOOLEAN_TEXT = /^(true|false|yes|no|on|off)$/i;

/** Quoted numbers and YAML 1.1 booleans are refused, but the reader is told why it looks right. */
function typeHint(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code !== 'invalid_type' || typeof input !== 'string') return '';
  if (issue.expected === 'number' && NUMERIC_TEXT.test(input)) return ' (write it without quotes)';
  if (issue.expected === 'boolean' && BOOLEAN_TEXT.test(input))
    return ' (write true or false, without quotes)';
  return '';
}

/**
 * Turns zod issues into problems. `knownKeys` lists the keys allowed under a path so that an
 * unknown key (a typo such as `booking.replyTimout`) can be answered with a suggestion.
 */
export function toProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  knownKeys: (parent: readonly Key[]) => readonly string[],
): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          path: formatPath([...issue.path, key]),
          value: valueAt(input, [...issue.path, key]),
          message: unknownKeyMessage(key, issue.path, knownKeys(issue.path)),
          kind: 'unknown',
        });
      }
      continue;
    }
    const value = 'input' in issue ? issue.input : valueAt(input, issue.path);
    let message = issue.message;
    if (issue.code === 'invalid_type' && issue.expected === 'object') {
      message = 'must be a group of settings (key: value)';
    } else if (issue.code === 'invalid_type' && issue.expected === 'array') {
      message = 'must be a list';
    }
    if (value === undefined && issue.code === 'invalid_type') {
      problems.push({
        path: formatPath(issue.path),
        value,
        message: `is required; ${message}`,
        kind: 'missing',
      });
      continue;
    }
    problems.push({
      path: formatPath(issue.path),
      value,
      message: message + typeHint(issue, value),
      kind: value === undefined ? 'missing' : 'invalid',
    });
  }
  return problems;
}
