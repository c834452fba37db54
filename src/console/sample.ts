import { formatInTimeZone } from 'date-fns-tz';
import type { Language, Settings, Template } from '../domain/settings.js';
import { isTemplateVariable, scanTemplate } from '../domain/template-variables.js';
import {
  type NotificationBranch,
  notificationVariables,
  renderNotification,
} from '../templates/notification.js';
import { consoleT } from './i18n.js';

/**
 * A made-up visit tomorrow at 10:00 in the project's zone, named in the template's language, so
 * that a preview reads like the message a client would get.
 */
function sampleRecord(settings: Settings, language: Language, now: number) {
  const t = consoleT(language);
  const zone = settings.general.timezone;
  const day = formatInTimeZone(now + 86_400_000, zone, 'yyyy-MM-dd');
  return {
    datetime: `${day}T10:00:00${formatInTimeZone(now + 86_400_000, zone, 'xxx')}`,
    services: [{ id: 1, title: t('sample.service') }],
    staff: [t('sample.staff')],
    clientName: t('sample.client'),
  };
}

export interface SampleBranch {
  id: number;
  title: string;
}

function branchFor(
  settings: Settings,
  branch: SampleBranch | undefined,
  language: Language,
): NotificationBranch {
  return {
    id: branch?.id ?? settings.branches[0]?.id ?? 1,
    title: branch?.title ?? consoleT(language)('sample.branch'),
    timezone: settings.general.timezone,
  };
}

export interface Preview {
  text: string;
  /** `{{names}}` that are not system variables, in order of appearance. */
  unknown: string[];
}

/** The template rendered by the engine's own renderer on the sample visit. */
export function previewTemplate(
  settings: Settings,
  template: Template,
  branch: SampleBranch | undefined,
  now: number,
): Preview {
  const language = template.language ?? settings.variables.language;
  const rendered = renderNotification({
    template,
    settings,
    branch: branchFor(settings, branch, language),
    ...(template.kind === 'birthday' ? { records: [] } : { record: sampleRecord(settings, language, now) }),
  });
  const unknown = scanTemplate(template.text).names.filter((name) => !isTemplateVariable(name));
  return { text: rendered.text, unknown };
}

/** Every variable's value on the sample visit, before overrides: what an empty override means. */
export function sampleValues(
  settings: Settings,
  language: Language,
  branch: SampleBranch | undefined,
  now: number,
): Record<string, string> {
  const plain: Settings = { ...settings, variables: { language, overrides: {} } };
  return notificationVariables({
    template: { kind: 'new-record', text: '', language, enabled: true },
    settings: plain,
    branch: branchFor(settings, branch, language),
    record: sampleRecord(settings, language, now),
  }).values;
}
