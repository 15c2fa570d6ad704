// Audit log (administrators): every staff change, newest first, 50 per page, with "older".
//
// Endpoint: GET /api/staff/audit[?before=<seq>] → {"entries":[{seq,at,actor:{id,name},method,
// path,status,client?}],"next_before": seq|null}; `client` (the address) on failed sign-ins.

import { api, qs } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, clear, pageHeader, busy, announce, empty } from '../ui.js';

export async function render(main) {
  const body = h('tbody');
  const more = h('div', { class: 'actions' });
  const table = h('table', { 'data-testid': 'audit-table' },
    h('caption', { class: 'visually-hidden' }, t('Journal des modifications', 'Change log')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', class: 'num' }, '#'),
      h('th', { scope: 'col' }, t('Date', 'Date')),
      h('th', { scope: 'col' }, t('Qui', 'Who')),
      h('th', { scope: 'col' }, t('Action', 'Action')),
      h('th', { scope: 'col', class: 'num' }, t('Résultat', 'Result')))),
    body);

  function addPage(data) {
    const entries = data.entries || [];
    let firstNew = null;
    for (const e of entries) {
      const tr = h('tr', { 'data-testid': 'audit-entry', 'data-seq': e.seq },
        h('td', { class: 'num' }, String(e.seq)),
        h('td', null, formatDateTime(e.at, { dateStyle: 'medium', timeStyle: 'medium' })),
        h('td', null, (e.actor && e.actor.name) || '—'),
        h('td', null, h('code', null, `${e.method} ${e.path}`),
          e.client ? h('span', { class: 'muted' }, t(` depuis ${e.client}`, ` from ${e.client}`)) : null),
        h('td', { class: 'num' }, h('span', { class: ['badge', e.status >= 400 ? 'badge-failed' : 'badge-ok'] }, String(e.status))));
      firstNew = firstNew || tr;
      body.append(tr);
    }
    clear(more);
    if (data.next_before !== null && data.next_before !== undefined) {
      const b = h('button', { type: 'button', class: 'secondary', 'data-testid': 'audit-older' }, t('Plus anciens', 'Older'));
      b.addEventListener('click', () => busy(b, async () => {
        const next = await api('GET', `/api/staff/audit${qs({ before: data.next_before })}`);
        const added = addPage(next);
        announce(t(`${(next.entries || []).length} entrées de plus.`, `${(next.entries || []).length} more entries.`));
        // Keep the keyboard where the new rows start, not on a button that may vanish.
        if (added) {
          added.setAttribute('tabindex', '-1');
          added.focus();
        }
      }));
      more.append(b);
    } else if (body.children.length) {
      more.append(h('p', { class: 'hint' }, t('Début du journal.', 'Start of the log.')));
    }
    return firstNew;
  }

  const first = await api('GET', '/api/staff/audit');
  clear(main);
  main.append(pageHeader(t('Journal des modifications', 'Audit log')),
    (first.entries || []).length ? h('div', { class: 'table-scroll' }, table) : empty(t('Le journal est vide.', 'The log is empty.')),
    more);
  addPage(first);
}
