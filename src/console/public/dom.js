// Building the page from data: elements and text nodes only, never HTML strings, so nothing a
// rule, a card or a request says can become markup or script.

/**
 * h('button', { class: 'primary', onclick: fn, type: 'button' }, 'Run', child...)
 * Attributes starting with "on" become listeners; `false`, `null` and `undefined` are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name === 'value' && 'value' in el) el.value = value;
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A labelled form control: <label for=id>text</label> control. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

export function select(options, value, attrs = {}) {
  const el = h('select', attrs);
  for (const o of options) {
    if (o.group) el.append(h('optgroup', { label: o.group }, o.options.map((x) => h('option', { value: x.value }, x.label))));
    else el.append(h('option', { value: o.value }, o.label));
  }
  if (value !== undefined) el.value = value;
  return el;
}

/** A table from column definitions: { label, value(row) -> node|text, class? }. */
export function table(columns, rows, { caption, empty = 'Nothing to show.', rowAttrs } = {}) {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', rowAttrs ? rowAttrs(r) : {}, columns.map((c) => h('td', { class: c.class }, c.value(r)))))),
    ),
  );
}

/** A row of filter fields with a submit button; submitting calls `onSubmit` (no page load). */
export function filters(onSubmit, button, ...fields) {
  const submit = (event) => {
    event.preventDefault();
    onSubmit();
  };
  return h('form', { class: 'filters', onsubmit: submit }, fields, h('button', { type: 'submit', class: 'primary' }, button));
}

/** Shows `waiting` in `el` while `work` runs, then what it returns, or its error as a notice. */
export async function loadInto(el, work, waiting = 'Loading…') {
  replace(el, h('p', { class: 'muted' }, waiting));
  try {
    replace(el, await work());
  } catch (error) {
    replace(el, notice('error', error.message));
  }
}

export const badge = (text, kind = text) => h('span', { class: `badge badge-${kind}` }, text);

export function notice(kind, ...children) {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, children);
}

const PERIOD_WORDS = { h: 'hour', d: 'day' };
/** Options for a period select: '7d' reads "last 7 days", '1d' "last day". */
export const periodOptions = (periods) =>
  periods.map((p) => {
    const [, n, unit] = /^(\d+)([a-z]+)$/.exec(p);
    const word = PERIOD_WORDS[unit] ?? unit;
    return { value: p, label: n === '1' ? `last ${word}` : `last ${n} ${word}s` };
  });

export const fmt = {
  num: (n, digits = 0) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en', { maximumFractionDigits: digits })),
  pct: (r) => (r === null || r === undefined ? '–' : `${(r * 100).toFixed(0)}%`),
  ms: (n) => (n === null || n === undefined ? '–' : `${Number(n).toFixed(n < 10 ? 2 : 0)} ms`),
  /** Date and time on one line, without the year when it is this year. */
  when: (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '–'),
  time: (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' }) : '–'),
  short: (text, n = 12) => (text && text.length > n ? `${text.slice(0, n)}…` : (text ?? '–')),
};
