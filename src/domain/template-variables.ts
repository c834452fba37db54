/**
 * The system variables a notification template may use. The list is a contract with salon admins
 * (see the README): settings refuse any other `{{name}}`, and the renderer can
 * rely on never meeting an unknown one.
 */
export const TEMPLATE_VARIABLES = [
  'client_name',
  'date',
  'time',
  'weekday',
  'services',
  'staff',
  'branch_name',
  'branch_id',
  'branch_address',
  'booking_link',
  'review_link',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** Variables whose value comes from a branch's settings, keyed by the branch field that feeds them. */
export const BRANCH_FIELD_VARIABLES = {
  booking_link: 'bookingLink',
  review_link: 'reviewLink',
  branch_address: 'address',
} as const;

export function isTemplateVariable(name: string): name is TemplateVariable {
  return (TEMPLATE_VARIABLES as readonly string[]).includes(name);
}

/** One `{{ name }}` occurrence; spaces inside the braces are tolerated because people type them. */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Names used in a template, in order of first appearance, known or not, plus whether braces are
 * left unbalanced (`{{client_name` would otherwise reach a client verbatim).
 */
export function scanTemplate(text: string): { names: string[]; unbalanced: boolean } {
  const names: string[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!names.includes(name)) names.push(name);
  }
  const rest = text.replace(PLACEHOLDER, '');
  return { names, unbalanced: rest.includes('{{') || rest.includes('}}') };
}
