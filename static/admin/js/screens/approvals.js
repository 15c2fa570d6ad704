// Approvals (administrators): posts that editors scheduled on channels requiring approval.
// Approve → scheduled as requested; send back with a comment → draft again, with the comment.
//
// Endpoints: GET /api/posts?state=awaiting_approval[&page=n]; POST /api/posts/:id/approve;
// POST /api/posts/:id/send-back {"comment"}.

import { api, qs } from '../api.js';
import { t } from '../i18n.js';
import { h, clear, pageHeader, announce, busy, errorMessage, empty, append } from '../ui.js';
import { approvePost, sendBackWithComment, whenText, loadChannels, channelLabel, excerpt } from '../posts.js';

export async function render(main, params, ctx) {
  const [channels, first] = await Promise.all([
    loadChannels(),
    api('GET', `/api/posts${qs({ state: 'awaiting_approval' })}`),
  ]);
  const list = h('ul', { class: 'cards approvals', 'data-testid': 'approvals-list' });
  const more = h('div', { class: 'actions' });
  const count = h('p', { 'data-testid': 'approvals-count' });
  const emptyNote = empty(t('Aucune publication en attente de validation.', 'No post is awaiting approval.'));
  emptyNote.dataset.testid = 'approvals-empty';

  clear(main);
  main.append(
    pageHeader(t('Publications à valider', 'Posts to approve')),
    h('p', { class: 'hint' }, t('Approuver programme la publication à la date demandée. Renvoyer la remet en brouillon avec votre commentaire.',
      'Approving schedules the post at the requested time. Sending back makes it a draft again, with your comment.')),
    count, emptyNote, list, more);

  function updateCount() {
    const n = list.children.length;
    count.textContent = n
      ? t(`${n} publication(s) en attente.`, `${n} post(s) waiting.`)
      : '';
    emptyNote.hidden = n > 0;
  }

  function card(post) {
    const text = (post.content && post.content.text) || '';
    const headingId = `approval-${post.id}`;
    const li = h('li', { class: 'card', 'data-testid': 'approval-item', 'data-post-id': post.id, 'aria-labelledby': headingId });
    const author = post.submitted_by || post.created_by || post.author;
    const done = (message) => {
      // Focus the next item's first button (or the heading) so the keyboard stays in the list.
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      announce(message);
      updateCount();
      const target = next ? next.querySelector('button') : main.querySelector('h1');
      if (target) target.focus();
    };
    const approve = h('button', { type: 'button', class: 'primary', 'data-testid': 'approve', 'data-post-id': post.id,
      'aria-describedby': headingId }, t('Approuver', 'Approve'));
    const sendBack = h('button', { type: 'button', class: 'secondary', 'data-testid': 'send-back', 'data-post-id': post.id,
      'aria-describedby': headingId }, t('Renvoyer', 'Send back'));
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const fail = (e) => {
      error.textContent = errorMessage(e);
      error.hidden = false;
    };
    approve.addEventListener('click', () => busy(approve, async () => {
      await approvePost(post.id, post.version);
      done(t('Publication approuvée et programmée.', 'Post approved and scheduled.'));
    }, { onError: fail }));
    sendBack.addEventListener('click', () => busy(sendBack, async () => {
      const updated = await sendBackWithComment(post.id);
      if (updated) done(t('Publication renvoyée à son auteur·rice.', 'Post sent back to its author.'));
    }, { onError: fail }));

    append(li, 
      h('h2', { id: headingId, class: 'h3' }, excerpt(text, 70) || t('(sans texte)', '(no text)')),
      h('p', null, h('strong', null, t('Demandée pour : ', 'Requested for: ')), whenText(post) || '—'),
      h('p', null, h('strong', null, t('Canaux : ', 'Channels: ')),
        (post.targets || []).map((target) => channelLabel(channels, target.channel)).join(', ')),
      author ? h('p', null, h('strong', null, t('Par : ', 'By: ')), typeof author === 'object' ? (author.name || author.id) : author) : null,
      h('p', { class: 'preview-text' }, text),
      error,
      h('div', { class: 'actions' }, approve, sendBack,
        h('a', { href: `#/posts/${encodeURIComponent(post.id)}` }, t('Détails', 'Details'))),
    );
    return li;
  }

  function addPage(data) {
    for (const post of data.posts || []) {
      // The list is by state, but a post may have moved on since the page was written.
      if (post.state === 'awaiting_approval') list.append(card(post));
    }
    clear(more);
    if (data.next_page) {
      const b = h('button', { type: 'button', class: 'secondary', 'data-testid': 'approvals-more' }, t('Plus', 'More'));
      b.addEventListener('click', () => busy(b, async () => {
        addPage(await api('GET', `/api/posts${qs({ state: 'awaiting_approval', page: data.next_page })}`));
      }));
      more.append(b);
    }
    updateCount();
  }
  addPage(first);
}
