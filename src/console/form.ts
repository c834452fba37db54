/** A form body (`application/x-www-form-urlencoded`) as a multimap: check boxes with one name send several values. */
export class FormFields {
  constructor(private readonly fields: Map<string, string[]>) {}
  static parse(body: string): FormFields {
    const fields = new Map<string, string[]>();
    for (const [key, value] of new URLSearchParams(body)) {
      fields.set(key, [...(fields.get(key) ?? []), value]);
    }
    return new FormFields(fields);
  }
  get(name: string): string | undefined {
    return this.fields.get(name)?.[0];
  }
  all(name: string): string[] {
    return this.fields.get(name) ?? [];
  }
  has(name: string): boolean {
    return this.fields.has(name);
  }
  names(): string[] {
    return [...this.fields.keys()];
  }
}
