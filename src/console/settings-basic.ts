/** Settings subsections Chatbot, Records, Feedback and Birthdays. */

import { maskPhone } from '../domain/phone.js';
import { checkbox, checkList, choice, textField } from './fields.js';
import { html } from './html.js';
import { bool, last, numberOrText, type Section, samePath } from './settings-section.js';

const staffLabel = (name: string, branch: string) => `${name} (${branch})`;

export const chatbotSection: Section = {
  id: 'chatbot',
  render({ t }, { settings, branches }, state) {
    const blocked = settings.booking.notifyBlockedStaffIds.map(String);
    const options = branches.flatMap((branch) =>
      Array.isArray(branch.staff)
        ? branch.staff.map((s) => ({ value: String(s.id), label: staffLabel(s.name, branch.title) }))
        : [],
    );
    // A blocked id no longer among the staff stays listed, so that saving does not drop it unseen.
    for (const id of blocked) {
      if (!options.some((option) => option.value === id)) {
        options.push({ value: id, label: t('settings.chatbot.blockedStaff.unknown', { id }) });
      }
    }
    const failures = branches.flatMap((branch) =>
      Array.isArray(branch.staff) ? [] : [`${branch.title}: ${branch.staff.error}`],
    );
    return html`
      ${checkbox(state, {
        name: 'general.testMode',
        label: t('settings.chatbot.testMode.label'),
        help: t('settings.chatbot.testMode.help'),
        checked: settings.general.testMode,
      })}
      ${textField(state, {
        name: 'general.adminPhone',
        label: t('settings.chatbot.adminPhone.label'),
        // Shown masked like every phone in the console: the field takes a new number, empty keeps it.
        help: settings.general.adminPhone
          ? t('settings.chatbot.adminPhone.current', { phone: maskPhone(settings.general.adminPhone) })
          : t('settings.chatbot.adminPhone.help'),
        value: '',
        type: 'tel',
        ...(settings.general.adminPhone ? { placeholder: maskPhone(settings.general.adminPhone) } : {}),
      })}
      ${
        settings.general.adminPhone
          ? checkbox(state, {
              name: 'general.adminPhone.remove',
              label: t('settings.chatbot.adminPhone.remove'),
              checked: false,
            })
          : ''
      }
      ${textField(state, {
        name: 'booking.replyTimeout',
        label: t('settings.chatbot.replyTimeout.label'),
        help: t('settings.chatbot.replyTimeout.help'),
        value: settings.booking.replyTimeout,
      })}
      ${checkbox(state, {
        name: 'booking.chooseStaff',
        label: t('settings.chatbot.chooseStaff.label'),
        help: t('settings.chatbot.chooseStaff.help'),
        checked: settings.booking.chooseStaff,
      })}
      ${checkbox(state, {
        name: 'booking.askFullName',
        label: t('settings.chatbot.askFullName.label'),
        help: t('settings.chatbot.askFullName.help'),
        checked: settings.booking.askFullName,
      })}
      ${checkList(state, {
        name: 'booking.notifyBlockedStaffIds',
        label: t('settings.chatbot.blockedStaff.label'),
        help: t('settings.chatbot.blockedStaff.help'),
        selected: blocked,
        options,
        empty: t('settings.chatbot.blockedStaff.empty'),
      })}
      ${failures.map((failure) => html`<p class="warning">${t('common.altegioFailed', { reason: failure })}</p>`)}`;
  },
  read(form) {
    const phone = last(form, 'general.adminPhone').trim();
    const general: Record<string, unknown> = { testMode: bool(form, 'general.testMode') };
    if (phone !== '') general.adminPhone = phone;
    else if (bool(form, 'general.adminPhone.remove')) general.adminPhone = null;
    return {
      partial: {
        general,
        booking: {
          replyTimeout: last(form, 'booking.replyTimeout').trim(),
          chooseStaff: bool(form, 'booking.chooseStaff'),
          askFullName: bool(form, 'booking.askFullName'),
          notifyBlockedStaffIds: form.all('booking.notifyBlockedStaffIds').map(numberOrText),
        },
      },
      fieldFor: samePath([
        'general.testMode',
        'general.adminPhone',
        'booking.replyTimeout',
        'booking.chooseStaff',
        'booking.askFullName',
        'booking.notifyBlockedStaffIds',
      ]),
    };
  },
};

const RECORD_FLAGS = ['useWidgetServiceNames', 'loadOfflineServices', 'protectPrepaid'] as const;
const RECORD_DURATIONS = ['confirmMenuTtl', 'cancelNotLaterThan', 'groupingWindow'] as const;

export const recordsSection: Section = {
  id: 'records',
  render({ t }, { settings }, state) {
    const r = settings.records;
    const colour = state.form?.has('records.confirmation')
      ? last(state.form, 'records.confirmation')
      : r.confirmation;
    return html`
      ${choice(state, {
        name: 'records.cancellation',
        label: t('settings.records.cancellation.label'),
        help: t('settings.records.cancellation.help'),
        value: r.cancellation,
        options: [
          { value: 'no-show', label: t('settings.records.cancellation.noShow') },
          { value: 'delete', label: t('settings.records.cancellation.delete') },
        ],
      })}
      ${choice(state, {
        name: 'records.confirmation',
        label: t('settings.records.confirmation.label'),
        help: t('settings.records.confirmation.help'),
        value: r.confirmation,
        options: [
          { value: 'status', label: t('settings.records.confirmation.status') },
          { value: 'color', label: t('settings.records.confirmation.color') },
        ],
      })}
      <div class="colour-field" data-shown-when="records.confirmation=color"${colour === 'color' ? '' : html` hidden`}>
        ${textField(state, {
          name: 'records.confirmedColor',
          label: t('settings.records.confirmedColor.label'),
          help: t('settings.records.confirmedColor.help'),
          value: r.confirmedColor,
          type: 'color',
        })}
      </div>
      ${RECORD_DURATIONS.map((key) =>
        textField(state, {
          name: `records.${key}`,
          label: t(`settings.records.${key}.label`),
          help: t(`settings.records.${key}.help`),
          value: r[key],
        }),
      )}
      ${checkbox(state, {
        name: 'booking.anyStaffOption',
        label: t('settings.records.anyStaffOption.label'),
        help: t('settings.records.anyStaffOption.help'),
        checked: settings.booking.anyStaffOption,
      })}
      ${RECORD_FLAGS.map((key) =>
        checkbox(state, {
          name: `records.${key}`,
          label: t(`settings.records.${key}.label`),
          help: t(`settings.records.${key}.help`),
          checked: r[key],
        }),
      )}`;
  },
  read(form) {
    const records: Record<string, unknown> = {
      cancellation: last(form, 'records.cancellation'),
      confirmation: last(form, 'records.confirmation'),
      confirmedColor: last(form, 'records.confirmedColor'),
    };
    for (const key of RECORD_DURATIONS) records[key] = last(form, `records.${key}`).trim();
    for (const key of RECORD_FLAGS) records[key] = bool(form, `records.${key}`);
    return {
      partial: { records, booking: { anyStaffOption: bool(form, 'booking.anyStaffOption') } },
      fieldFor: samePath([...Object.keys(records).map((key) => `records.${key}`), 'booking.anyStaffOption']),
    };
  },
};

export const feedbackSection: Section = {
  id: 'feedback',
  render({ t }, { settings }, state) {
    return html`
      ${textField(state, {
        name: 'feedback.menuTtl',
        label: t('settings.feedback.menuTtl.label'),
        help: t('settings.feedback.menuTtl.help'),
        value: settings.feedback.menuTtl,
      })}
      ${textField(state, {
        name: 'feedback.delayAfterVisit',
        label: t('settings.feedback.delayAfterVisit.label'),
        help: t('settings.feedback.delayAfterVisit.help'),
        value: settings.feedback.delayAfterVisit,
      })}
      ${textField(state, {
        name: 'feedback.poorRatingAtMost',
        label: t('settings.feedback.poorRatingAtMost.label'),
        help: t('settings.feedback.poorRatingAtMost.help'),
        value: String(settings.feedback.poorRatingAtMost),
        inputmode: 'numeric',
      })}`;
  },
  read(form) {
    return {
      partial: {
        feedback: {
          menuTtl: last(form, 'feedback.menuTtl').trim(),
          delayAfterVisit: last(form, 'feedback.delayAfterVisit').trim(),
          poorRatingAtMost: numberOrText(last(form, 'feedback.poorRatingAtMost').trim()),
        },
      },
      fieldFor: samePath(['feedback.menuTtl', 'feedback.delayAfterVisit', 'feedback.poorRatingAtMost']),
    };
  },
};

export const birthdaysSection: Section = {
  id: 'birthdays',
  render({ t }, { settings }, state) {
    return html`
      ${textField(state, {
        name: 'birthdays.sendAt',
        label: t('settings.birthdays.sendAt.label'),
        help: t('settings.birthdays.sendAt.help', { zone: settings.general.timezone }),
        value: settings.birthdays.sendAt,
        type: 'time',
      })}
      ${textField(state, {
        name: 'general.timezone',
        label: t('settings.birthdays.timezone.label'),
        help: t('settings.birthdays.timezone.help'),
        value: settings.general.timezone,
      })}`;
  },
  read(form) {
    return {
      partial: {
        birthdays: { sendAt: last(form, 'birthdays.sendAt').trim() },
        general: { timezone: last(form, 'general.timezone').trim() },
      },
      fieldFor: samePath(['birthdays.sendAt', 'general.timezone']),
    };
  },
};
