/** A nested locale resource as `dotted.key → text`; a value that is neither text nor a subtree fails. */
export function flattenLocale(tree: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of flattenLocale(value as Record<string, unknown>, path)) out.set(k, v);
    } else throw new Error(`${path}: not a string`);
  }
  return out;
}
