/** Form and comparison helpers for templates. */

export const eq = (a: unknown, b: unknown) => String(a) === String(b);

/** True when a value is in a list; a lone form value (one ticked checkbox) counts as a list of one. */
export const includes = (list: unknown, value: unknown) =>
  Array.isArray(list) ? list.some((item) => String(item) === String(value)) : list !== undefined && list !== null && String(list) === String(value);

export const checkedIf = (condition: unknown) => (condition ? 'checked' : '');
export const selectedIf = (condition: unknown) => (condition ? 'selected' : '');

/** The error message for a field, from the `errors` map a failed form re-renders with. */
export function fieldError(errors: unknown, name: unknown): string {
  if (!errors || typeof errors !== 'object') return '';
  return (errors as Record<string, string>)[String(name)] ?? '';
}

/** Whether any field error's name starts with one of the prefixes: a folded part with an error opens. */
export function fieldErrorUnder(errors: unknown, ...prefixes: unknown[]): boolean {
  if (!errors || typeof errors !== 'object') return false;
  const wanted = prefixes.slice(0, -1).map(String);
  return Object.keys(errors).some((name) => wanted.some((prefix) => name.startsWith(prefix)));
}

/** Looks a value up by key: {{lookupPath values "new_contacts.0.name"}}. */
export function lookupPath(source: unknown, path: unknown): unknown {
  return String(path)
    .split('.')
    .reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), source);
}

export const concat = (...parts: unknown[]) => parts.slice(0, -1).map(String).join('');

export const or = (...values: unknown[]) => values.slice(0, -1).find(Boolean) ?? values[values.length - 2];
export const not = (value: unknown) => !value;
export const startsWith = (text: unknown, prefix: unknown) => typeof text === 'string' && text.startsWith(String(prefix));
export const add = (a: unknown, b: unknown) => Number(a) + Number(b);
export const lt = (a: unknown, b: unknown) => Number(a) < Number(b);
