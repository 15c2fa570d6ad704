// One campaign: its figures (engagement JSON + the accessible SVG chart), its posts, the
// moderation queue of its public wall (mentions from the networks), and the edit form.
//
// Endpoints: GET /api/campaigns/:id[?page=n]; GET /api/campaigns/:id/engagement?from=&to=;
// <img> GET /api/campaigns/:id/engagement.svg?from=&to=; GET /api/campaigns/:id/queue?status=
// &page=; POST /api/campaigns/:id/mentions/:seq/moderation {"decision","reason"?};
// PUT /api/campaigns/:id (through campaignForm).

import { api, qs } from '../api.js';
import { t, formatDate, formatDateTime, formatNumber } from '../i18n.js';
import { h, clear, field, pageHeader, announce, busy, errorBox, errorMessage, empty, openDialog, badge, append } from '../ui.js';
import { noon } from '../dates.js';
import { stateBadge, excerpt } from '../posts.js';
import { campaignForm } from './campaigns.js';

const MODERATION = {
  pending: () => t('En attente', 'Pending'),
  approved: () => t('Approuvé', 'Approved'),
  rejected: () => t('Refusé', 'Rejected'),
};

function platformName(platform) {
  if (!platform) return '';
  if (typeof platform === 'string') return platform;
  return Object.values(platform)[0] || '';
}

export async function render(main, params, ctx) {
  const id = encodeURIComponent(params.id);
  const data = await api('GET', `/api/campaigns/${id}`);
  const campaign = data.campaign;

  // ---- Engagement --------------------------------------------------------------------------
  const figures = h('ul', { class: 'figures', 'data-testid': 'engagement-figures' });
  const chart = h('img', { class: 'chart-img', 'data-testid': 'engagement-chart', width: 640, height: 240 });
  const dayTable = h('div', { class: 'table-scroll' });
  const from = h('input', { type: 'date', name: 'from', 'data-testid': 'engagement-from' });
  const to = h('input', { type: 'date', name: 'to', 'data-testid': 'engagement-to' });
  const rangeButton = h('button', { type: 'submit', class: 'secondary' }, t('Afficher', 'Show'));
  const rangeForm = h('form', { class: 'image-row', novalidate: true },
    field(t('Du', 'From'), from), field(t('Au', 'To'), to), h('div', { class: 'actions' }, rangeButton));

  function showEngagement(stats) {
    from.value = stats.from;
    to.value = stats.to;
    clear(figures).append(
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(stats.mentions)), h('span', { class: 'figure-label' }, t('mentions reçues', 'mentions received'))),
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(stats.posts)), h('span', { class: 'figure-label' }, t('publications', 'posts'))));
    chart.src = `/api/campaigns/${id}/engagement.svg${qs({ from: stats.from, to: stats.to })}`;
    // The chart is an image: its alternative sums it up, and the table below gives every figure.
    chart.alt = t(
      `Graphique : ${stats.mentions} mentions et ${stats.posts} publications du ${formatDate(noon(stats.from))} au ${formatDate(noon(stats.to))}, détail par jour dans le tableau qui suit.`,
      `Chart: ${stats.mentions} mentions and ${stats.posts} posts from ${formatDate(noon(stats.from))} to ${formatDate(noon(stats.to))}, daily figures in the table below.`);
    clear(dayTable).append(h('details', null,
      h('summary', null, t('Chiffres par jour', 'Figures per day')),
      h('table', null,
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('Jour', 'Day')),
          h('th', { scope: 'col', class: 'num' }, t('Mentions', 'Mentions')),
          h('th', { scope: 'col', class: 'num' }, t('Publications', 'Posts')),
          h('th', { scope: 'col' }, t('Par hashtag', 'Per hashtag')))),
        h('tbody', null, (stats.days || []).map((d) => h('tr', null,
          h('th', { scope: 'row' }, formatDate(noon(d.day))),
          h('td', { class: 'num' }, formatNumber(d.mentions)),
          h('td', { class: 'num' }, formatNumber(d.posts)),
          h('td', null, (d.hashtags || []).map((tag) => `#${tag.hashtag} ${tag.mentions}/${tag.posts}`).join(', '))))))));
  }
  rangeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(rangeButton, async () => {
      showEngagement(await api('GET', `/api/campaigns/${id}/engagement${qs({ from: from.value, to: to.value })}`));
    }, { success: t('Chiffres mis à jour.', 'Figures updated.') });
  });

  // ---- Posts -------------------------------------------------------------------------------
  const postsBody = h('tbody');
  const postsMore = h('div', { class: 'actions' });
  function addPosts(page) {
    for (const p of page.posts || []) {
      postsBody.append(h('tr', { 'data-testid': 'campaign-post', 'data-post-id': p.id },
        h('td', null, h('a', { href: `#/posts/${encodeURIComponent(p.id)}` }, excerpt(p.text, 80) || p.id)),
        h('td', null, stateBadge(p.state)),
        h('td', null, (p.published || []).map((pub, i) => [i ? ', ' : '',
          h('a', { href: pub.url, target: '_blank', rel: 'noopener noreferrer' }, formatDateTime(pub.at) || pub.channel)]))));
    }
    clear(postsMore);
    if (page.posts_next_page) {
      const b = h('button', { type: 'button', class: 'secondary' }, t('Plus de publications', 'More posts'));
      b.addEventListener('click', () => busy(b, async () => addPosts(await api('GET', `/api/campaigns/${id}${qs({ page: page.posts_next_page })}`))));
      postsMore.append(b);
    }
  }

  // ---- Wall queue --------------------------------------------------------------------------
  const canModerate = ctx.can('moderate');
  const statusSelect = h('select', { name: 'status', 'data-testid': 'wall-status' },
    ['pending', 'approved', 'rejected', 'all'].map((s) => h('option', { value: s },
      s === 'all' ? t('Tous', 'All') : MODERATION[s]())));
  const queueList = h('ul', { class: 'cards', 'data-testid': 'wall-queue' });
  const queueMore = h('div', { class: 'actions' });
  const queueCount = h('p');

  async function loadQueue(page = 1) {
    let q;
    try {
      q = await api('GET', `/api/campaigns/${id}/queue${qs({ status: statusSelect.value, page })}`);
    } catch (error) {
      clear(queueList).append(h('li', null, errorBox(error)));
      return;
    }
    if (page === 1) clear(queueList);
    queueCount.textContent = t(`${q.total} élément(s).`, `${q.total} item(s).`);
    for (const item of q.items || []) queueList.append(mention(item));
    if (!queueList.children.length) queueList.append(h('li', { class: 'empty' }, t('Rien à modérer.', 'Nothing to moderate.')));
    clear(queueMore);
    if (q.next_page) {
      const b = h('button', { type: 'button', class: 'secondary' }, t('Plus', 'More'));
      b.addEventListener('click', () => busy(b, () => loadQueue(q.next_page)));
      queueMore.append(b);
    }
  }

  function mention(item) {
    const m = item.mention || {};
    const headingId = `mention-${item.seq}`;
    const status = h('span', null, badge(MODERATION[item.status] ? MODERATION[item.status]() : item.status, item.status));
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const li = h('li', { class: 'card', 'data-testid': 'wall-item', 'data-seq': item.seq },
      h('h3', { id: headingId }, m.author_name || m.author_handle || t('Anonyme', 'Anonymous'), ' ',
        h('span', { class: 'muted' }, m.author_handle ? `@${String(m.author_handle).replace(/^@/, '')}` : '')),
      h('p', { class: 'hint' }, `${platformName(m.platform)} — ${formatDateTime(m.created_at || item.received_at)}`),
      h('p', { class: 'preview-text' }, m.text || ''),
      (m.media_alt || []).length ? h('ul', null, m.media_alt.map((alt) => h('li', null, t(`Image : ${alt}`, `Image: ${alt}`)))) : null,
      m.url ? h('p', null, h('a', { href: m.url, target: '_blank', rel: 'noopener noreferrer' }, t('Voir sur le réseau', 'See on the network'))) : null,
      h('p', null, status, item.reason ? ` — ${item.reason}` : ''),
      error);
    if (canModerate) {
      const decide = async (button, decision) => {
        let reason = null;
        if (decision === 'reject') {
          const input = h('textarea', { name: 'reason', rows: 3, maxlength: 500, 'data-testid': 'wall-reject-reason' });
          const answer = await openDialog({
            title: t('Refuser cette mention', 'Reject this mention'),
            content: [field(t('Raison (pour l’équipe, facultative)', 'Reason (for staff, optional)'), input)],
            submitLabel: t('Refuser', 'Reject'),
            form: true,
            danger: true,
            testid: 'wall-reject-dialog',
          });
          if (!answer) return;
          reason = input.value.trim() || null;
        }
        await busy(button, async () => {
          const updated = await api('POST', `/api/campaigns/${id}/mentions/${item.seq}/moderation`,
            reason ? { decision, reason } : { decision });
          announce(decision === 'approve' ? t('Mention approuvée : elle paraît sur le mur.', 'Mention approved: it shows on the wall.')
            : t('Mention refusée.', 'Mention rejected.'));
          if (statusSelect.value === 'pending') {
            const next = li.nextElementSibling || li.previousElementSibling;
            li.remove();
            const target = next && next.querySelector('button');
            (target || statusSelect).focus();
          } else {
            li.replaceWith(mention(updated && updated.seq ? updated : { ...item, status: decision === 'approve' ? 'approved' : 'rejected', reason }));
          }
        }, { onError: (e) => { error.textContent = errorMessage(e); error.hidden = false; } });
      };
      const approve = h('button', { type: 'button', class: 'primary small', 'data-testid': 'wall-approve', 'data-seq': item.seq,
        'aria-describedby': headingId }, t('Approuver', 'Approve'));
      const reject = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'wall-reject', 'data-seq': item.seq,
        'aria-describedby': headingId }, t('Refuser', 'Reject'));
      approve.addEventListener('click', () => decide(approve, 'approve'));
      reject.addEventListener('click', () => decide(reject, 'reject'));
      append(li, h('div', { class: 'actions' }, item.status !== 'approved' ? approve : null, item.status !== 'rejected' ? reject : null));
    }
    return li;
  }
  statusSelect.addEventListener('change', () => loadQueue(1));

  // ---- Layout ------------------------------------------------------------------------------
  clear(main);
  append(main, 
    pageHeader(campaign.name,
      ctx.can('edit') ? h('a', { class: 'button secondary', href: `#/compose?campaign=${id}` }, t('Publication pour cette campagne', 'Post for this campaign')) : null),
    h('p', null, `${formatDate(noon(campaign.starts_on))} – ${formatDate(noon(campaign.ends_on))} · `,
      (campaign.hashtags || []).map((tag) => `#${tag}`).join(' ')),
    campaign.description ? h('p', null, campaign.description) : null,
    h('p', null, h('a', { href: `#/reports/campaigns/${id}`, 'data-testid': 'campaign-report-link' }, t('Rapport de la campagne', 'Campaign report')), ' · ',
      h('a', { href: campaign.url, target: '_blank', rel: 'noopener' }, t('Mur public', 'Public wall')),
      ' · ', t('Intégration : ', 'Embed: '), h('code', null, campaign.embed_url || '')),
    (campaign.warnings || []).length ? h('div', { class: 'notice' }, h('ul', null, campaign.warnings.map((w) => h('li', null, w)))) : null,

    h('section', { 'aria-labelledby': 'engagement-title' },
      h('h2', { id: 'engagement-title' }, t('Engagement', 'Engagement')),
      rangeForm, figures, h('figure', { class: 'chart' }, chart), dayTable),

    h('section', { 'aria-labelledby': 'wall-title' },
      h('h2', { id: 'wall-title' }, t('Modération du mur', 'Wall moderation')),
      field(t('Afficher', 'Show'), statusSelect), queueCount, queueList, queueMore),

    h('section', { 'aria-labelledby': 'posts-title' },
      h('h2', { id: 'posts-title' }, t('Publications de la campagne', 'Campaign posts')),
      h('div', { class: 'table-scroll' }, h('table', null,
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('Texte', 'Text')),
          h('th', { scope: 'col' }, t('État', 'State')),
          h('th', { scope: 'col' }, t('Publiée', 'Published')))),
        postsBody)),
      postsMore),

    ctx.can('edit') ? h('section', { 'aria-labelledby': 'edit-title' },
      h('h2', { id: 'edit-title' }, t('Modifier la campagne', 'Edit the campaign')),
      campaignForm(campaign, () => ctx.refresh())) : null,
  );

  showEngagement(data.engagement);
  addPosts(data);
  if (!data.posts || !data.posts.length) postsBody.append(h('tr', null, h('td', { colspan: 3 }, empty(t('Aucune publication.', 'No post.')))));
  await loadQueue(1);
}
