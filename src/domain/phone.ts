/**
 * Phones travel between Altegio (number `79161234567` or string `"+7 (916) 123-45-67"`),
 * Telegram contacts (`"79161234567"` or `"+7916…"`) and WhatsApp chat ids (`79161234567@c.us`).
 * Everything inside the engine uses one form: digits only, country code first, no `+`.
 */

/** Digits with country code, or `null` when the input cannot be a phone number. */
export function normalizePhone(raw: unknown): string | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const text = String(raw).trim();
  let digits = text.replace(/@c\.us$/, '').replace(/\D/g, '');
  // Russian mobiles are often written with the trunk prefix 8 (8 916 …) instead of +7. Only that
  // shape is rewritten: other 11-digit numbers starting with 8 are real country codes (84 Vietnam,
  // 82 Korea), and a number written with "+" is taken as written.
  if (!text.startsWith('+') && digits.length === 11 && digits.startsWith('89'))
    digits = `7${digits.slice(1)}`;
  if (digits.length < 10 || digits.length > 15) return null;
  return digits;
}

/** `79161234567` → `+7***4567`: enough to tell clients apart in logs, not enough to call them. */
export function maskPhone(raw: unknown): string {
  const phone = normalizePhone(raw);
  if (!phone) return '***';
  return `+${phone.slice(0, phone.length - 10 > 0 ? phone.length - 10 : 1)}***${phone.slice(-4)}`;
}

/** Anything in `text` written like a phone number (`+79991234567`, `8 916 123-45-67`) → `+7***4567`. */
export function maskPhonesIn(text: string): string {
  return text.replace(/\+?\d[\d\s()-]{8,}\d/g, (match) => (normalizePhone(match) ? maskPhone(match) : match));
}
