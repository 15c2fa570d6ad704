// Reports: a month's activity (default: last month), a campaign's and a post's figures. The
// figures come from the reports component; the charts are its accessible SVG images, each
// followed by a table of the same figures; the printable report and the CSV are links to it.
//
// Routes: #/reports, #/reports/:month (YYYY-MM), #/reports/campaigns/:id, #/reports/posts/:id.
// Endpoints (all GET): /api/reports/monthly/:month, /api/reports/campaigns/:id,
// /api/reports/posts/:id; <img> /reports/monthly/:month/charts/{engagement,participation,
// views,sources}.svg; links /reports/monthly/:month, /reports/campaigns/:id and the CSV
// /api/reports/monthly/:month/{posts,pages,days}.csv, /api/reports/campaigns/:id/posts.csv.

import { api } from '../api.js';
import { t, lang, formatDate, formatDateTime, formatNumber, parisToday } from '../i18n.js';
import { h, clear, field, pageHeader, empty, append } from '../ui.js';
import { noon } from '../dates.js';

// A network's address for the post, linked only when it is one: it comes from the platform's
// answer, never trusted as a link otherwise.
function isHttps(url) {
  return typeof url === 'string' && /^https:\/\//i.test(url);
}

const NETWORKS = {
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  facebook: 'Facebook',
  instagram: 'Instagram',
  webhook: 'Webhook',
};

const SOURCES = {
  direct: () => t('Accès direct', 'Direct'),
  site: () => t('Autres pages du site', 'Other pages of the site'),
  mastodon: () => 'Mastodon',
  bluesky: () => 'Bluesky',
  facebook: () => 'Facebook',
  instagram: () => 'Instagram',
  search: () => t('Moteurs de recherche', 'Search engines'),
  other: () => t('Autres sites', 'Other sites'),
};

const STATES = {
  active: () => t('suivie', 'followed'),
  finished: () => t('terminée', 'finished'),
  deleted: () => t('supprimée sur le réseau', 'deleted on the network'),
  access_revoked: () => t('accès révoqué', 'access revoked'),
};

/** Reach is given by Facebook and Instagram only: absent means "not provided", never 0. */
function optional(n) {
  return n === undefined || n === null ? t('non communiqué', 'not provided') : formatNumber(n);
}

/** "YYYY-MM" of the month before today's (the default report: the last full month). */
function lastMonth() {
  const [year, month] = parisToday().split('-').map(Number);
  const y = month === 1 ? year - 1 : year;
  const m = month === 1 ? 12 : month - 1;
  return `${y}-${String(m).padStart(2, '0')}`;
}

function monthName(month) {
  return formatDate(noon(`${month}-01`), { dateStyle: undefined, month: 'long', year: 'numeric' });
}

/** A table: caption, column headers, rows whose first cell is a row header. */
function table(caption, headers, rows, testid) {
  return h('div', { class: 'table-scroll' }, h('table', { 'data-testid': testid },
    h('caption', null, caption),
    h('thead', null, h('tr', null, headers.map((name, i) => h('th', { scope: 'col', class: i ? 'num' : null }, name)))),
    h('tbody', null, rows.map(([head, ...cells]) => h('tr', null,
      h('th', { scope: 'row' }, head),
      cells.map((cell) => h('td', { class: 'num' }, cell)))))));
}

/** A chart of the reports component, its text alternative summing it up, then its table. */
function chart(src, alt, tableNode) {
  return h('figure', { class: 'chart' },
    h('img', { class: 'chart-img', src, alt, 'data-testid': 'report-chart' }),
    tableNode);
}

/** The note saying a report read only part of its data (more than a report reads at once). */
function incomplete(fr, en, testid) {
  return h('p', { class: 'notice', 'data-testid': testid }, t(fr, en));
}

const POSTS_INCOMPLETE = ['Chiffres incomplets : cette période compte plus de publications que ce qu’un rapport lit en une fois, certaines publications manquent.',
  'Incomplete figures: this period has more posts than a report reads at once, some posts are missing.'];
const VIEWS_INCOMPLETE = ['Chiffres incomplets : cette période a compté plus de pages distinctes que ce qu’un rapport lit en une fois, les vues de certaines pages manquent.',
  'Incomplete figures: this period counted more distinct pages than a report reads at once, the views of some pages are missing.'];

/** The per-network table and the best posts (month and campaign reports). */
function postSections(figures, prefix) {
  const networks = figures.networks || [];
  const top = figures.top_posts || [];
  return [
    figures.truncated ? incomplete(...POSTS_INCOMPLETE, `${prefix}-posts-incomplete`) : null,
    table(t('Réseaux sociaux : publications, interactions et portée', 'Social networks: posts, engagement and reach'),
      [t('Réseau', 'Network'), t('Publications', 'Posts'), t('J’aime', 'Likes'), t('Partages', 'Reposts'),
        t('Réponses', 'Replies'), t('Citations', 'Quotes'), t('Interactions', 'Engagement'), t('Portée', 'Reach')],
      networks.map((n) => [NETWORKS[n.network] || n.network, formatNumber(n.posts), formatNumber(n.likes),
        formatNumber(n.reposts), formatNumber(n.replies), formatNumber(n.quotes), formatNumber(n.engagement),
        optional(n.reach)]),
      `${prefix}-networks`),
    h('h2', null, t('Publications les plus performantes', 'Best performing posts')),
    top.length
      ? h('div', { class: 'table-scroll' }, h('table', { 'data-testid': `${prefix}-top` },
        h('caption', null, t('Les publications qui ont suscité le plus d’interactions', 'The posts with the most engagement')),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('Publication', 'Post')),
          h('th', { scope: 'col' }, t('Réseau', 'Network')),
          h('th', { scope: 'col' }, t('Date', 'Date')),
          h('th', { scope: 'col', class: 'num' }, t('Interactions', 'Engagement')),
          h('th', { scope: 'col', class: 'num' }, t('Portée', 'Reach')))),
        h('tbody', null, top.map((p) => h('tr', { 'data-testid': 'report-top-post', 'data-post-id': p.post },
          h('th', { scope: 'row' }, h('a', { href: `#/reports/posts/${encodeURIComponent(p.post)}` }, p.excerpt || p.post)),
          h('td', null, isHttps(p.url) ? h('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer' }, NETWORKS[p.network] || p.network) : (NETWORKS[p.network] || p.network)),
          h('td', null, formatDate(p.published_at)),
          h('td', { class: 'num' }, formatNumber(p.engagement)),
          h('td', { class: 'num' }, optional(p.reach)))))))
      : empty(t('Aucune publication sur cette période.', 'No post in this period.')),
  ];
}

async function renderMonth(main, month) {
  const report = await api('GET', `/api/reports/monthly/${encodeURIComponent(month)}`);
  const now = report.totals;
  const before = report.previous;
  const picker = h('input', { type: 'month', name: 'month', value: month, required: true, pattern: '[0-9]{4}-[0-9]{2}',
    'data-testid': 'report-month' });
  const form = h('form', { class: 'image-row', novalidate: true },
    field(t('Mois (AAAA-MM)', 'Month (YYYY-MM)'), picker),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, t('Afficher', 'Show'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (/^\d{4}-\d{2}$/.test(picker.value)) location.hash = `#/reports/${picker.value}`;
  });
  const m = encodeURIComponent(month);
  const svg = (name) => `/reports/monthly/${m}/charts/${name}.svg?lang=${lang}`;
  const figure = (label, key, optionalValue = false) => {
    const show = optionalValue ? optional : formatNumber;
    return [label, show(now[key]), show(before[key])];
  };
  const views = report.audience || {};
  const part = report.participation || {};
  const networks = report.posts.networks || [];

  clear(main);
  append(main,
    pageHeader(t(`Rapport d’activité : ${monthName(month)}`, `Activity report: ${monthName(month)}`)),
    form,
    h('ul', { class: 'plain-list report-links' },
      h('li', null, h('a', { href: `/reports/monthly/${m}?lang=${lang}`, target: '_blank', rel: 'noopener', 'data-testid': 'report-printable' },
        t('Version imprimable', 'Printable version'))),
      h('li', null, h('a', { href: `/api/reports/monthly/${m}/posts.csv`, download: '' }, t('Publications (CSV)', 'Posts (CSV)'))),
      h('li', null, h('a', { href: `/api/reports/monthly/${m}/pages.csv`, download: '' }, t('Pages vues (CSV)', 'Page views (CSV)'))),
      h('li', null, h('a', { href: `/api/reports/monthly/${m}/days.csv`, download: '' }, t('Jour par jour (CSV)', 'Day by day (CSV)')))),

    h('section', { 'aria-labelledby': 'report-key-title' },
      h('h2', { id: 'report-key-title' }, t('Chiffres clés', 'Key figures')),
      table(t('Les chiffres du mois, comparés au mois précédent', 'The month’s figures, compared with the month before'),
        [t('Indicateur', 'Figure'), monthName(month), monthName(report.previous_month)],
        [
          figure(t('Publications sur les réseaux', 'Posts on the networks'), 'posts'),
          figure(t('Interactions', 'Engagement'), 'engagement'),
          figure(t('Portée (Facebook et Instagram)', 'Reach (Facebook and Instagram)'), 'reach', true),
          figure(t('Vues des pages publiques', 'Public page views'), 'views'),
          figure(t('Votes', 'Votes'), 'votes'),
          figure(t('Réponses aux questions', 'Answers to questions'), 'answers'),
          figure(t('Participations aux concours', 'Contest entries'), 'entries'),
          figure(t('Avis sur les tutoriels', 'Tutorial feedback'), 'feedback'),
        ], 'report-key-figures')),

    h('section', { 'aria-labelledby': 'report-networks-title' },
      h('h2', { id: 'report-networks-title' }, t('Réseaux sociaux', 'Social networks')),
      chart(svg('engagement'),
        t(`Graphique : interactions par réseau, ${networks.map((n) => `${NETWORKS[n.network]} ${n.engagement}`).join(', ')} ; détail dans le tableau qui suit.`,
          `Chart: engagement per network, ${networks.map((n) => `${NETWORKS[n.network]} ${n.engagement}`).join(', ')}; figures in the table below.`),
        null),
      postSections(report.posts, 'report')),

    h('section', { 'aria-labelledby': 'report-participation-title' },
      h('h2', { id: 'report-participation-title' }, t('Participation du public', 'Public participation')),
      chart(svg('participation'),
        t(`Graphique : participation par jour, ${part.votes} votes, ${part.answers} réponses, ${part.entries} participations, ${part.feedback} avis ; détail dans le tableau qui suit.`,
          `Chart: participation per day, ${part.votes} votes, ${part.answers} answers, ${part.entries} entries, ${part.feedback} feedback; figures in the table below.`),
        h('details', null, h('summary', null, t('Chiffres par jour', 'Figures per day')),
          table(t('Participation par jour', 'Participation per day'),
            [t('Jour', 'Day'), t('Votes', 'Votes'), t('Réponses', 'Answers'), t('Participations', 'Entries'), t('Avis', 'Feedback')],
            (part.days || []).map((d) => [formatDate(noon(d.day)), formatNumber(d.votes), formatNumber(d.answers),
              formatNumber(d.entries), formatNumber(d.feedback)]), 'report-participation')))),

    h('section', { 'aria-labelledby': 'report-views-title' },
      h('h2', { id: 'report-views-title' }, t('Fréquentation des pages', 'Page views')),
      views.truncated ? incomplete(...VIEWS_INCOMPLETE, 'report-views-incomplete') : null,
      chart(svg('views'),
        t(`Graphique : ${views.views} vues des pages publiques dans le mois, par jour ; détail dans le tableau qui suit.`,
          `Chart: ${views.views} public page views in the month, per day; figures in the table below.`),
        h('details', null, h('summary', null, t('Vues par jour', 'Views per day')),
          table(t('Vues par jour', 'Views per day'), [t('Jour', 'Day'), t('Vues', 'Views')],
            (views.days || []).map((d) => [formatDate(noon(d.day)), formatNumber(d.views)]), 'report-views-days'))),
      chart(svg('sources'),
        t('Graphique : vues par provenance ; détail dans le tableau qui suit.', 'Chart: views per source; figures in the table below.'),
        table(t('Vues par provenance', 'Views per source'), [t('Provenance', 'Source'), t('Vues', 'Views')],
          Object.entries(views.by_source || {}).map(([s, n]) => [SOURCES[s] ? SOURCES[s]() : s, formatNumber(n)]), 'report-sources')),
      (views.top_pages || []).length
        ? table(t('Pages les plus vues', 'Most viewed pages'), [t('Page', 'Page'), t('Vues', 'Views')],
          views.top_pages.map((p) => [p.path, formatNumber(p.total)]), 'report-pages')
        : empty(t('Aucune vue sur cette période.', 'No view in this period.')),
      (views.mastodon_servers || []).length
        ? table(t('Serveurs Mastodon d’où viennent les visiteurs', 'Mastodon servers visitors come from'),
          [t('Serveur', 'Server'), t('Vues', 'Views')],
          views.mastodon_servers.map(([server, n]) => [server, formatNumber(n)]), 'report-servers')
        : null),
  );
}

async function renderCampaign(main, id) {
  const report = await api('GET', `/api/reports/campaigns/${encodeURIComponent(id)}`);
  const c = report.campaign;
  const e = encodeURIComponent(id);
  clear(main);
  append(main,
    pageHeader(t(`Rapport de campagne : ${c.name}`, `Campaign report: ${c.name}`),
      h('a', { href: `#/campaigns/${e}` }, t('Retour à la campagne', 'Back to the campaign'))),
    h('p', null, `${formatDate(noon(c.starts_on))} – ${formatDate(noon(c.ends_on))}`),
    h('ul', { class: 'plain-list report-links' },
      h('li', null, h('a', { href: `/reports/campaigns/${e}?lang=${lang}`, target: '_blank', rel: 'noopener', 'data-testid': 'report-printable' },
        t('Version imprimable', 'Printable version'))),
      h('li', null, h('a', { href: `/api/reports/campaigns/${e}/posts.csv`, download: '' }, t('Publications (CSV)', 'Posts (CSV)')))),
    h('ul', { class: 'figures', 'data-testid': 'campaign-report-figures' },
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(report.posts.posts)), h('span', { class: 'figure-label' }, t('publications', 'posts'))),
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(report.posts.engagement)), h('span', { class: 'figure-label' }, t('interactions', 'engagement'))),
      h('li', null, h('span', { class: 'figure-value' }, optional(report.posts.reach)), h('span', { class: 'figure-label' }, t('portée', 'reach'))),
      h('li', null, h('span', { class: 'figure-value' }, formatNumber(report.mentions)), h('span', { class: 'figure-label' }, t('mentions reçues', 'mentions received')))),
    h('section', { 'aria-labelledby': 'campaign-report-title' },
      h('h2', { id: 'campaign-report-title' }, t('Réseaux sociaux', 'Social networks')),
      postSections(report.posts, 'campaign-report')),
  );
}

async function renderPost(main, id) {
  const report = await api('GET', `/api/reports/posts/${encodeURIComponent(id)}`);
  const channels = report.channels || [];
  clear(main);
  append(main,
    pageHeader(t('Statistiques de la publication', 'Post statistics'),
      h('a', { href: `#/posts/${encodeURIComponent(id)}` }, t('Voir la publication', 'See the post'))),
    h('p', null, report.excerpt),
    h('p', { 'data-testid': 'post-report-total' }, t(`${formatNumber(report.engagement)} interactions en tout.`,
      `${formatNumber(report.engagement)} interactions in all.`)),
    channels.length
      ? channels.map((c) => h('section', { 'aria-labelledby': `post-report-${c.channel}`, 'data-testid': 'post-report-channel' },
        h('h2', { id: `post-report-${c.channel}` }, NETWORKS[c.kind] || c.kind, ' — ', STATES[c.state] ? STATES[c.state]() : c.state),
        isHttps(c.url) ? h('p', null, h('a', { href: c.url, target: '_blank', rel: 'noopener noreferrer' }, t('Voir sur le réseau', 'See on the network'))) : null,
        (c.history || []).length
          ? table(t('Relevés successifs', 'Successive readings'),
            [t('Relevé', 'Reading'), t('J’aime', 'Likes'), t('Partages', 'Reposts'), t('Réponses', 'Replies'),
              t('Citations', 'Quotes'), t('Portée', 'Reach')],
            c.history.map((s) => [`${formatDateTime(s.at)} (${s.after_hours} h)`, formatNumber(s.counts.likes),
              formatNumber(s.counts.reposts), formatNumber(s.counts.replies), formatNumber(s.counts.quotes),
              optional(s.counts.reach)]), 'post-report-history')
          : empty(t('Pas encore de relevé : le premier a lieu une heure après la publication.',
            'No reading yet: the first is taken an hour after publication.'))))
      : empty(t('Aucun chiffre : la publication n’est parue sur aucun réseau suivi.',
        'No figures: the post went out on no followed network.')),
  );
}

export async function render(main, params) {
  const path = location.hash.replace(/^#/, '').split('?')[0];
  if (path.startsWith('/reports/campaigns/')) return renderCampaign(main, params.id);
  if (path.startsWith('/reports/posts/')) return renderPost(main, params.id);
  return renderMonth(main, params.month || lastMonth());
}
