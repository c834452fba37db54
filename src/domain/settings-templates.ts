/**
 * Notification templates in the settings: the schema of one template (its variables checked
 * against the list the renderer knows) and the default list.
 *
 * @module
 */
import { z } from 'zod';
import {
  bool,
  DEFAULT_REMINDER_OFFSET,
  duration,
  LANGUAGES,
  oneOf,
  TEMPLATE_KINDS,
  type TemplateKind,
  text,
} from './settings-values.js';
import { isTemplateVariable, scanTemplate, TEMPLATE_VARIABLES } from './template-variables.js';

const ALLOWED_VARIABLES = TEMPLATE_VARIABLES.map((name) => `{{${name}}}`).join(', ');

export const template = z
  .strictObject({
    kind: oneOf(TEMPLATE_KINDS),
    text: text().min(1, { error: 'must not be empty' }),
    /** Absent: the template follows `variables.language`. */
    language: oneOf(LANGUAGES).optional(),
    offset: duration().optional(),
    enabled: bool().default(true),
  })
  .superRefine(
    (item, ctx) => {
      const name = (TEMPLATE_KINDS as readonly string[]).includes(item.kind)
        ? `the ${item.kind} template`
        : 'this template';
      const { names, unbalanced } = scanTemplate(item.text);
      for (const variable of names.filter((candidate) => !isTemplateVariable(candidate))) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          input: item.text,
          message: `unknown variable {{${variable}}} in ${name}; allowed: ${ALLOWED_VARIABLES}`,
        });
      }
      if (unbalanced) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          input: item.text,
          message: `${name} has a "{{" or "}}" that does not belong to a variable`,
        });
      }
    },
    // Runs even when another field of the template is wrong, so all problems come out at once.
    { when: (payload) => !payload.issues.some((issue) => issue.path?.[0] === 'text') },
  )
  .superRefine(
    (item, ctx) => {
      if (item.kind !== 'reminder' && item.offset !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['offset'],
          input: item.offset,
          message: `only reminder templates have an offset; remove it from the ${item.kind} template`,
        });
      }
    },
    {
      when: (payload) =>
        !payload.issues.some((issue) => issue.path?.[0] === 'kind' || issue.path?.[0] === 'offset'),
    },
  )
  .transform((item) =>
    item.kind === 'reminder' && item.offset === undefined
      ? { ...item, offset: DEFAULT_REMINDER_OFFSET }
      : item,
  );

export type Template = z.output<typeof template>;

/**
 * The default list: one template of each kind, in Russian like the default `variables.language`.
 * They avoid `{{booking_link}}`, `{{review_link}}` and `{{branch_address}}` on purpose: those need
 * the branch fields filled in, and adding a branch must not make the defaults invalid.
 */
export function defaultTemplates(): Template[] {
  const visit = '{{date}} ({{weekday}}) в {{time}}: {{services}}, мастер {{staff}}';
  const texts: { kind: TemplateKind; text: string; offset?: string }[] = [
    { kind: 'new-record', text: `{{client_name}}, вы записаны в {{branch_name}} на ${visit}.` },
    {
      kind: 'reminder',
      offset: DEFAULT_REMINDER_OFFSET,
      text: `{{client_name}}, напоминаем о записи в {{branch_name}} на ${visit}.`,
    },
    {
      kind: 'record-changed',
      text: `{{client_name}}, ваша запись в {{branch_name}} изменена. Теперь: ${visit}.`,
    },
    {
      kind: 'record-cancelled',
      text: '{{client_name}}, ваша запись в {{branch_name}} на {{date}} в {{time}} отменена. Будем рады видеть вас снова!',
    },
    {
      kind: 'feedback',
      text: '{{client_name}}, спасибо, что были у нас в {{branch_name}}! Оцените, пожалуйста, визит от 1 до 5.',
    },
    {
      kind: 'birthday',
      text: '{{client_name}}, с днём рождения! {{branch_name}} желает вам счастья и прекрасного настроения.',
    },
  ];
  return texts.map((item): Template => ({ ...item, language: 'ru', enabled: true }));
}
