import { notificationRecordFrom, renderNotification } from '../templates/notification.js';
import type { RenderTemplate } from './worker.js';

/**
 * The salon's template for these records, in the template's language and the branch's time zone.
 * A variable without a value (a link the branch lacks) is left out rather than shown as `{{…}}`.
 */
export const renderTemplate: RenderTemplate = ({
  template,
  settings,
  records,
  branch,
  services,
  clientName,
}) =>
  renderNotification({
    template,
    settings,
    branch,
    records: records.map((record) => notificationRecordFrom(record, services)),
    ...(clientName === undefined ? {} : { clientName }),
  }).text;
