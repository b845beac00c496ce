// Catalog: the content in force. Services with their hook and version, each rule's lifecycle
// (active, silent, retired; rollout; approval), version, source files and citations, the value
// sets with their origin and size, and the problems of the last load.
import { append, badge, fmt, h, notice, table } from '../dom.js';
import { get } from '../api.js';

export async function render(main) {
  const catalog = await get('/admin/catalog');
  const { counts, problems } = catalog;
  append(main,
    h('h1', {}, 'Catalog'),
    h(
      'p',
      { class: 'summary' },
      `${counts.services} services, ${counts.rules} rules, ${counts.cards} card templates, ${counts.valueSets} value sets, ${counts.libraries} libraries, ${counts.dataTables} data tables. `,
      catalog.storePayloads ? 'Payload storage is on (replay and audit detail have request data).' : 'Payload storage is off.',
    ),
    problemsSection(problems),
    h('nav', { class: 'toc', 'aria-label': 'Services' }, h('span', { class: 'muted' }, 'Jump to: '), catalog.services.map((s) => h('a', { href: `#/catalog`, 'data-target': `svc-${s.id}`, onclick: jump }, s.id))),
    catalog.services.map(serviceSection),
    valueSetSection(catalog.valueSets),
  );
}

function jump(event) {
  event.preventDefault();
  const target = document.getElementById(event.currentTarget.dataset.target);
  target?.scrollIntoView({ block: 'start' });
  target?.querySelector('h2')?.focus();
}

function problemsSection({ errors, warnings }) {
  if (errors.length === 0 && warnings.length === 0) return notice('ok', 'The content loaded without errors or warnings.');
  return h(
    'section',
    { 'aria-labelledby': 'problems-h' },
    h('h2', { id: 'problems-h' }, `Load problems: ${errors.length} error(s), ${warnings.length} warning(s)`),
    errors.length ? notice('error', h('p', {}, 'The last reload was rejected; the content below is the last good one.'), h('ul', { class: 'mono' }, errors.map((e) => h('li', {}, e)))) : null,
    warnings.length ? h('details', { class: 'warnings' }, h('summary', {}, `${warnings.length} warning(s)`), h('ul', { class: 'mono' }, warnings.map((w) => h('li', {}, w)))) : null,
  );
}

function serviceSection(service) {
  return h(
    'section',
    { class: 'service', id: `svc-${service.id}`, 'aria-labelledby': `svc-${service.id}-h` },
    h('h2', { id: `svc-${service.id}-h`, tabindex: '-1' }, service.title, ' ', h('code', {}, service.id)),
    h(
      'p',
      { class: 'meta' },
      h('span', {}, 'hook ', h('code', {}, service.hook)),
      h('span', {}, 'version ', h('code', { title: service.version }, fmt.short(service.version, 16))),
      h('span', {}, 'file ', h('code', {}, service.path)),
      service.includes.length ? h('span', {}, 'includes ', service.includes.map((i) => h('code', {}, i))) : null,
      h('span', {}, 'prefetch ', service.prefetch.map((k) => h('code', {}, k))),
    ),
    service.description ? h('p', { class: 'description' }, service.description) : null,
    table(
      [
        { label: 'Rule', value: (r) => h('div', {}, h('strong', {}, r.title), h('div', { class: 'muted mono' }, r.id)) },
        { label: 'Status', value: (r) => h('div', {}, badge(r.status), r.rollout ? h('div', { class: 'muted' }, `rollout ${r.rollout.percent}% by ${r.rollout.by}`) : null) },
        { label: 'Approved', value: (r) => (r.approval ? h('div', {}, r.approval.by, h('div', { class: 'muted' }, r.approval.on)) : h('span', { class: 'muted' }, 'not recorded')) },
        { label: 'Version', value: (r) => h('code', { title: r.version }, r.version) },
        { label: 'Card', value: (r) => (r.card ? h('code', {}, r.card) : h('span', { class: 'muted' }, 'actions only')) },
        {
          label: 'Sources',
          value: (r) =>
            h(
              'details',
              {},
              h('summary', {}, `${r.references.length} citation(s), ${r.sources.length} file(s)`),
              h('ul', { class: 'refs' }, r.references.map(reference)),
              h('ul', { class: 'mono files' }, r.sources.map((f) => h('li', { title: `sha256 ${f.sha256}` }, f.path))),
            ),
        },
      ],
      service.rules,
    ),
  );
}

function reference(ref) {
  if (typeof ref === 'string') return h('li', {}, ref);
  const text = ref.title ?? ref.citation ?? ref.label ?? ref.url ?? JSON.stringify(ref);
  return h('li', {}, ref.url ? h('a', { href: ref.url, target: '_blank', rel: 'noopener noreferrer' }, text) : text);
}

function valueSetSection(valueSets) {
  return h(
    'section',
    { class: 'valuesets', 'aria-labelledby': 'vs-h' },
    h('h2', { id: 'vs-h' }, `Value sets (${valueSets.length})`),
    table(
      [
        { label: 'Value set', value: (v) => h('div', {}, h('strong', {}, v.title ?? v.id), h('div', { class: 'muted mono' }, v.id)) },
        { label: 'Codes', class: 'num', value: (v) => fmt.num(v.size) },
        { label: 'Canonical URL and version', value: (v) => h('div', { class: 'mono small' }, v.url ?? '–', v.version ? h('div', { class: 'muted' }, `version ${v.version}`) : null) },
        { label: 'Origin', value: (v) => origin(v.origin) },
      ],
      valueSets,
    ),
  );
}

/** The origin's first clause on the row; the whole text (often a paragraph) on demand. */
function origin(text) {
  if (!text) return h('span', { class: 'muted' }, 'not stated');
  const first = /^(.{20,160}?)(?:\.\s|;\s|\s\(|$)/s.exec(text)?.[1] ?? text.slice(0, 160);
  if (first.length >= text.trim().length - 1) return h('div', { class: 'origin small' }, text);
  return h('details', { class: 'origin small' }, h('summary', {}, `${first.trim()} …`), h('p', {}, text));
}
