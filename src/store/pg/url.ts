/** A `postgres://` URL fit for a log line: the password, if any, replaced by `***`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not parseable: say nothing that might be the secret.
    return 'postgres://…';
  }
}
