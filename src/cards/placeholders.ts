/**
 * The one `{{name}}` placeholder syntax of card templates and system actions: finding the
 * placeholders a template uses (for the compiler's checks), the ones left unclosed, and filling
 * text. A name is letters, digits and `_`, dotted for `context.<field>`.
 */

const NAME = '[A-Za-z][A-Za-z0-9_]*(?:\\.[A-Za-z][A-Za-z0-9_]*)*';
const PLACEHOLDER = new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');
const WHOLE = new RegExp(`^\\{\\{\\s*(${NAME})\\s*\\}\\}$`);

export interface PlaceholderUse {
  name: string;
  /** Where in the template it appears, for error positions. */
  path: (string | number)[];
}

/** The name when the text is exactly one placeholder (`"{{order}}"`), which keeps its value's JSON shape. */
export function wholePlaceholder(text: string): string | undefined {
  return WHOLE.exec(text)?.[1];
}

/** Replaces each placeholder with the text `value(name)` gives. */
export function fillPlaceholders(text: string, value: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => value(name));
}

/** Every placeholder a template uses, with where it stands (including `if:` names). */
export function placeholdersOf(template: unknown): PlaceholderUse[] {
  const uses: PlaceholderUse[] = [];
  eachString(template, (text, path) => {
    if (path[path.length - 1] === 'if') uses.push({ name: text, path });
    else for (const m of text.matchAll(PLACEHOLDER)) uses.push({ name: m[1]!, path });
  });
  return uses;
}

export interface MalformedPlaceholder {
  path: (string | number)[];
  /** 0-based offset of its `{{` in the string. */
  offset: number;
  message: string;
}

/**
 * Each `{{` that does not open a placeholder: left as it is, it would reach the clinician
 * verbatim (`QTc {{qtc ms: 520`).
 */
export function malformedPlaceholders(template: unknown): MalformedPlaceholder[] {
  const found: MalformedPlaceholder[] = [];
  eachString(template, (text, path) => {
    if (path[path.length - 1] === 'if') return;
    const good = new Set([...text.matchAll(PLACEHOLDER)].map((m) => m.index));
    for (const m of text.matchAll(/\{\{/g)) {
      if (good.has(m.index) || good.has(m.index - 1)) continue;
      const close = text.indexOf('}}', m.index);
      const next = text.indexOf('{{', m.index + 2);
      const closed = close >= 0 && (next < 0 || close < next);
      const shown = closed ? text.slice(m.index, close + 2) : text.slice(m.index, next < 0 ? undefined : next).trimEnd();
      found.push({
        path,
        offset: m.index,
        message: closed ? `'${shown}' is not a placeholder: expected {{name}} (letters, digits, _)` : `unclosed placeholder '${shown}': expected {{name}}`,
      });
    }
  });
  return found;
}

function eachString(value: unknown, visit: (text: string, path: (string | number)[]) => void, path: (string | number)[] = []): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => eachString(v, visit, [...path, i]));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) eachString(v, visit, [...path, k]);
}
