/**
 * A typed, escaping `html` tagged template: every interpolated value is escaped unless it is
 * already `Html` (made by `html` itself or `raw`), so a client name or a template text can never
 * become markup. Plain functions returning strings need no JSX compiler and no build step.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What may be interpolated: text is escaped, lists are joined, nothing renders as empty. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

/** Markup we made ourselves (an SVG drawn from a machine definition); never client input. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** `attr('checked', on)` → ` checked` or nothing, for boolean attributes. */
export function flag(name: string, on: boolean): Html {
  return new Html(on ? ` ${name}` : '');
}
