// Dashboard: what goes out today and this week, what went wrong (failed posts, channels to
// reconnect), what waits for someone (approvals, moderation queues), open polls and contests
// with their figures, live and upcoming events. Each card loads on its own: one failing API
// shows an error in its card, not a broken screen.
//
// Endpoints (all GET): /api/posts?from=&to=, /api/posts?state=failed,
// /api/posts?state=awaiting_approval, /api/channels, /api/campaigns,
// /api/campaigns/:id/queue?status=pending&per_page=1, /api/questions,
// /api/questions/:id/queue?status=pending&limit=100, /api/contests,
// /api/contests/:id/queue?status=pending&limit=100, /api/polls?status=open,
// /api/polls/:id/results, /api/events, /api/reports/recent.

import { api, qs } from '../api.js';
import { t, formatDate, formatDateTime, formatTime, formatNumber, parisToday } from '../i18n.js';
import { h, clear, pageHeader, errorBox, empty, loading, badge, append } from '../ui.js';
import { addDays, noon } from '../dates.js';
import { stateBadge, excerpt, localWhen, loadChannels, channelLabel } from '../posts.js';

// At most this many items are looked into per kind (each costs a request).
const LOOK_AT = 10;

function card(title, testid, wide = false) {
  const body = h('div', null, loading());
  const el = h('section', { class: ['card', wide && 'card-wide'], 'aria-labelledby': `${testid}-title`, 'data-testid': testid },
    h('h2', { id: `${testid}-title` }, title), body);
  return { el, body };
}

async function fill(target, loader) {
  try {
    const nodes = await loader();
    clear(target.body).append(...[nodes].flat().filter(Boolean));
  } catch (error) {
    if (error.status === 401) throw error;
    clear(target.body).append(errorBox(error));
  }
}

/** Counts "50+" when a queue has more than one page. */
function countText(n, more) {
  return more ? `${formatNumber(n)}+` : formatNumber(n);
}

/** A configuration problem the server reports to administrators (`/api/staff/me`). */
function configWarning(code) {
  const text = code === 'public_base_url_unset'
    ? t('La variable public_base_url n’est pas définie : les liens et la sécurité des cookies dépendent de l’adresse de chaque requête. Définissez-la avec l’adresse publique en https du site (voir le README, « Production »).',
      'The public_base_url variable is not set: links and cookie security depend on each request’s address. Set it to the site’s public https address (see the README, “Production”).')
    : code;
  return h('p', { class: 'notice', role: 'status', 'data-testid': 'dash-warning', 'data-warning': code }, text);
}

export async function render(main, params, ctx) {
  const today = parisToday();
  const weekEnd = addDays(today, 6);
  const channels = await loadChannels();

  const week = card(t('Cette semaine', 'This week'), 'dash-week', true);
  const problems = card(t('À surveiller', 'Needs attention'), 'dash-problems');
  const waiting = card(t('En attente', 'Waiting'), 'dash-queues');
  const polls = card(t('Sondages ouverts', 'Open polls'), 'dash-polls');
  const contests = card(t('Concours en cours', 'Running contests'), 'dash-contests');
  const events = card(t('Événements en cours et à venir', 'Live and upcoming events'), 'dash-events');
  const recent = card(t('Les 30 derniers jours', 'The last 30 days'), 'dash-recent', true);

  clear(main);
  append(main, 
    pageHeader(t('Tableau de bord', 'Dashboard'),
      ctx.can('edit') ? h('a', { class: 'button primary', href: '#/compose', 'data-testid': 'dash-compose' }, t('Nouvelle publication', 'New post')) : null),
    h('p', null, t(`Bonjour ${ctx.me.name}.`, `Hello ${ctx.me.name}.`), ' ',
      h('span', { class: 'muted' }, formatDate(noon(today), { dateStyle: 'full' }))),
    ...(ctx.warnings || []).map(configWarning),
    week.el,
    h('div', { class: 'cards' }, problems.el, waiting.el, polls.el, contests.el, events.el),
    ctx.can('view') ? recent.el : null,
  );

  const postLine = (post) => {
    const when = localWhen(post);
    const text = (post.content && post.content.text) || '';
    return h('li', { 'data-testid': 'dash-post', 'data-post-id': post.id },
      h('span', { class: 'chip-time' }, when.time), ' ',
      h('a', { href: `#/posts/${encodeURIComponent(post.id)}` }, excerpt(text, 70) || post.id), ' ',
      stateBadge(post.state), ' ',
      h('span', { class: 'muted' }, (post.targets || []).map((target) => channelLabel(channels, target.channel)).join(', ')));
  };

  await Promise.all([
    // What goes out today and in the next six days, by day.
    fill(week, async () => {
      const data = await api('GET', `/api/posts${qs({ from: today, to: weekEnd })}`);
      const posts = (data.posts || []).filter((p) => p.state !== 'cancelled');
      if (!posts.length) {
        return [empty(t('Rien de prévu cette semaine.', 'Nothing planned this week.')),
          ctx.can('edit') ? h('p', null, h('a', { href: `#/calendar` }, t('Ouvrir le calendrier', 'Open the calendar'))) : null];
      }
      const byDay = new Map();
      for (const post of posts) {
        const day = (post.schedule && post.schedule.day) || localWhen(post).date;
        if (!byDay.has(day)) byDay.set(day, []);
        byDay.get(day).push(post);
      }
      const out = [];
      for (const [day, list] of [...byDay.entries()].sort()) {
        out.push(h('h3', null, day === today ? t('Aujourd’hui', 'Today') : formatDate(noon(day), { dateStyle: 'full' })),
          h('ul', { class: 'plain-list' }, list.map(postLine)));
      }
      out.push(h('p', null, h('a', { href: `#/calendar?view=week&date=${today}` }, t('Voir la semaine dans le calendrier', 'See the week in the calendar'))));
      return out;
    }),

    // Failed posts and channels that cannot publish.
    fill(problems, async () => {
      const failed = await api('GET', `/api/posts${qs({ state: 'failed' })}`);
      const broken = [...channels.values()].filter((c) => c.status === 'needs_reconnect' || c.status === 'unreachable');
      const out = [];
      if (broken.length) {
        out.push(h('h3', null, t('Canaux à reconnecter', 'Channels to reconnect')),
          h('ul', null, broken.map((c) => h('li', { 'data-testid': 'dash-channel', 'data-channel-id': c.id },
            ctx.can('administer') ? h('a', { href: '#/channels' }, c.name) : c.name, ' ',
            badge(c.status === 'needs_reconnect' ? t('à reconnecter', 'needs reconnecting') : t('injoignable', 'unreachable'), c.status)))));
      }
      const failedPosts = (failed.posts || []).slice(0, LOOK_AT);
      if (failedPosts.length) {
        out.push(h('h3', null, t('Publications en échec', 'Failed posts')),
          h('ul', null, failedPosts.map((p) => h('li', { 'data-testid': 'dash-failed', 'data-post-id': p.id },
            h('a', { href: `#/posts/${encodeURIComponent(p.id)}` }, excerpt(p.content && p.content.text, 60) || p.id),
            p.reason ? h('span', { class: 'muted' }, ` — ${p.reason}`) : null))));
      }
      return out.length ? out : empty(t('Tout va bien : aucun échec, aucun canal à reconnecter.', 'All good: no failure, no channel to reconnect.'));
    }),

    // Approvals and moderation queues.
    fill(waiting, async () => {
      const nowIso = new Date().toISOString();
      const [approvals, campaigns, questions, contestList] = await Promise.all([
        api('GET', `/api/posts${qs({ state: 'awaiting_approval' })}`).catch(() => null),
        api('GET', '/api/campaigns').catch(() => ({ campaigns: [] })),
        api('GET', '/api/questions').catch(() => ({ questions: [] })),
        api('GET', '/api/contests').catch(() => ({ contests: [] })),
      ]);
      const rows = [];
      if (approvals) {
        const n = (approvals.posts || []).length;
        rows.push(h('li', { 'data-testid': 'dash-approvals', 'data-count': n },
          ctx.can('publish') ? h('a', { href: '#/approvals' }, t('Publications à valider', 'Posts to approve')) : t('Publications à valider', 'Posts to approve'),
          ` : ${countText(n, approvals.next_page)}`));
      }
      const running = (campaigns.campaigns || []).map((i) => i.campaign || i)
        .filter((c) => c.starts_on <= today && today <= c.ends_on).slice(0, LOOK_AT);
      const openQuestions = (questions.questions || []).map((i) => i.question || i).filter((q) => q.open).slice(0, LOOK_AT);
      const activeContests = (contestList.contests || []).filter((c) => c.submissions_open <= nowIso
        && nowIso <= (c.voting_close || c.submissions_close)).slice(0, LOOK_AT);
      const counted = await Promise.all([
        ...running.map(async (c) => {
          const q = await api('GET', `/api/campaigns/${encodeURIComponent(c.id)}/queue${qs({ status: 'pending', per_page: 1 })}`);
          return { kind: t('Mur', 'Wall'), name: c.name, href: `#/campaigns/${encodeURIComponent(c.id)}`, n: q.total, more: false };
        }),
        ...openQuestions.map(async (q) => {
          const queue = await api('GET', `/api/questions/${encodeURIComponent(q.id)}/queue${qs({ status: 'pending', limit: 100 })}`);
          return { kind: t('Question', 'Question'), name: excerpt(q.text, 50), href: `#/questions/${encodeURIComponent(q.id)}`,
            n: (queue.answers || []).length, more: Boolean(queue.next_from) };
        }),
        ...activeContests.map(async (c) => {
          const queue = await api('GET', `/api/contests/${encodeURIComponent(c.id)}/queue${qs({ status: 'pending', limit: 100 })}`);
          return { kind: t('Concours', 'Contest'), name: c.title, href: `#/contests/${encodeURIComponent(c.id)}`,
            n: (queue.entries || []).length, more: Boolean(queue.next_from) };
        }),
      ].map((p) => p.catch(() => null)));
      for (const q of counted.filter(Boolean)) {
        rows.push(h('li', { 'data-testid': 'dash-queue' }, `${q.kind} — `, h('a', { href: q.href }, q.name),
          ` : ${countText(q.n, q.more)} `, q.n ? badge(t('à modérer', 'to moderate'), 'pending') : null));
      }
      return rows.length ? h('ul', null, rows) : empty(t('Aucune file en attente.', 'No queue waiting.'));
    }),

    // Open polls and their number of voters.
    fill(polls, async () => {
      const data = await api('GET', `/api/polls${qs({ status: 'open' })}`);
      const list = (data.polls || []).slice(0, LOOK_AT);
      if (!list.length) return empty(t('Aucun sondage ouvert.', 'No open poll.'));
      const results = await Promise.all(list.map((p) => api('GET', `/api/polls/${encodeURIComponent(p.id)}/results`).catch(() => null)));
      return h('ul', null, list.map((p, i) => h('li', { 'data-testid': 'dash-poll', 'data-poll-id': p.id },
        h('a', { href: `#/polls/${encodeURIComponent(p.id)}` }, p.question), ' : ',
        results[i] ? t(`${formatNumber(results[i].ballots)} votant·es`, `${formatNumber(results[i].ballots)} voters`) : '—',
        p.closes_at ? h('span', { class: 'muted' }, t(` — ferme le ${formatDateTime(p.closes_at)}`, ` — closes ${formatDateTime(p.closes_at)}`)) : null)));
    }),

    // Contests whose submissions or vote are open, with entries.
    fill(contests, async () => {
      const nowIso = new Date().toISOString();
      const data = await api('GET', '/api/contests');
      const list = (data.contests || []).filter((c) => c.submissions_open <= nowIso && nowIso <= (c.voting_close || c.submissions_close))
        .slice(0, LOOK_AT);
      if (!list.length) return empty(t('Aucun concours en cours.', 'No running contest.'));
      const queues = await Promise.all(list.map((c) => api('GET', `/api/contests/${encodeURIComponent(c.id)}/queue${qs({ limit: 1 })}`).catch(() => null)));
      return h('ul', null, list.map((c, i) => {
        const phase = nowIso <= c.submissions_close ? t('participations ouvertes', 'entries open') : t('vote en cours', 'voting');
        return h('li', { 'data-testid': 'dash-contest', 'data-contest-id': c.id },
          h('a', { href: `#/contests/${encodeURIComponent(c.id)}` }, c.title), ` — ${phase}`,
          queues[i] ? t(` : ${formatNumber(queues[i].submitted)} participation(s)`, `: ${formatNumber(queues[i].submitted)} entries`) : '');
      }));
    }),

    // The last 30 days at a glance: views, engagement per network, participation, best posts.
    ctx.can('view') ? fill(recent, async () => {
      const r = await api('GET', '/api/reports/recent');
      const networks = (r.networks || []).filter((n) => n.posts > 0);
      const names = { mastodon: 'Mastodon', bluesky: 'Bluesky', facebook: 'Facebook', instagram: 'Instagram' };
      return [
        h('ul', { class: 'figures', 'data-testid': 'dash-recent-figures' },
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.views)), h('span', { class: 'figure-label' }, t('vues des pages', 'page views'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.posts)), h('span', { class: 'figure-label' }, t('publications', 'posts'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.engagement)), h('span', { class: 'figure-label' }, t('interactions', 'engagement'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.votes)), h('span', { class: 'figure-label' }, t('votes', 'votes'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.answers)), h('span', { class: 'figure-label' }, t('réponses', 'answers'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.entries)), h('span', { class: 'figure-label' }, t('participations', 'entries'))),
          h('li', null, h('span', { class: 'figure-value' }, formatNumber(r.feedback)), h('span', { class: 'figure-label' }, t('avis', 'feedback')))),
        // A report reads a bounded number of posts and pages: past that, it says it is partial.
        r.posts_truncated
          ? h('p', { class: 'notice', 'data-testid': 'dash-recent-posts-incomplete' },
            t('Chiffres incomplets : ces 30 jours comptent plus de publications que ce qu’un rapport lit en une fois, certaines publications manquent.',
              'Incomplete figures: these 30 days have more posts than a report reads at once, some posts are missing.'))
          : null,
        r.views_truncated
          ? h('p', { class: 'notice', 'data-testid': 'dash-recent-views-incomplete' },
            t('Chiffres incomplets : ces 30 jours ont compté plus de pages distinctes que ce qu’un rapport lit en une fois, les vues de certaines pages manquent.',
              'Incomplete figures: these 30 days counted more distinct pages than a report reads at once, the views of some pages are missing.'))
          : null,
        networks.length
          ? [h('h3', null, t('Interactions par réseau', 'Engagement per network')),
            h('ul', null, networks.map((n) => h('li', { 'data-testid': 'dash-recent-network', 'data-network': n.network },
              `${names[n.network] || n.network} : `, t(`${formatNumber(n.engagement)} interactions, ${formatNumber(n.posts)} publication(s)`,
                `${formatNumber(n.engagement)} interactions, ${formatNumber(n.posts)} post(s)`))))]
          : null,
        (r.top_posts || []).length
          ? [h('h3', null, t('Meilleures publications', 'Best posts')),
            h('ol', null, r.top_posts.map((p) => h('li', { 'data-testid': 'dash-recent-post' },
              h('a', { href: `#/reports/posts/${encodeURIComponent(p.post)}` }, p.excerpt || p.post),
              h('span', { class: 'muted' }, ` — ${names[p.network] || p.network}, ${formatNumber(p.engagement)} interactions`))))]
          : empty(t('Aucune publication ces 30 derniers jours.', 'No post in the last 30 days.')),
        h('p', null, h('a', { href: '#/reports', 'data-testid': 'dash-reports-link' }, t('Voir les rapports', 'See the reports'))),
      ].flat();
    }) : null,

    // Events happening now, then the next ones.
    fill(events, async () => {
      const data = await api('GET', '/api/events');
      const list = (data.events || []).filter((e) => e.phase === 'live' || e.phase === 'upcoming')
        .sort((a, b) => (a.starts_at < b.starts_at ? -1 : 1)).slice(0, 8);
      if (!list.length) return empty(t('Aucun événement à venir.', 'No upcoming event.'));
      return h('ul', null, list.map((e) => h('li', { 'data-testid': 'dash-event', 'data-event-id': e.id },
        e.phase === 'live' ? [badge(t('en cours', 'live'), 'open'), ' '] : null,
        h('a', { href: `#/events/${encodeURIComponent(e.id)}` }, e.title), ' — ',
        formatDate(e.starts_at, { dateStyle: 'medium' }), ' ', formatTime(e.starts_at),
        e.visibility === 'draft' ? h('span', { class: 'muted' }, t(' (brouillon)', ' (draft)'))
          : e.visibility === 'scheduled' ? h('span', { class: 'muted' }, t(' (mise en ligne programmée)', ' (publication scheduled)')) : null)));
    }),
  ]);
}
