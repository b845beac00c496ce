// Cards as an EHR shows them (CDS Hooks card display): a coloured bar for the indicator
// (info, warning, critical), the summary, the source, the detail, suggestions as buttons, links,
// and the override reasons a clinician may pick from when dismissing the card.
import { badge, h } from './dom.js';

export function cardView(card, { rule, silent } = {}) {
  const indicator = card.indicator ?? 'info';
  return h(
    'article',
    { class: `card card-${indicator}`, 'aria-label': `${indicator} card: ${card.summary}` },
    h(
      'header',
      {},
      h('span', { class: `indicator indicator-${indicator}` }, indicator),
      h('h3', {}, card.summary),
      silent ? badge('silent: not shown to the clinician', 'silent') : null,
    ),
    card.detail ? detail(card.detail) : null,
    card.source ? h('p', { class: 'source' }, 'Source: ', card.source.url ? h('a', { href: card.source.url, target: '_blank', rel: 'noopener noreferrer' }, card.source.label) : card.source.label, card.source.topic?.display ? h('span', { class: 'muted' }, ` · ${card.source.topic.display}`) : null) : null,
    card.suggestions?.length
      ? h(
          'div',
          { class: 'suggestions', role: 'group', 'aria-label': 'Suggestions' },
          card.suggestions.map((s) => h('button', { type: 'button', class: s.isRecommended ? 'suggestion recommended' : 'suggestion', title: (s.actions ?? []).map((a) => `${a.type}: ${a.description ?? ''}`).join('\n') }, s.label, s.isRecommended ? ' (recommended)' : '')),
          card.selectionBehavior ? h('small', { class: 'muted' }, `selection: ${card.selectionBehavior}`) : null,
        )
      : null,
    card.links?.length ? h('ul', { class: 'links' }, card.links.map((l) => h('li', {}, h('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer' }, l.label), l.type === 'smart' ? h('span', { class: 'muted' }, ' (SMART app)') : null))) : null,
    card.overrideReasons?.length
      ? h('details', { class: 'overrides' }, h('summary', {}, `Dismiss with a reason (${card.overrideReasons.length})`), h('ul', {}, card.overrideReasons.map((r) => h('li', {}, r.display ?? r.code, r.code ? h('span', { class: 'muted mono' }, ` ${r.system ? `${r.system.split('/').pop()}#` : ''}${r.code}`) : null))))
      : null,
    rule ? h('footer', { class: 'muted' }, 'rule ', h('code', {}, rule)) : null,
  );
}

/** Card detail is GitHub-flavoured markdown; shown as text with its paragraphs and list lines kept. */
function detail(text) {
  return h('div', { class: 'detail' }, text.split(/\n{2,}/).map((para) => h('p', {}, para.replace(/\*\*(.+?)\*\*/g, '$1'))));
}
