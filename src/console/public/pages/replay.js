// Replay: recorded calls of a period run again against proposed content (the content in force,
// the content folder as it is now, or a folder an author uploads), and per rule the cards added,
// removed and changed, each with its diff. Needs payload storage (the recorded prefetch).
import { get, post } from '../api.js';
import { append, badge, field, filters, fmt, h, loadInto, notice, periodOptions, select, table } from '../dom.js';
import { currentSession } from '../state.js';

const PERIODS = ['1d', '7d', '30d', '90d'];

export async function render(main) {
  const catalog = await get('/admin/catalog');
  const serviceSelect = select([{ value: '', label: 'all services' }, ...catalog.services.map((s) => ({ value: s.id, label: s.title }))], '', { name: 'service' });
  const sinceSelect = select(periodOptions(PERIODS), '7d', { name: 'since' });
  const contentSelect = select(
    [
      { value: 'working', label: 'the content folder as it is now (working files)' },
      { value: 'upload', label: 'a folder I upload (rules/ and cards/)' },
      { value: 'in-force', label: 'the content in force' },
    ],
    'working',
    { name: 'content' },
  );
  const folder = h('input', { type: 'file', name: 'folder', webkitdirectory: true, multiple: true });
  const folderField = field('Folder', folder, 'Choose the folder that holds rules/ and cards/. Only .yaml, .yml, .json and .md files are read, in this browser; they are sent once to replay and not stored.');
  const showUpload = () => (folderField.hidden = contentSelect.value !== 'upload');
  contentSelect.addEventListener('change', showUpload);
  showUpload();
  const output = h('div', { 'aria-live': 'polite' });

  const run = () =>
    loadInto(
      output,
      async () => {
        const content = contentSelect.value === 'upload' ? { files: await readFolder(folder.files) } : contentSelect.value;
        return reportView(await post('/admin/replay', { since: sinceSelect.value, service: serviceSelect.value || undefined, content }));
      },
      'Replaying…',
    );

  append(main,
    h('h1', {}, 'Replay'),
    h('p', { class: 'summary' }, 'Runs the recorded calls of a period again, each with its recorded time and prefetch, against proposed content, and shows what would change for clinicians.'),
    currentSession()?.storePayloads ? null : notice('info', 'Payload storage is off (CDS_STORE_PAYLOADS), so no recorded call can be replayed.'),
    filters(run, 'Replay', field('Period', sinceSelect), field('Service', serviceSelect), field('Proposed content', contentSelect), folderField),
    output,
  );
}

async function readFolder(files) {
  const out = [];
  for (const file of files ?? []) {
    const path = (file.webkitRelativePath || file.name).split('/');
    // The chosen folder's own name comes first; content paths start at rules/ or cards/.
    const start = path.findIndex((p) => p === 'rules' || p === 'cards');
    if (start < 0 || !/\.(ya?ml|json|md)$/.test(file.name)) continue;
    out.push({ path: path.slice(start).join('/'), text: await file.text() });
  }
  if (out.length === 0) throw new Error('The folder has no rules/ or cards/ files.');
  return out;
}

function reportView(report) {
  const changed = report.rules.filter((r) => r.added + r.removed + r.changed > 0);
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'summary' },
      `${fmt.num(report.calls)} calls replayed from ${fmt.time(report.since)}. `,
      report.withoutPayload ? `${fmt.num(report.withoutPayload)} calls had no stored payload. ` : '',
      report.serviceGone ? `${fmt.num(report.serviceGone)} calls are of services the content no longer has. ` : '',
      Object.keys(report.refused).length ? `Refused by the new content: ${Object.entries(report.refused).map(([s, n]) => `${n} with ${s}`).join(', ')}. ` : '',
    ),
    changed.length ? notice('info', `${changed.length} ${changed.length === 1 ? 'rule' : 'rules'} would change what clinicians see.`) : notice('ok', 'No card would change.'),
    table(
      [
        { label: 'Rule', value: (r) => h('div', {}, h('code', {}, r.ruleId), h('div', { class: 'muted small' }, r.serviceId)) },
        { label: 'Calls', class: 'num', value: (r) => fmt.num(r.calls) },
        { label: 'Fired before', class: 'num', value: (r) => fmt.num(r.firedBefore) },
        { label: 'Fired after', class: 'num', value: (r) => fmt.num(r.firedAfter) },
        { label: 'Added', class: 'num', value: (r) => fmt.num(r.added) },
        { label: 'Removed', class: 'num', value: (r) => fmt.num(r.removed) },
        { label: 'Changed', class: 'num', value: (r) => fmt.num(r.changed) },
      ],
      report.rules,
      { empty: 'No rule was replayed.', rowAttrs: (r) => ({ class: r.added + r.removed + r.changed > 0 ? 'changed-row' : null }) },
    ),
    changed.map((r) =>
      h(
        'section',
        { class: 'replay-rule' },
        h('h2', {}, h('code', {}, r.ruleId), ` ${r.added} added, ${r.removed} removed, ${r.changed} changed`),
        r.changes.slice(0, 50).map((c) =>
          h(
            'details',
            { class: 'change', open: r.changes.indexOf(c) < 3 },
            h('summary', {}, badge(c.kind), ` call of ${fmt.time(c.receivedAt)}`, h('span', { class: 'muted mono small' }, ` hookInstance ${c.hookInstance ?? '–'}`)),
            diffView(c.diff),
          ),
        ),
        r.changes.length > 50 ? h('p', { class: 'muted' }, `and ${r.changes.length - 50} more`) : null,
      ),
    ),
  );
}

function diffView(diff) {
  return h(
    'pre',
    { class: 'diff' },
    diff.split('\n').map((line) => h('span', { class: line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : null }, `${line}\n`)),
  );
}
