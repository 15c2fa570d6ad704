// What several screens need about posts: state names, channel names, the schedule body, and
// the dialogs to move a post, approve it or send it back. (Used by the dashboard, calendar,
// composer, post and approvals screens.)

import { api } from './api.js';
import { t, formatDateTime, toParisParts, TIME_ZONE, timeZoneLabel } from './i18n.js';
import { h, field, openDialog, setFieldError, badge } from './ui.js';

const STATES = {
  draft: () => t('Brouillon', 'Draft'),
  awaiting_approval: () => t('En attente de validation', 'Awaiting approval'),
  scheduled: () => t('Programmée', 'Scheduled'),
  publishing: () => t('En cours de publication', 'Publishing'),
  published: () => t('Publiée', 'Published'),
  failed: () => t('Échec', 'Failed'),
  cancelled: () => t('Annulée', 'Cancelled'),
};

/** The translated name of a post state. */
export function stateName(state) {
  return STATES[state] ? STATES[state]() : state;
}

/** A badge showing a post's state, with data-state for tests and styles. */
export function stateBadge(state) {
  const el = badge(stateName(state), state);
  el.dataset.state = state;
  return el;
}

/** Posts that may still be (re)scheduled. */
export function isMovable(post) {
  return ['draft', 'scheduled', 'failed', 'awaiting_approval'].includes(post.state);
}

const KINDS = { mastodon: 'Mastodon', bluesky: 'Bluesky', facebook: 'Facebook', instagram: 'Instagram', webhook: 'Webhook' };
export function kindName(kind) {
  return KINDS[kind] || kind;
}

/** The channels, as a Map id → channel. An empty map when they cannot be read. */
export async function loadChannels() {
  try {
    const data = await api('GET', '/api/channels');
    return new Map((data.channels || []).map((c) => [c.id, c]));
  } catch (error) {
    if (error.status === 401) throw error;
    return new Map();
  }
}

/** "Médiathèque (Mastodon)" or the raw id when the channel is unknown (deleted). */
export function channelLabel(channels, id) {
  const c = channels.get(id);
  return c ? `${c.name} (${kindName(c.kind)})` : id;
}

/** The first line of a text, cut to `n` characters. */
export function excerpt(text, n = 80) {
  const line = String(text || '').trim().split('\n')[0];
  return line.length > n ? `${line.slice(0, n - 1)}…` : line;
}

/** A post's chosen wall-clock date and time ({date, time}) in its zone, or from due_at. */
export function localWhen(post) {
  const s = post.schedule;
  if (s && typeof s.local === 'string' && s.local.includes('T')) {
    const [date, time] = s.local.split('T');
    return { date, time: time.slice(0, 5) };
  }
  if (s && s.due_at) return toParisParts(s.due_at);
  return { date: '', time: '' };
}

/** "lundi 3 mars 2025 à 09:30" for a post's schedule, or ''. */
export function whenText(post) {
  const s = post.schedule;
  return s && s.due_at ? formatDateTime(s.due_at) : '';
}

/** The body of POST /api/posts/:id/schedule for a date and time in the library's zone. */
export function scheduleBody(date, time) {
  return { at: `${date}T${time}`, zone: TIME_ZONE };
}

/** Schedules (or moves) a post; answers the post JSON. */
export function schedulePost(id, date, time) {
  return api('POST', `/api/posts/${encodeURIComponent(id)}/schedule`, scheduleBody(date, time));
}

/**
 * The keyboard (and touch) way to move a post: a dialog with a date and a time.
 * Resolves {date, time} or null when cancelled.
 */
export async function moveDialog(post) {
  const current = localWhen(post);
  const date = h('input', { type: 'date', name: 'date', required: true, value: current.date,
    'data-testid': 'move-date' });
  const time = h('input', { type: 'time', name: 'time', required: true, value: current.time || '09:00',
    step: 60, 'data-testid': 'move-time' });
  const data = await openDialog({
    title: t('Déplacer la publication', 'Move the post'),
    content: [
      h('p', null, excerpt(post.text || (post.content && post.content.text) || '', 120)),
      field(t('Date', 'Date'), date),
      field(t('Heure', 'Time'), time, null,
        { hint: t(`${timeZoneLabel()}, format 24 h.`, `${timeZoneLabel()}, 24-hour clock.`) }),
    ],
    submitLabel: t('Déplacer', 'Move'),
    form: true,
    testid: 'move-dialog',
    validate: () => {
      let ok = true;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date.value)) {
        setFieldError(date, t('Indiquez une date (AAAA-MM-JJ).', 'Give a date (YYYY-MM-DD).'));
        ok = false;
      }
      if (!/^\d{2}:\d{2}/.test(time.value)) {
        setFieldError(time, t('Indiquez une heure (HH:MM).', 'Give a time (HH:MM).'));
        ok = false;
      }
      return ok;
    },
  });
  return data ? { date: data.get('date'), time: String(data.get('time')).slice(0, 5) } : null;
}

/** Approves a post (administrator); answers the post JSON. */
export function approvePost(id, version) {
  // The version shown to the administrator: if the editor changed the post since, the server
  // answers 409 and nothing unread is approved.
  return api('POST', `/api/posts/${encodeURIComponent(id)}/approve`, version === undefined ? {} : { version });
}

/**
 * Asks for the comment, then sends the post back to its author. Resolves the post JSON, or
 * null when cancelled.
 */
export async function sendBackWithComment(id) {
  const comment = h('textarea', { name: 'comment', required: true, rows: 4, maxlength: 1000,
    'data-testid': 'send-back-comment' });
  const data = await openDialog({
    title: t('Renvoyer pour correction', 'Send back for changes'),
    content: [
      field(t('Commentaire pour l’auteur·rice', 'Comment for the author'), comment, null,
        { hint: t('Dites ce qu’il faut changer. La publication redevient un brouillon.',
          'Say what needs changing. The post becomes a draft again.') }),
    ],
    submitLabel: t('Renvoyer', 'Send back'),
    form: true,
    testid: 'send-back-dialog',
    validate: () => {
      if (!comment.value.trim()) {
        setFieldError(comment, t('Le commentaire est obligatoire.', 'The comment is required.'));
        return false;
      }
      return true;
    },
  });
  if (!data) return null;
  return api('POST', `/api/posts/${encodeURIComponent(id)}/send-back`, { comment: String(data.get('comment')).trim() });
}

/** The post's review (after a send-back) as a notice, or null. */
export function reviewNotice(post) {
  const r = post.review;
  if (!r || !r.comment) return null;
  const by = r.by && typeof r.by === 'object' ? (r.by.name || r.by.id) : r.by;
  return h('div', { class: 'notice', 'data-testid': 'post-review' },
    h('p', null, h('strong', null, t('Renvoyée pour correction', 'Sent back for changes')),
      by ? ` — ${by}` : '', r.at ? `, ${formatDateTime(r.at)}` : ''),
    h('p', { class: 'preview-text' }, r.comment));
}
