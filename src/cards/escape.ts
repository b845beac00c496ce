/**
 * How a value from request data reads inside a card, so that it stays text: in the markdown of
 * `detail` it is escaped for markdown and HTML, in plain-text fields (summary, labels,
 * descriptions) it loses control and text-direction characters. The card author's own
 * template text is never touched; only what fills a placeholder (issue 13, finding 5: a draft
 * order's display carried an image tag and a "re-authenticate" link into the card).
 */

/**
 * C0 and C1 controls, DEL, and the invisible direction marks and overrides that can make text
 * read differently from what it is (U+061C, U+200E/F, U+202A-E, U+2066-9).
 */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE_BREAK = /\r\n|[\r\n\t]/g;

/** A value for a plain-text field: one line, without control or direction characters. */
export function plainText(value: string): string {
  return value.replace(LINE_BREAK, ' ').replace(INVISIBLE, '');
}

/**
 * A value for markdown: characters that would start markup are escaped (HTML's `<`, `>`, `&`
 * as entities; markdown's as backslash escapes), so links, images, emphasis, code and HTML in
 * the data show as the characters they are. Line breaks stay, and a line starting `- ` stays a
 * list item, so a value an author built as a list (`select('- ' + ...).join('\n')`) still is one.
 */
export function markdownText(value: string): string {
  return value.split(/\r\n|\r|\n/).map(markdownLine).join('\n');
}

function markdownLine(line: string): string {
  const escaped = line
    .replace(INVISIBLE, '')
    .replace(/\t/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]~|]/g, '\\$&');
  // Block syntax only counts at the start of a line: headings, setext and thematic breaks,
  // `+` lists and numbered lists. `- ` is left as the list marker it is.
  return escaped.replace(/^(\s*)(#|\+|=|-(?! )|\d+(?=[.)]))/, (_, space: string, mark: string) =>
    /^\d/.test(mark) ? `${space}${mark}\\` : `${space}\\${mark}`,
  );
}
