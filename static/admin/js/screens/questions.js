// Questions asked to patrons ("Quel livre vous a accompagné cet été ?"): the staff list, the
// creation form, opening and closing, and the moderation queue of answers.
//
// Routes: #/questions, #/questions?new=1, #/questions/:id.
// API: components/polls/src/questions.rs; shapes in crates/kiosque-domain/src/questions.rs.
// Answers come from the public: they are always written with textContent, never as HTML.

import { api } from '../api.js';
import { t, formatDateTime, formatNumber } from '../i18n.js';
import {
  h, field, showErrors, announce, clearErrors, clear, pageHeader, loading, errorBox, errorMessage, empty, badge, busy, append
} from '../ui.js';
import { drawModerationQueue, statusBadge } from '../moderation-queue.js';

const FIELDS = {
  title: () => t('Titre de l’œuvre', 'Title of the work'),
  author: () => t('Auteur ou autrice', 'Author'),
};

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
  await Promise.all([drawModerationQueue(queueArea, path, ctx, ANSWERS, redrawPublished), redrawPublished()]);
}

/** The answers' moderation queue (`moderation-queue.js`), answers shown with their work. */
const ANSWERS = {
  itemsKey: 'answers',
  segment: 'answers',
  testid: 'answer',
  headingId: 'queue-title',
  heading: ['Réponses à modérer', 'Answers to moderate'],
  filterLabel: ['Filtrer les réponses', 'Filter answers'],
  none: ['Aucune réponse en attente.', 'No answer waiting.'],
  noneReceived: ['Aucune réponse reçue.', 'No answer received.'],
  received: (n) => [`${n} réponse(s) reçue(s) au total.`, `${n} answer(s) received in all.`],
  shown: (n, pending) => (pending ? [`${n} réponse(s) en attente affichée(s)`, `${n} pending answer(s) shown`]
    : [`${n} réponse(s) affichée(s)`, `${n} answer(s) shown`]),
  named: (seq) => [`Réponse n° ${seq}`, `Answer #${seq}`],
  testids: { pending: 'queue-filter-pending', all: 'queue-filter-all', list: 'answer-queue', more: 'queue-more', summary: 'queue-summary' },
  item: (answer) => {
    const work = [answer.title ? h('cite', { dir: 'auto' }, answer.title) : null,
      answer.author ? h('span', { dir: 'auto' }, ` — ${answer.author}`) : null].filter(Boolean);
    return {
      title: [t(`Réponse n° ${answer.seq}`, `Answer #${answer.seq}`), ' ', statusBadge(answer.status)],
      body: [
        work.length ? h('p', { class: 'work' }, work) : null,
        // dir="auto": patrons may write in any script.
        h('p', { class: 'moderation-text', dir: 'auto', 'data-testid': `answer-text-${answer.seq}` }, answer.text),
        h('p', { class: 'muted' },
          answer.pseudonym ? h('span', { dir: 'auto' }, answer.pseudonym) : t('Anonyme', 'Anonymous'),
          ', ', formatDateTime(answer.created_at),
          answer.moderated_at ? t(` · modérée le ${formatDateTime(answer.moderated_at)}`, ` · moderated on ${formatDateTime(answer.moderated_at)}`) : ''),
      ],
    };
  },
};

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
