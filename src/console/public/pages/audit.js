// Audit: the recorded calls, filtered by time, service, status, client and outcome (degraded),
// one call in detail (the request and response only where payload storage is on: this page is
// admin-only), and the access audit (refused calls, admin calls and console logins).
import { get, query } from '../api.js';
import { route, setParams } from '../state.js';
import { append, badge, field, filters, fmt, h, loadInto, notice, periodOptions, replace, select, table } from '../dom.js';

const PERIODS = ['1h', '1d', '7d', '30d'];

export async function render(main, params) {
  const catalog = await get('/admin/catalog');
  const f = {
    since: select(periodOptions(PERIODS), '1d', { name: 'since' }),
    service: select([{ value: '', label: 'all services' }, ...catalog.services.map((s) => ({ value: s.id, label: s.id }))], '', { name: 'service' }),
    status: h('input', { name: 'status', inputmode: 'numeric', pattern: '[1-5][0-9][0-9]', size: '4', placeholder: 'any' }),
    outcome: select([{ value: '', label: 'any' }, { value: 'ok', label: 'ok' }, { value: 'degraded', label: 'degraded' }, { value: 'rejected', label: 'rejected' }], '', { name: 'outcome' }),
    client: h('input', { name: 'client', size: '24', placeholder: 'any (issuer URL)' }),
  };
  const list = h('div', { 'aria-live': 'polite' });
  const detail = h('div', { id: 'detail', tabindex: '-1' });
  const accessList = h('div');

  const open = async (id) => {
    setParams({ id });
    for (const tr of list.querySelectorAll('tr[data-id]')) tr.classList.toggle('selected', tr.dataset.id === id);
    await loadInto(detail, async () => detailView(await get(`/admin/invocations/${encodeURIComponent(id)}`)), 'Loading the call…');
    detail.focus({ preventScroll: true });
  };
  const load = async () => {
    await loadInto(list, async () => {
      const { invocations } = await get(`/admin/invocations${query({ since: f.since.value, service: f.service.value, status: f.status.value, outcome: f.outcome.value, client: f.client.value })}`);
      return invocationTable(invocations, open, route().params.get('id'));
    });
    await loadInto(accessList, async () => accessTable((await get(`/admin/audit${query({ since: f.since.value })}`)).audit));
  };

  append(main,
    h('h1', {}, 'Audit'),
    filters(load, 'Filter', field('Period', f.since), field('Service', f.service), field('Status', f.status), field('Outcome', f.outcome), field('Client', f.client)),
    h('div', { class: 'audit' }, h('section', { 'aria-label': 'Calls' }, list), h('section', { class: 'panel detail-panel', 'aria-label': 'The chosen call' }, detail)),
    h('h2', {}, 'Access audit'),
    accessList,
  );
  replace(detail, h('p', { class: 'muted' }, 'Open a call to see it in detail.'));
  await load();
  if (params.get('id')) await open(params.get('id'));
}

function invocationTable(rows, open, selected) {
  return table(
    [
      { label: 'Received', class: 'nowrap', value: (r) => h('time', { datetime: r.receivedAt, title: fmt.time(r.receivedAt) }, fmt.when(r.receivedAt)) },
      { label: 'Service', class: 'nowrap', value: (r) => h('code', {}, r.serviceId) },
      { label: 'Status', class: 'num', value: (r) => String(r.status) },
      { label: 'Outcome', value: (r) => badge(r.outcome) },
      { label: 'Client', value: (r) => h('span', { class: 'small' }, r.client ?? 'open mode') },
      { label: 'Fired', class: 'num', value: (r) => h('span', { title: r.rulesFired.join('\n') || 'none' }, String(r.rulesFired.length)) },
      { label: 'Silent', class: 'num', value: (r) => String(r.rulesSilent.length) },
      { label: 'ms', class: 'num', value: (r) => fmt.num(r.totalMs, 1) },
      { label: '', value: (r) => h('button', { type: 'button', onclick: () => open(r.id), 'aria-label': `Open the call of ${fmt.time(r.receivedAt)} to ${r.serviceId}` }, 'Open') },
    ],
    rows,
    { empty: 'No call matches.', caption: rows.length >= 1000 ? 'The latest 1,000 calls.' : null, rowAttrs: (r) => ({ dataset: { id: r.id }, class: r.id === selected ? 'selected' : null }) },
  );
}

function detailView(inv) {
  const reasons = inv.degradedReasons;
  return h(
    'div',
    {},
    h('h2', {}, 'Call ', h('code', {}, fmt.short(inv.id, 8))),
    h(
      'dl',
      { class: 'facts' },
      [
        ['Received', fmt.time(inv.receivedAt)],
        ['Service', `${inv.serviceId} (${inv.hook})`],
        ['Service version', inv.serviceVersion ?? '–'],
        ['hookInstance', inv.hookInstance ?? '–'],
        ['Client', inv.client ?? 'open mode'],
        ['Patient', inv.patientId ?? '–'],
        ['User', inv.userId ?? '–'],
        ['Status', `${inv.status} ${inv.outcome}`],
        ['Error', inv.error ?? '–'],
        ['Rules evaluated', inv.rulesEvaluated.join(', ') || 'none'],
        ['Rules fired', inv.rulesFired.join(', ') || 'none'],
        ['Rules silent', inv.rulesSilent.join(', ') || 'none'],
        ['Rules skipped', inv.rulesSkipped.join(', ') || 'none'],
        ['Rule errors', inv.ruleErrors.map((e) => `${e.rule}: ${e.class} ${e.location ?? ''}`).join('; ') || 'none'],
        ['Prefetch fetched', inv.prefetchFetched.join(', ') || 'none'],
        ['Prefetch unavailable', inv.prefetchUnavailable.join(', ') || 'none'],
        ['Time', `${fmt.num(inv.totalMs, 1)} ms (prefetch ${fmt.num(inv.prefetchMs, 1)}, rules ${fmt.num(inv.evaluateMs, 1)})`],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
    reasons ? h('p', {}, badge('degraded'), ` skipped: ${reasons.skipped.map((s) => `${s.rule} (${s.reason})`).join(', ') || 'none'}; failed: ${reasons.failed.map((x) => x.rule).join(', ') || 'none'}`) : null,
    h('h3', {}, `Cards (${inv.cards.length})`),
    table(
      [
        { label: 'Rule', value: (c) => h('code', {}, c.ruleId) },
        { label: 'Indicator', value: (c) => badge(c.indicator) },
        { label: 'Shown', value: (c) => (c.silent ? 'silent' : 'returned') },
        { label: 'Summary', value: (c) => c.card?.summary ?? h('span', { class: 'muted' }, 'not stored') },
      ],
      inv.cards,
      { empty: 'No card.' },
    ),
    inv.payloadsStored
      ? h('div', {}, json('Request', inv.request), json('Response', inv.response), json('Prefetch the rules saw', inv.prefetch))
      : notice('info', 'The request and response are not stored (payload storage is off: CDS_STORE_PAYLOADS).'),
  );
}

const json = (title, value) => h('details', { class: 'json' }, h('summary', {}, title), h('pre', {}, JSON.stringify(value, null, 2)));

function accessTable(rows) {
  return table(
    [
      { label: 'Time', value: (r) => fmt.time(r.receivedAt) },
      { label: 'Kind', value: (r) => r.kind },
      { label: 'Request', value: (r) => h('code', {}, `${r.method} ${r.path}`) },
      { label: 'Status', class: 'num', value: (r) => String(r.status) },
      { label: 'Who', value: (r) => (r.principal ? `${r.principal} (${r.role})` : h('span', { class: 'muted' }, 'unknown')) },
    ],
    rows.slice(0, 200),
    { empty: 'No refused or admin call in this period.' },
  );
}
