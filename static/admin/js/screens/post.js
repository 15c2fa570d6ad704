// One post: its state, schedule, text, where it went out, and what may be done with it now
// (edit, move, next free slot, unschedule, cancel, publish now, approve / send back).
//
// Endpoints: GET /api/posts/:id; POST /api/posts/:id/{schedule,unschedule,cancel,publish,
// approve,send-back}.

import { api } from '../api.js';
import { t, formatDateTime } from '../i18n.js';
import { h, clear, pageHeader, announce, confirmDialog, busy, errorMessage, append } from '../ui.js';
import {
  stateBadge, stateName, isMovable, whenText, schedulePost, moveDialog, approvePost,
  sendBackWithComment, reviewNotice, loadChannels, channelLabel,
} from '../posts.js';

const TARGET_STATUS = {
  pending: () => t('En attente', 'Pending'),
  published: () => t('Publiée', 'Published'),
  failed: () => t('Échec', 'Failed'),
};

export async function render(main, params, ctx) {
  const [post, channels] = await Promise.all([
    api('GET', `/api/posts/${encodeURIComponent(params.id)}`),
    loadChannels(),
  ]);
  let redraw = false;
  draw(post);

  function draw(p) {
    const id = encodeURIComponent(p.id);
    const c = p.content || {};
    const canEdit = ctx.can('edit');
    const canPublish = ctx.can('publish');
    const actions = h('div', { class: 'actions' });

    /** Runs a state change, then redraws with the answer. */
    const act = (button, request, success) => busy(button, async () => {
      const updated = await request();
      if (!updated) return; // cancelled dialog
      announce(typeof success === 'function' ? success(updated) : success);
      draw(updated);
    }, { onError: (error) => announce(errorMessage(error)) });

    const add = (label, testid, onclick, cls = 'secondary') => {
      const b = h('button', { type: 'button', class: cls, 'data-testid': testid });
      b.textContent = label;
      b.addEventListener('click', () => onclick(b));
      actions.append(b);
      return b;
    };

    const scheduled = (updated) => (updated.state === 'awaiting_approval'
      ? t('Programmée, en attente de validation.', 'Scheduled, awaiting approval.')
      : t(`Programmée : ${whenText(updated)}.`, `Scheduled: ${whenText(updated)}.`));

    if (canPublish && p.state === 'awaiting_approval') {
      add(t('Approuver', 'Approve'), 'approve', (b) => act(b, () => approvePost(p.id, p.version),
        t('Publication approuvée et programmée.', 'Post approved and scheduled.')), 'primary');
      add(t('Renvoyer avec un commentaire', 'Send back with a comment'), 'send-back', (b) => act(b,
        () => sendBackWithComment(p.id), t('Publication renvoyée à son auteur·rice.', 'Post sent back to its author.')));
    }
    if (canEdit && isMovable(p)) {
      const edit = h('a', { class: 'button secondary', href: `#/compose?id=${id}`, 'data-testid': 'post-edit' }, t('Modifier', 'Edit'));
      actions.append(edit);
      add(p.schedule ? t('Déplacer', 'Move') : t('Programmer', 'Schedule'), 'post-move', (b) => act(b, async () => {
        const target = await moveDialog({ ...p, text: c.text });
        return target ? schedulePost(p.id, target.date, target.time) : null;
      }, scheduled));
      if (p.state === 'draft' || p.state === 'failed') {
        add(t('Prochain créneau libre', 'Next free slot'), 'post-next-slot', (b) => act(b,
          () => api('POST', `/api/posts/${id}/schedule`, { next_free_slot: true }), scheduled));
      }
    }
    if (canEdit && (p.state === 'scheduled' || p.state === 'awaiting_approval')) {
      add(t('Déprogrammer', 'Unschedule'), 'post-unschedule', (b) => act(b,
        () => api('POST', `/api/posts/${id}/unschedule`), t('Publication remise en brouillon.', 'Post back to draft.')));
    }
    if (canPublish && ['draft', 'scheduled', 'failed'].includes(p.state)) {
      add(t('Publier maintenant', 'Publish now'), 'post-publish-now', (b) => act(b, async () => {
        const ok = await confirmDialog(t('Publier maintenant sur tous ses canaux ?', 'Publish now on all its channels?'),
          { confirmLabel: t('Publier', 'Publish') });
        return ok ? api('POST', `/api/posts/${id}/publish`) : null;
      }, (updated) => t(`État : ${stateName(updated.state)}.`, `State: ${stateName(updated.state)}.`)));
    }
    if (canEdit && ['draft', 'scheduled', 'failed', 'awaiting_approval'].includes(p.state)) {
      add(t('Annuler la publication', 'Cancel the post'), 'post-cancel', (b) => act(b, async () => {
        const ok = await confirmDialog(t('Annuler cette publication ? Elle ne sera pas publiée.', 'Cancel this post? It will not be published.'),
          { confirmLabel: t('Annuler la publication', 'Cancel the post'), cancelLabel: t('Garder', 'Keep'), danger: true });
        return ok ? api('POST', `/api/posts/${id}/cancel`) : null;
      }, t('Publication annulée.', 'Post cancelled.')), 'danger');
    }

    const targets = h('table', null,
      h('caption', null, t('Canaux', 'Channels')),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('Canal', 'Channel')),
        h('th', { scope: 'col' }, t('État', 'Status')),
        h('th', { scope: 'col' }, t('Détail', 'Detail')))),
      h('tbody', null, (p.targets || []).map((target) => {
        const s = target.status || {};
        const label = TARGET_STATUS[s.status] ? TARGET_STATUS[s.status]() : s.status;
        const detail = s.status === 'published'
          ? [h('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, t('Voir la publication', 'See the post')),
            s.at ? ` — ${formatDateTime(s.at)}` : '']
          : (s.reason || s.last_error || (target.version && target.version.text ? t('Texte adapté', 'Own text') : ''));
        return h('tr', { 'data-testid': 'post-target', 'data-channel-id': target.channel },
          h('th', { scope: 'row' }, channelLabel(channels, target.channel)),
          h('td', null, h('span', { class: ['badge', `badge-${s.status === 'failed' ? 'failed' : s.status}`] }, label)),
          h('td', null, detail));
      })));

    const facts = h('dl', { class: 'facts' },
      h('dt', null, t('État', 'State')), h('dd', { 'data-testid': 'post-state', 'data-state': p.state }, stateBadge(p.state)),
      p.schedule ? [h('dt', null, t('Prévue', 'Due')), h('dd', { 'data-testid': 'post-when' }, whenText(p))] : null,
      p.state === 'published' && p.at ? [h('dt', null, t('Publiée', 'Published')), h('dd', null, formatDateTime(p.at))] : null,
      p.state === 'failed' && p.reason ? [h('dt', null, t('Raison', 'Reason')), h('dd', null, p.reason)] : null,
      p.campaign ? [h('dt', null, t('Campagne', 'Campaign')), h('dd', null, h('a', { href: `#/campaigns/${encodeURIComponent(p.campaign)}` }, p.campaign))] : null,
      (p.hashtags || []).length || (p.campaign_hashtags || []).length
        ? [h('dt', null, 'Hashtags'), h('dd', null, [...(p.hashtags || []), ...(p.campaign_hashtags || [])].map((tag) => `#${tag}`).join(' '))] : null,
      h('dt', null, t('Créée', 'Created')), h('dd', null, formatDateTime(p.created_at)),
      h('dt', null, t('Modifiée', 'Updated')), h('dd', null, formatDateTime(p.updated_at)));

    clear(main);
    append(main, 
      pageHeader(t('Publication', 'Post'),
        p.state === 'published' ? h('a', { href: `#/reports/posts/${encodeURIComponent(p.id)}`, 'data-testid': 'post-report-link' },
          t('Statistiques', 'Statistics')) : null,
        h('a', { href: '#/calendar' }, t('Calendrier', 'Calendar'))),
      h('p', { class: 'visually-hidden', 'data-testid': 'post-id' }, p.id),
      reviewNotice(p),
      facts,
      actions.children.length ? actions : null,
      h('h2', null, t('Texte', 'Text')),
      c.content_warning ? h('p', { class: 'notice' }, `CW : ${c.content_warning}`) : null,
      h('p', { class: 'preview-text', 'data-testid': 'post-text' }, c.text || ''),
      c.link ? h('p', null, h('a', { href: c.link, rel: 'noopener noreferrer', target: '_blank' }, c.link)) : null,
      (c.images || []).length ? h('ul', null, c.images.map((img) => h('li', null,
        // A library image shows its thumbnail (the alt text follows as text, so the picture
        // itself is decorative); an outside one links to its address.
        img.medium
          ? [h('img', { src: `/media/${encodeURIComponent(img.medium)}/thumb.jpg`, alt: '', width: 80,
            class: 'post-image-thumb', 'data-testid': 'post-image-medium', 'data-media-id': img.medium }),
          ' ', img.alt, ' ', h('span', { class: 'muted' }, t('(médiathèque)', '(media library)'))]
          : h('a', { href: img.url, rel: 'noopener noreferrer', target: '_blank' }, img.alt || img.url)))) : null,
      h('div', { class: 'table-scroll' }, targets),
    );
    // After an action the button that had focus is gone: put focus back at the top (the
    // router focuses the heading on the first draw).
    const h1 = main.querySelector('h1');
    if (redraw && h1) h1.focus();
    redraw = true;
  }
}
