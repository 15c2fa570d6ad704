// Questions asked to patrons ("Quel livre vous a accompagné cet été ?"): the staff list, the
// creation form, opening and closing, and the moderation queue of answers.
//
// Routes: #/questions, #/questions?new=1, #/questions/:id.
// API: components/polls/src/questions.rs; shapes in crates/kiosque-domain/src/questions.rs.
// Answers come from the public: they are always written with textContent, never as HTML.

import { api } from '../api.js';
import { t, formatDateTime, formatNumber } from '../i18n.js';
import {
  h, field, showErrors, announce, openDialog, clearErrors, clear, pageHeader, loading, errorBox,
  errorMessage, empty, badge, busy, append
} from '../ui.js';

const STATUS = {
  pending: () => t('En attente', 'Pending'),
  approved: () => t('Approuvée', 'Approved'),
  rejected: () => t('Rejetée', 'Rejected'),
};

const FIELDS = {
  title: () => t('Titre de l’œuvre', 'Title of the work'),
  author: () => t('Auteur ou autrice', 'Author'),
};

/** Answers read per queue page (the API allows 100). */
const QUEUE_LIMIT = 50;

export async function render(main, params, ctx) {
  if (params.id) return renderDetail(main, params.id, ctx);
  if (params.new !== undefined && ctx.can('edit')) return renderCreate(main, ctx);
  return renderList(main, ctx);
}

// ---- List ----------------------------------------------------------------------------------

async function renderList(main, ctx) {
  append(main, pageHeader(t('Questions', 'Questions'),
    ctx.can('edit') ? h('a', { href: '#/questions?new=1', class: 'button primary', 'data-testid': 'question-new' },
      t('Nouvelle question', 'New question')) : null));
  const placeholder = loading();
  main.append(placeholder);

  const tbody = h('tbody');
  const more = h('div', { class: 'actions' });
  const loadPage = async (page) => {
    const data = await api('GET', `/api/questions?page=${page}`);
    for (const q of data.questions) {
      tbody.append(h('tr', { 'data-testid': 'question-row' },
        h('th', { scope: 'row' }, h('a', { href: `#/questions/${encodeURIComponent(q.id)}` }, q.text)),
        h('td', null, badge(q.open ? t('Ouverte', 'Open') : t('Close', 'Closed'), q.open ? 'open' : 'closed')),
        h('td', null, q.fields.length ? q.fields.map((f) => (FIELDS[f] ? FIELDS[f]() : f)).join(', ') : '—'),
        h('td', null, formatDateTime(q.created_at))));
    }
    clear(more);
    if (data.next_page) {
      const next = h('button', { type: 'button', class: 'secondary' }, t('Afficher les suivantes', 'Show more'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = tbody.rows.length;
        await loadPage(data.next_page);
        const first = tbody.rows[before] && tbody.rows[before].querySelector('a');
        if (first) first.focus();
      }, { success: t('Questions suivantes affichées', 'More questions shown') }));
      more.append(next);
    }
    return data.total;
  };
  const total = await loadPage(1);
  placeholder.remove();
  if (!total) {
    main.append(empty(t('Aucune question pour l’instant.', 'No question yet.')));
    return;
  }
  main.append(h('div', { class: 'table-scroll' }, h('table', { 'data-testid': 'question-list' },
    h('caption', { class: 'visually-hidden' }, t('Questions, de la plus récente à la plus ancienne', 'Questions, newest first')),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Question', 'Question')),
      h('th', { scope: 'col' }, t('État', 'State')),
      h('th', { scope: 'col' }, t('Champs demandés', 'Fields asked')),
      h('th', { scope: 'col' }, t('Créée le', 'Created on')))),
    tbody)), more);
}

// ---- Creation ------------------------------------------------------------------------------

function renderCreate(main, ctx) {
  main.append(pageHeader(t('Nouvelle question', 'New question')),
    h('p', null, h('a', { href: '#/questions' }, t('← Retour aux questions', '← Back to questions'))));
  const text = h('input', { type: 'text', name: 'text', 'data-field': 'text', required: true, maxlength: '300' });
  const boxes = Object.keys(FIELDS).map((key) => h('input', { type: 'checkbox', name: `field-${key}`, value: key }));
  const open = h('input', { type: 'checkbox', name: 'open', 'data-field': 'open', checked: true });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'question-save' }, t('Créer la question', 'Create the question'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'question-form' },
    field(t('Question posée au public', 'Question asked to the public'), text, null,
      { hint: t('300 caractères au plus, par exemple « Quel livre vous a accompagné cet été ? »',
        'At most 300 characters, e.g. “Which book kept you company this summer?”') }),
    h('fieldset', null, h('legend', null, t('Demander aussi (facultatif)', 'Also ask for (optional)')),
      h('p', { class: 'hint' }, t('Les réponses deviennent alors des recommandations de lecture.', 'Answers then become reading recommendations.')),
      boxes.map((box) => field(FIELDS[box.value](), box))),
    field(t('Ouverte aux réponses dès sa création', 'Open to answers as soon as created'), open),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = { text: text.value, fields: boxes.filter((b) => b.checked).map((b) => b.value), open: open.checked };
    await busy(submit, async () => {
      const question = await api('POST', '/api/questions', body);
      announce(t('Question créée', 'Question created'));
      ctx.navigate(`#/questions/${encodeURIComponent(question.id)}`);
    }, { onError: (error) => showErrors(form, error) });
  });
  main.append(form);
}

// ---- Detail and moderation -----------------------------------------------------------------

async function renderDetail(main, id, ctx) {
  const path = `/api/questions/${encodeURIComponent(id)}`;
  const placeholder = loading();
  main.append(placeholder);
  let question = await api('GET', path);
  placeholder.remove();

  const alert = h('div', { class: 'error-box', role: 'alert', hidden: true, 'data-testid': 'question-error' });
  const header = h('div');
  const queueArea = h('section', { 'aria-labelledby': 'queue-title' });
  const publishedArea = h('section', { 'aria-labelledby': 'published-title' });
  main.append(h('p', null, h('a', { href: '#/questions' }, t('← Retour aux questions', '← Back to questions'))),
    header, alert, queueArea, publishedArea);

  const drawHeader = () => {
    clear(header);
    header.append(pageHeader(question.text),
      h('p', null, badge(question.open ? t('Ouverte aux réponses', 'Open to answers') : t('Close', 'Closed'),
        question.open ? 'open' : 'closed'), ' ',
      question.fields.length ? t(`Demande aussi : ${question.fields.map((f) => FIELDS[f]()).join(', ')}`,
        `Also asks for: ${question.fields.map((f) => FIELDS[f]()).join(', ')}`) : ''),
      h('p', { class: 'muted' }, t(`Créée le ${formatDateTime(question.created_at)}`, `Created on ${formatDateTime(question.created_at)}`)));
    const actions = h('div', { class: 'actions' },
      h('a', { href: question.url, 'data-testid': 'question-public-link' }, t('Page publique', 'Public page')));
    if (ctx.can('edit')) {
      const toggle = h('button', { type: 'button', class: 'secondary', 'data-testid': 'question-toggle-open' },
        question.open ? t('Fermer aux réponses', 'Close to answers') : t('Rouvrir aux réponses', 'Reopen to answers'));
      toggle.addEventListener('click', () => busy(toggle, async () => {
        alert.hidden = true;
        const wasOpen = question.open;
        question = await api('POST', `${path}/state`, { open: !wasOpen });
        drawHeader();
        header.querySelector('[data-testid="question-toggle-open"]').focus();
        announce(question.open ? t('Question rouverte', 'Question reopened') : t('Question fermée', 'Question closed'));
      }, { onError: (error) => { alert.textContent = errorMessage(error); alert.hidden = false; } }));
      actions.append(toggle);
    }
    header.append(actions);
  };
  drawHeader();
  // A decision changes what patrons see: the published list is drawn again after each one.
  const redrawPublished = () => drawPublished(publishedArea, path);
  await Promise.all([drawQueue(queueArea, path, ctx, redrawPublished), redrawPublished()]);
}

/**
 * The moderation queue: answers in the order they came, pending ones only by default.
 * Approve and reject act at once; rejecting asks for an optional reason (staff only).
 */
async function drawQueue(area, path, ctx, onDecided = () => {}) {
  const canModerate = ctx.can('moderate');
  let pendingOnly = true;
  const heading = h('h2', { id: 'queue-title', tabindex: '-1' }, t('Réponses à modérer', 'Answers to moderate'));
  const pendingButton = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'true', 'data-testid': 'queue-filter-pending' },
    t('En attente', 'Pending'));
  const allButton = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false', 'data-testid': 'queue-filter-all' },
    t('Toutes', 'All'));
  const summary = h('p', { class: 'muted', 'data-testid': 'queue-summary' });
  const list = h('ol', { class: 'moderation-list', 'data-testid': 'answer-queue', 'aria-labelledby': 'queue-title' });
  const emptyNote = h('p', { class: 'empty', hidden: true, tabindex: '-1' });
  const more = h('div', { class: 'actions' });
  area.append(heading, h('div', { class: 'segmented', role: 'group', 'aria-label': t('Filtrer les réponses', 'Filter answers') },
    pendingButton, allButton), summary, list, emptyNote, more);

  const updateEmpty = () => {
    const none = list.children.length === 0;
    emptyNote.hidden = !none;
    emptyNote.textContent = pendingOnly ? t('Aucune réponse en attente.', 'No answer waiting.') : t('Aucune réponse reçue.', 'No answer received.');
  };

  const load = async (from, append) => {
    const query = new URLSearchParams({ from: String(from), limit: String(QUEUE_LIMIT) });
    if (pendingOnly) query.set('status', 'pending');
    const data = await api('GET', `${path}/queue?${query}`);
    if (!append) clear(list);
    for (const answer of data.answers) list.append(answerItem(answer));
    summary.textContent = t(`${formatNumber(data.submitted)} réponse(s) reçue(s) au total.`,
      `${formatNumber(data.submitted)} answer(s) received in all.`);
    clear(more);
    if (data.next_from) {
      // The queue reads a range of answer numbers; pending ones may be sparse in it, so the
      // next range may hold more even when this one showed few.
      const next = h('button', { type: 'button', class: 'secondary', 'data-testid': 'queue-more' },
        t('Charger les suivantes', 'Load the next ones'));
      next.addEventListener('click', () => busy(next, async () => {
        const before = list.children.length;
        await load(data.next_from, true);
        const first = list.children[before];
        if (first) first.querySelector('h3').focus();
        else heading.focus();
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
      announce(pending ? t(`${list.children.length} réponse(s) en attente affichée(s)`, `${list.children.length} pending answer(s) shown`)
        : t(`${list.children.length} réponse(s) affichée(s)`, `${list.children.length} answer(s) shown`));
    } catch (error) {
      announce(errorMessage(error));
    }
  };
  pendingButton.addEventListener('click', () => setFilter(true));
  allButton.addEventListener('click', () => setFilter(false));

  /** One answer with its decision buttons. */
  const answerItem = (answer) => {
    const itemAlert = h('div', { class: 'error-box', role: 'alert', hidden: true });
    const titleId = `answer-${answer.seq}-title`;
    const work = [answer.title ? h('cite', { dir: 'auto' }, answer.title) : null,
      answer.author ? h('span', { dir: 'auto' }, ` — ${answer.author}`) : null].filter(Boolean);
    const li = h('li', { class: 'moderation-item', 'data-testid': `answer-${answer.seq}`, 'data-seq': String(answer.seq),
      'data-status': answer.status, 'aria-labelledby': titleId },
    h('h3', { id: titleId, tabindex: '-1' }, t(`Réponse n° ${answer.seq}`, `Answer #${answer.seq}`), ' ',
      badge(STATUS[answer.status] ? STATUS[answer.status]() : answer.status, answer.status)),
    work.length ? h('p', { class: 'work' }, work) : null,
    // dir="auto": patrons may write in any script.
    h('p', { class: 'moderation-text', dir: 'auto', 'data-testid': `answer-text-${answer.seq}` }, answer.text),
    h('p', { class: 'muted' },
      answer.pseudonym ? h('span', { dir: 'auto' }, answer.pseudonym) : t('Anonyme', 'Anonymous'),
      ', ', formatDateTime(answer.created_at),
      answer.moderated_at ? t(` · modérée le ${formatDateTime(answer.moderated_at)}`, ` · moderated on ${formatDateTime(answer.moderated_at)}`) : ''),
    answer.rejection_reason ? h('p', null, h('strong', null, t('Motif du rejet : ', 'Reason for rejection: ')),
      h('span', { dir: 'auto' }, answer.rejection_reason)) : null,
    itemAlert);
    if (!canModerate) return li;

    const decide = async (button, body) => {
      itemAlert.hidden = true;
      await busy(button, async () => {
        const updated = await api('POST', `${path}/answers/${answer.seq}/moderation`, body);
        const verb = updated.status === 'approved' ? t('approuvée', 'approved') : t('rejetée', 'rejected');
        onDecided();
        if (pendingOnly) {
          // Out of the pending list; focus moves to the next answer to keep the pace.
          const next = li.nextElementSibling || li.previousElementSibling;
          li.remove();
          updateEmpty();
          const target = next ? next.querySelector('button[data-decision="approve"]') || next.querySelector('h3') : emptyNote;
          target.focus();
          announce(t(`Réponse n° ${answer.seq} ${verb}. ${list.children.length} en attente affichée(s).`,
            `Answer #${answer.seq} ${verb}. ${list.children.length} pending shown.`));
        } else {
          const replacement = answerItem(updated);
          li.replaceWith(replacement);
          replacement.querySelector('h3').focus();
          announce(t(`Réponse n° ${answer.seq} ${verb}.`, `Answer #${answer.seq} ${verb}.`));
        }
      }, { onError: (error) => { itemAlert.textContent = errorMessage(error); itemAlert.hidden = false; } });
    };

    const buttons = h('div', { class: 'actions' });
    if (answer.status !== 'approved') {
      const approve = h('button', { type: 'button', class: 'primary', 'data-decision': 'approve',
        'data-testid': `answer-approve-${answer.seq}`, 'aria-describedby': titleId }, t('Approuver', 'Approve'));
      approve.addEventListener('click', () => decide(approve, { decision: 'approve' }));
      buttons.append(approve);
    }
    if (answer.status !== 'rejected') {
      const reject = h('button', { type: 'button', class: 'secondary', 'data-decision': 'reject',
        'data-testid': `answer-reject-${answer.seq}`, 'aria-describedby': titleId },
      answer.status === 'approved' ? t('Retirer (rejeter)', 'Withdraw (reject)') : t('Rejeter', 'Reject'));
      reject.addEventListener('click', async () => {
        const reason = h('textarea', { name: 'reason', rows: '3', maxlength: '500', 'data-testid': 'reject-reason' });
        const data = await openDialog({
          title: t(`Rejeter la réponse n° ${answer.seq}`, `Reject answer #${answer.seq}`),
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
    area.append(h('h2', { id: 'queue-title' }, t('Réponses à modérer', 'Answers to moderate')), errorBox(error));
  }
}

/** The published answers, most liked first: what patrons see. */
async function drawPublished(area, path) {
  clear(area);
  area.append(h('h2', { id: 'published-title' }, t('Réponses publiées', 'Published answers')));
  let data;
  try {
    data = await api('GET', `${path}/answers?sort=likes`);
  } catch (error) {
    area.append(errorBox(error));
    return;
  }
  area.append(h('p', { class: 'muted' }, t(`${formatNumber(data.approved)} réponse(s) publiée(s), les plus aimées d’abord.`,
    `${formatNumber(data.approved)} published answer(s), most liked first.`)));
  if (!data.answers.length) return;
  append(area, h('ol', { class: 'moderation-list' }, data.answers.map((a) => h('li', { class: 'moderation-item' },
    a.title ? h('p', { class: 'work' }, h('cite', { dir: 'auto' }, a.title), a.author ? h('span', { dir: 'auto' }, ` — ${a.author}`) : null) : null,
    h('p', { class: 'moderation-text', dir: 'auto' }, a.text),
    h('p', { class: 'muted' }, t(`n° ${a.seq} · ${formatNumber(a.likes)} « J’aime »`, `#${a.seq} · ${formatNumber(a.likes)} likes`))))));
}
