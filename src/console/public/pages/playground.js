// Playground: run a shipped example patient (or a pasted hook request) through the service's
// pipeline without recording anything, and see what the EHR would show and why each rule fired
// or stayed quiet. Sharing: the link names the service, the rule and the example number only;
// a pasted request is never put in the URL.
import { setParams } from '../state.js';
import { get, post } from '../api.js';
import { cardView } from '../cards.js';
import { append, badge, field, fmt, h, loadInto, replace, select, table } from '../dom.js';

export async function render(main, params) {
  const [{ examples }, catalog] = await Promise.all([get('/admin/examples'), get('/admin/catalog')]);
  const services = catalog.services;
  const state = {
    mode: params.get('mode') === 'paste' ? 'paste' : 'example',
    service: services.some((s) => s.id === params.get('service')) ? params.get('service') : (services[0]?.id ?? ''),
  };

  const output = h('div', { class: 'output', 'aria-live': 'polite' });
  const serviceSelect = select(services.map((s) => ({ value: s.id, label: `${s.title} (${s.hook})` })), state.service, { name: 'service' });
  const exampleSelect = h('select', { name: 'example' });
  const pasted = h('textarea', { name: 'request', rows: '14', spellcheck: 'false', placeholder: '{ "hook": "patient-view", "hookInstance": "…", "context": { … }, "prefetch": { … } }' });
  const shareStatus = h('span', { class: 'muted', 'aria-live': 'polite' });

  const fillExamples = () => {
    const mine = examples.filter((e) => e.service === serviceSelect.value);
    const byRule = new Map();
    for (const e of mine) byRule.set(e.rule, [...(byRule.get(e.rule) ?? []), e]);
    replace(
      exampleSelect,
      [...byRule].map(([rule, cases]) => h('optgroup', { label: rule }, cases.map((e) => h('option', { value: `${e.rule}#${e.index}` }, `${e.name} · ${e.expectsCards ? `${e.expectsCards} card${e.expectsCards > 1 ? 's' : ''}` : 'no card'}`)))),
    );
    if (mine.length === 0) exampleSelect.append(h('option', { value: '' }, 'no example patients for this service'));
  };
  fillExamples();
  const wanted = `${params.get('rule')}#${params.get('case')}`;
  if ([...exampleSelect.options].some((o) => o.value === wanted)) exampleSelect.value = wanted;

  const modeRadios = h(
    'fieldset',
    { class: 'modes' },
    h('legend', {}, 'What to run'),
    ['example', 'paste'].map((mode) =>
      h(
        'label',
        { class: 'radio' },
        h('input', { type: 'radio', name: 'mode', value: mode, checked: state.mode === mode, onchange: () => ((state.mode = mode), showMode()) }),
        mode === 'example' ? 'A shipped example patient' : 'A hook request I paste',
      ),
    ),
  );
  const exampleField = field('Example patient', exampleSelect, 'The cases in rules/<service>/<rule>.test.yaml, grouped by rule.');
  const pasteField = field('Hook request (JSON)', pasted, 'Put what the rules read in prefetch: a preview calls no FHIR server. The request is not recorded and never goes in the link.');
  const showMode = () => {
    exampleField.hidden = state.mode !== 'example';
    pasteField.hidden = state.mode !== 'paste';
  };
  showMode();
  serviceSelect.addEventListener('change', fillExamples);

  const run = () =>
    loadInto(
      output,
      async () => {
      let result;
      if (state.mode === 'example') {
        const [rule, index] = exampleSelect.value.split('#');
        if (!rule) throw new Error('Pick an example patient first.');
        setParams({ service: serviceSelect.value, rule, case: index });
        result = await post('/admin/examples/run', { service: serviceSelect.value, rule, index: Number(index) });
      } else {
        let body;
        try {
          body = JSON.parse(pasted.value);
        } catch (error) {
          throw new Error(`The request is not valid JSON: ${error.message}`);
        }
        setParams({ service: serviceSelect.value, mode: 'paste' });
        result = await post(`/admin/preview/${encodeURIComponent(serviceSelect.value)}`, body);
      }
      return resultView(result);
      },
      'Running…',
    );

  const share = async () => {
    const link = location.href;
    try {
      await navigator.clipboard.writeText(link);
      replace(shareStatus, 'Link copied.');
    } catch {
      replace(shareStatus, `Link: ${link}`);
    }
  };

  append(main,
    h('h1', {}, 'Playground'),
    h('p', { class: 'summary' }, 'Runs a call through the rules in force with every rule explained. Nothing is recorded and no clinician sees it.'),
    h(
      'div',
      { class: 'playground' },
      h(
        'form',
        {
          class: 'panel controls',
          onsubmit: (e) => {
            e.preventDefault();
            run();
          },
        },
        field('Service', serviceSelect),
        modeRadios,
        exampleField,
        pasteField,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Run'), h('button', { type: 'button', onclick: share }, 'Copy link'), shareStatus),
      ),
      output,
    ),
  );
  if (params.get('rule') && state.mode === 'example') await run();
}

function resultView(result) {
  const explanations = new Map((result.explanation ?? []).map((e) => [e.rule, e]));
  const shown = result.cards.filter((c) => !c.silent);
  const silent = result.cards.filter((c) => c.silent);
  return h(
    'div',
    {},
    h(
      'section',
      { 'aria-labelledby': 'cards-h' },
      h('h2', { id: 'cards-h' }, `Cards the EHR shows (${shown.length})`),
      shown.length ? h('div', { class: 'cards' }, shown.map((c) => cardView(c.card, { rule: c.rule }))) : h('p', { class: 'muted' }, 'No card: the EHR shows nothing.'),
      silent.length ? h('details', {}, h('summary', {}, `${silent.length} card(s) held back (silent or outside the rollout)`), h('div', { class: 'cards' }, silent.map((c) => cardView(c.card, { rule: c.rule, silent: true })))) : null,
      result.response?.systemActions?.length ? h('p', {}, `System actions: ${result.response.systemActions.map((a) => `${a.type} ${a.description ?? ''}`).join('; ')}`) : null,
    ),
    result.skipped.length
      ? h('section', {}, h('h2', {}, 'Skipped rules'), table([{ label: 'Rule', value: (s) => h('code', {}, s.rule) }, { label: 'Why', value: (s) => skipReason(s) }], result.skipped))
      : null,
    result.failed.length
      ? h('section', {}, h('h2', {}, 'Failed rules'), table([{ label: 'Rule', value: (f) => h('code', {}, f.rule) }, { label: 'Error', value: (f) => h('span', { class: 'mono' }, `${f.error ?? ''} ${f.location ?? ''}: ${f.message ?? ''}`) }], result.failed))
      : null,
    h(
      'section',
      { 'aria-labelledby': 'rules-h' },
      h('h2', { id: 'rules-h' }, 'Each rule: fired or not, and why'),
      h('p', { class: 'muted' }, `Service version ${fmt.short(result.version, 16)}. Open a rule to see its conditions with their values and each define it read.`),
      h('div', { class: 'rules' }, result.rules.map((r) => ruleView(r, explanations.get(r.ruleId)))),
    ),
  );
}

function skipReason(s) {
  if (s.reason === 'budget') return 'the evaluation budget was spent before it ran';
  if (s.reason === 'prefetch-unavailable') return `prefetch not available: ${(s.prefetch ?? []).join(', ')}`;
  return s.reason;
}

function ruleView(report, explanation) {
  return h(
    'details',
    { class: `rule rule-${report.result}`, dataset: { rule: report.ruleId } },
    h('summary', {}, badge(report.result), h('code', {}, report.ruleId), h('span', { class: 'muted' }, ` ${fmt.ms(report.ms)}`)),
    explanation
      ? h(
          'div',
          { class: 'why' },
          h('h4', {}, 'Conditions'),
          h('ul', { class: 'tree' }, condition(explanation.conditions)),
          h('h4', {}, 'Defines read'),
          explanation.defines.length
            ? h('dl', { class: 'defines' }, explanation.defines.flatMap((d) => [h('dt', {}, `%${d.name}`), h('dd', { class: d.error ? 'error' : null }, d.error !== undefined ? `error: ${d.error}` : brief(d.value))]))
            : h('p', { class: 'muted' }, 'none'),
        )
      : h('p', { class: 'muted' }, 'No explanation (the rule did not run).'),
  );
}

const MARKS = { true: '✓ true', false: '✗ false', 'not-evaluated': '· not evaluated', error: '! error' };

function condition(trace) {
  const mark = h('span', { class: `mark mark-${trace.state}` }, MARKS[trace.state] ?? trace.state);
  if (trace.kind === 'expr') {
    const showResult = trace.state === 'error' ? h('span', { class: 'error' }, ` ${trace.error}`) : trace.result !== undefined && !(trace.result.length === 1 && typeof trace.result[0] === 'boolean') ? h('span', { class: 'muted' }, ` = ${brief(trace.result)}`) : null;
    return h('li', {}, mark, ' ', h('code', {}, trace.expression), showResult);
  }
  const items = trace.kind === 'not' ? [trace.item] : trace.items;
  return h('li', {}, mark, ' ', h('strong', {}, trace.kind), h('ul', {}, items.map(condition)));
}

/** A value in one line: short collections as JSON, long ones counted. */
function brief(value, max = 160) {
  if (value === undefined) return '(not computed)';
  const text = JSON.stringify(value.length === 1 ? value[0] : value);
  if (value.length > 3 && text.length > max) return `${value.length} items: ${text.slice(0, max)}…`;
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
