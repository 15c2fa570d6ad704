// A moderation queue, shared by question answers and contest entries: the items in the order
// they came (pending ones only by default, "load the next ones" since the API reads a range of
// numbers where pending items may be sparse), approve at once, reject with an optional reason
// that only staff see. Moderators keep the pace: after a decision, focus moves to the next item.
//
// API: GET `${path}/queue?from=&limit=[&status=pending]` → { [itemsKey]: [...], submitted, next_from };
// POST `${path}/${segment}/:seq/moderation` {decision: "approve"} | {decision: "reject", reason?}.

import { api } from './api.js';
import { t, formatNumber } from './i18n.js';
import { h, field, announce, openDialog, clear, busy, errorMessage, errorBox, badge } from './ui.js';

const QUEUE_LIMIT = 50;

const STATUS = {
  pending: () => t('En attente', 'Pending'),
  approved: () => t('Approuvée', 'Approved'),
  rejected: () => t('Rejetée', 'Rejected'),
};

/** A moderation status as a badge. */
export function statusBadge(status) {
  return badge(STATUS[status] ? STATUS[status]() : status, status);
}

/**
 * Draws the queue into `area`.
 * - `kind`: what the items are called and how they are shown:
 *   `{ itemsKey, segment, testid, headingId, heading: [fr, en], filterLabel: [fr, en],
 *      none: [fr, en], noneReceived: [fr, en], received(n): [fr, en], shown(n, pending): [fr, en],
 *      named(seq): [fr, en] (e.g. "Réponse n° 3"), testids: {pending, all, list, more, summary?},
 *      intro?: Node, item(item): { title: Node[], body: Node[] }, keep?(updated, item) }`
 * - `onDecided()`: called after each decision (what patrons see may have changed).
 */
export async function drawModerationQueue(area, path, ctx, kind, onDecided = () => {}) {
  const canModerate = ctx.can('moderate');
  let pendingOnly = true;
  const heading = h('h2', { id: kind.headingId, tabindex: '-1' }, t(...kind.heading));
  const pendingButton = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'true',
    'data-testid': kind.testids.pending }, t('En attente', 'Pending'));
  const allButton = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false',
    'data-testid': kind.testids.all }, t('Toutes', 'All'));
  const summary = h('p', { class: 'muted', 'data-testid': kind.testids.summary });
  const list = h('ol', { class: 'moderation-list', 'data-testid': kind.testids.list, 'aria-labelledby': kind.headingId });
  const emptyNote = h('p', { class: 'empty', hidden: true, tabindex: '-1' });
  const more = h('div', { class: 'actions' });
  area.append(heading);
  if (kind.intro) area.append(kind.intro);
  area.append(h('div', { class: 'segmented', role: 'group', 'aria-label': t(...kind.filterLabel) }, pendingButton, allButton),
    summary, list, emptyNote, more);

  const updateEmpty = () => {
    emptyNote.hidden = list.children.length > 0;
    emptyNote.textContent = pendingOnly ? t(...kind.none) : t(...kind.noneReceived);
  };

  const load = async (from, append) => {
    const query = new URLSearchParams({ from: String(from), limit: String(QUEUE_LIMIT) });
    if (pendingOnly) query.set('status', 'pending');
    const data = await api('GET', `${path}/queue?${query}`);
    if (!append) clear(list);
    for (const item of data[kind.itemsKey]) list.append(itemElement(item));
    summary.textContent = t(...kind.received(formatNumber(data.submitted)));
    clear(more);
    if (data.next_from) {
      const next = h('button', { type: 'button', class: 'secondary', 'data-testid': kind.testids.more },
        t('Charger les suivantes', 'Load the next ones'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = list.children.length;
        await load(data.next_from, true);
        const first = list.children[before];
        (first ? first.querySelector('h3') : heading).focus();
      }));
      more.append(next);
    }
    updateEmpty();
  };

  const setFilter = async (pending) => {
    pendingOnly = pending;
    pendingButton.setAttribute('aria-pressed', String(pending));
    allButton.setAttribute('aria-pressed', String(!pending));
    try {
      await load(1, false);
      announce(t(...kind.shown(list.children.length, pending)));
    } catch (error) {
      announce(errorMessage(error));
    }
  };
  pendingButton.addEventListener('click', () => setFilter(true));
  allButton.addEventListener('click', () => setFilter(false));

  /** One item with its decision buttons. */
  const itemElement = (item) => {
    const itemAlert = h('div', { class: 'error-box', role: 'alert', hidden: true });
    const titleId = `${kind.testid}-${item.seq}-title`;
    const shown = kind.item(item);
    const li = h('li', { class: 'moderation-item', 'data-testid': `${kind.testid}-${item.seq}`, 'data-seq': String(item.seq),
      'data-status': item.status, 'aria-labelledby': titleId },
    h('h3', { id: titleId, tabindex: '-1' }, shown.title),
    shown.body,
    item.rejection_reason ? h('p', null, h('strong', null, t('Motif du rejet : ', 'Reason for rejection: ')),
      h('span', { dir: 'auto' }, item.rejection_reason)) : null,
    itemAlert);
    if (!canModerate) return li;

    const [namedFr, namedEn] = kind.named(item.seq);
    const decide = async (button, body) => {
      itemAlert.hidden = true;
      await busy(button, async () => {
        const updated = await api('POST', `${path}/${kind.segment}/${item.seq}/moderation`, body);
        const verb = updated.status === 'approved' ? t('approuvée', 'approved') : t('rejetée', 'rejected');
        if (pendingOnly) {
          // Out of the pending list; focus moves to the next item to keep the pace.
          const next = li.nextElementSibling || li.previousElementSibling;
          li.remove();
          updateEmpty();
          (next ? next.querySelector('button[data-decision="approve"]') || next.querySelector('h3') : emptyNote).focus();
          announce(t(`${namedFr} ${verb}. ${list.children.length} en attente affichée(s).`,
            `${namedEn} ${verb}. ${list.children.length} pending shown.`));
        } else {
          const replacement = itemElement(kind.keep ? kind.keep(updated, item) : updated);
          li.replaceWith(replacement);
          replacement.querySelector('h3').focus();
          announce(t(`${namedFr} ${verb}.`, `${namedEn} ${verb}.`));
        }
        onDecided();
      }, { onError: (error) => { itemAlert.textContent = errorMessage(error); itemAlert.hidden = false; } });
    };

    const buttons = h('div', { class: 'actions' });
    if (item.status !== 'approved') {
      const approve = h('button', { type: 'button', class: 'primary', 'data-decision': 'approve',
        'data-testid': `${kind.testid}-approve-${item.seq}`, 'aria-describedby': titleId }, t('Approuver', 'Approve'));
      approve.addEventListener('click', () => decide(approve, { decision: 'approve' }));
      buttons.append(approve);
    }
    if (item.status !== 'rejected') {
      const reject = h('button', { type: 'button', class: 'secondary', 'data-decision': 'reject',
        'data-testid': `${kind.testid}-reject-${item.seq}`, 'aria-describedby': titleId },
      item.status === 'approved' ? t('Retirer (rejeter)', 'Withdraw (reject)') : t('Rejeter', 'Reject'));
      reject.addEventListener('click', async () => {
        const reason = h('textarea', { name: 'reason', rows: '3', maxlength: '500', 'data-testid': 'reject-reason' });
        const data = await openDialog({
          title: t(`Rejeter : ${namedFr.toLowerCase()}`, `Reject ${namedEn.toLowerCase()}`),
          content: field(t('Motif (facultatif, visible de l’équipe seulement)', 'Reason (optional, seen by staff only)'), reason),
          submitLabel: t('Rejeter', 'Reject'),
          form: true,
          danger: true,
          testid: 'reject-dialog',
        });
        if (!data) return;
        const text = String(data.get('reason') || '').trim();
        await decide(reject, text ? { decision: 'reject', reason: text } : { decision: 'reject' });
      });
      buttons.append(reject);
    }
    li.append(buttons);
    return li;
  };

  try {
    await load(1, false);
  } catch (error) {
    clear(area);
    area.append(h('h2', { id: kind.headingId }, t(...kind.heading)), errorBox(error));
  }
}
