// Quality: per rule (each rule has one card) over a period: how often it fired, how often it
// would have fired while silent, how clinicians answered (accepted, overridden, with which
// reasons), and the firing-rate alarms. Charts by Chart.js (loaded by the page as a classic
// script from /console/vendor/), tables for the exact figures.
import { get, query } from '../api.js';
import { setParams } from '../state.js';
import { append, badge, field, filters, fmt, h, loadInto, notice, periodOptions, replace, select, table } from '../dom.js';

const PERIODS = ['1d', '7d', '30d', '90d', '365d'];
const charts = [];

export async function render(main, params) {
  const catalog = await get('/admin/catalog');
  const since = PERIODS.includes(params.get('since')) ? params.get('since') : '30d';
  const service = catalog.services.some((s) => s.id === params.get('service')) ? params.get('service') : '';
  const sinceSelect = select(periodOptions(PERIODS), since, { name: 'since' });
  const serviceSelect = select([{ value: '', label: 'all services' }, ...catalog.services.map((s) => ({ value: s.id, label: s.title }))], service, { name: 'service' });
  const body = h('div', { 'aria-live': 'polite' });

  const load = () => {
    setParams({ since: sinceSelect.value, service: serviceSelect.value });
    return loadInto(body, async () => {
      const stats = await get(`/admin/stats${query({ since: sinceSelect.value, service: serviceSelect.value })}`);
      const view = h('div');
      show(view, stats);
      return view;
    });
  };
  append(main, h('h1', {}, 'Quality'), filters(load, 'Show', field('Period', sinceSelect), field('Service', serviceSelect)), body);
  await load();
}

function show(body, stats) {
  for (const chart of charts.splice(0)) chart.destroy();
  const rules = stats.rules;
  const active = rules.filter((r) => r.fired + r.silentWouldFire + r.accepted + r.overridden > 0);
  const firingCanvas = h('canvas', { role: 'img', 'aria-label': 'Bar chart: calls in which each rule fired, and would have fired while silent' });
  const answersCanvas = h('canvas', { role: 'img', 'aria-label': 'Bar chart: accepted and overridden cards per rule' });
  replace(
    body,
    h('p', { class: 'summary' }, `From ${fmt.time(stats.since)} to ${fmt.time(stats.until)}. ${rules.length} rules evaluated, ${active.length} with firings or feedback.`),
    alarmsView(stats),
    active.length
      ? h(
          'div',
          { class: 'charts' },
          h('figure', { class: 'chart' }, h('figcaption', {}, 'Firings per rule (number of calls)'), h('div', { class: 'chart-box' }, firingCanvas)),
          h('figure', { class: 'chart' }, h('figcaption', {}, 'Clinician answers per rule (number of cards)'), h('div', { class: 'chart-box' }, answersCanvas)),
        )
      : notice('info', 'No rule fired and no card was answered in this period.'),
    h('h2', {}, 'Per rule'),
    table(
      [
        { label: 'Rule', value: (r) => h('div', {}, h('code', {}, r.ruleId), h('div', { class: 'muted small' }, r.serviceId)) },
        { label: 'Calls', class: 'num', value: (r) => fmt.num(r.calls) },
        { label: 'Fired', class: 'num', value: (r) => fmt.num(r.fired) },
        { label: 'per 1000', class: 'num', value: (r) => fmt.num(r.firedPer1000, 1) },
        { label: 'Silent would-fire', class: 'num', value: (r) => fmt.num(r.silentWouldFire) },
        { label: 'Accepted', class: 'num', value: (r) => fmt.num(r.accepted) },
        { label: 'Overridden', class: 'num', value: (r) => fmt.num(r.overridden) },
        { label: 'Accept %', class: 'num', value: (r) => fmt.pct(r.acceptanceRate) },
        { label: 'Override %', class: 'num', value: (r) => fmt.pct(r.overrideRate) },
        { label: 'Median s to answer', class: 'num', value: (r) => fmt.num(r.medianSecondsToFeedback, 1) },
        { label: 'Errors / skips', class: 'num', value: (r) => `${r.errors} / ${r.skips}` },
      ],
      rules,
      { caption: 'Calls: answered calls of the service in which the rule was evaluated. Rates are over the cards returned.', empty: 'No calls in this period.' },
    ),
    h('h2', {}, 'Override reasons'),
    table(
      [
        { label: 'Rule', value: (x) => h('code', {}, x.rule) },
        { label: 'Reason', value: (x) => x.display ?? x.code ?? h('span', { class: 'muted' }, 'no reason given') },
        { label: 'Code', value: (x) => (x.code ? h('span', { class: 'mono small' }, `${x.system ?? ''}#${x.code}`) : '–') },
        { label: 'Times', class: 'num', value: (x) => fmt.num(x.count) },
      ],
      rules.flatMap((r) => r.overrideReasons.map((o) => ({ ...o, rule: r.ruleId }))),
      { empty: 'No card was overridden in this period.' },
    ),
    h('h2', {}, 'Suggestions'),
    table(
      [
        { label: 'Rule', value: (x) => h('code', {}, x.rule) },
        { label: 'Suggestion', value: (x) => x.label },
        { label: 'Shown', class: 'num', value: (x) => fmt.num(x.shown) },
        { label: 'Accepted', class: 'num', value: (x) => fmt.num(x.accepted) },
        { label: 'Rate', class: 'num', value: (x) => fmt.pct(x.acceptanceRate) },
      ],
      rules.flatMap((r) => r.suggestions.map((s) => ({ ...s, rule: r.ruleId }))),
      { empty: 'No card with suggestions was shown in this period.' },
    ),
  );
  if (active.length === 0 || !globalThis.Chart) return;
  // Bars keep their thickness: the boxes grow with the number of rules.
  for (const box of body.querySelectorAll('.chart-box')) box.style.height = `${Math.max(140, 44 * active.length + 70)}px`;
  const labels = active.map((r) => r.ruleId);
  // Drawn once the view is on the page (Chart.js sizes a canvas from its box).
  requestAnimationFrame(() => {
    charts.push(bar(firingCanvas, labels, [
      { label: 'fired (shown)', data: active.map((r) => r.fired), backgroundColor: '#2563eb' },
      { label: 'silent would-fire', data: active.map((r) => r.silentWouldFire), backgroundColor: '#9ca3af' },
    ]));
    charts.push(bar(answersCanvas, labels, [
      { label: 'accepted', data: active.map((r) => r.accepted), backgroundColor: '#15803d' },
      { label: 'overridden', data: active.map((r) => r.overridden), backgroundColor: '#c2410c' },
    ]));
  });
}

function bar(canvas, labels, datasets) {
  return new globalThis.Chart(canvas, {
    type: 'bar',
    data: { labels, datasets },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { ticks: { autoSkip: false } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
}

function alarmsView(stats) {
  const words = { drop: 'fires much less than before', rise: 'fires much more than before', zero: 'stopped firing' };
  return h(
    'section',
    { 'aria-labelledby': 'alarms-h' },
    h('h2', { id: 'alarms-h' }, `Firing-rate alarms (${stats.alarms.length})`),
    h('p', { class: 'muted small' }, `Recent window from ${fmt.time(stats.alarm.recentFrom)}, baseline from ${fmt.time(stats.alarm.baselineFrom)}. Test: ${stats.alarm.test}.`),
    stats.alarms.length
      ? table(
          [
            { label: 'Rule', value: (a) => h('code', {}, a.ruleId) },
            { label: 'Alarm', value: (a) => h('span', {}, badge(a.kind, 'alarm'), ` ${words[a.kind] ?? ''}`) },
            { label: 'Baseline /1000', class: 'num', value: (a) => fmt.num(a.baselinePer1000, 1) },
            { label: 'Recent calls', class: 'num', value: (a) => fmt.num(a.recentCalls) },
            { label: 'Recent firings', class: 'num', value: (a) => fmt.num(a.recentFirings) },
            { label: 'Expected', class: 'num', value: (a) => fmt.num(a.expectedFirings, 1) },
            { label: 'z', class: 'num', value: (a) => fmt.num(a.z, 1) },
          ],
          stats.alarms,
        )
      : notice('ok', 'No rule fires out of its usual rate.'),
  );
}
