// Calendar of posts: month and week views of the posts scheduled on each date of the library's zone.
//
// - Data: GET /api/posts?from=&to= (local dates, at most 62 days: a month grid is 42 at most),
//   which answers full posts ordered by due time.
// - Rescheduling: drag a post chip to another day (month) or hour (week), or — the keyboard and
//   touch way, always present — its "Move" button, which opens a date/time dialog. Both call
//   POST /api/posts/:id/schedule {"at": "YYYY-MM-DDTHH:MM", "zone": <the library's zone>}.
// - An empty day (or hour) opens the composer with that date: the "+" button in each cell for
//   the keyboard, a click anywhere on the cell's empty space for the mouse.
// The view and date are kept in the hash (#/calendar?view=week&date=2025-03-10) with
// history.replaceState, so a reload comes back here without moving focus on every step.

import { api, qs } from '../api.js';
import { t, formatDate, parisToday, timeZoneLabel } from '../i18n.js';
import { h, clear, pageHeader, announce, errorBox, errorMessage, loading, append } from '../ui.js';
import { addDays, addMonths, startOfWeek, firstOfMonth, daysInMonth, datesBetween, noon, isDate } from '../dates.js';
import { stateName, isMovable, excerpt, localWhen, schedulePost, moveDialog, loadChannels, channelLabel } from '../posts.js';

// The week view's rows: library hours. A post before 07:00 shows in the 07:00 row and one
// after 22:59 in the 22:00 row (its chip gives its real time), which keeps the grid, and the
// number of "+" buttons a keyboard user tabs through, reasonable.
const FIRST_HOUR = 7;
const LAST_HOUR = 22;
const HOURS = Array.from({ length: LAST_HOUR - FIRST_HOUR + 1 }, (_, i) => FIRST_HOUR + i);
const rowHour = (hour) => Math.min(LAST_HOUR, Math.max(FIRST_HOUR, hour));

export async function render(main, params, ctx) {
  const state = {
    view: params.view === 'week' ? 'week' : 'month',
    date: isDate(params.date) ? params.date : parisToday(),
    channels: new Map(),
    dragging: null, // the post id being dragged
  };
  const canEdit = ctx.can('edit');

  const title = h('h2', { id: 'calendar-title', 'aria-live': 'polite', 'data-testid': 'calendar-title' });
  const monthButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'calendar-view-month',
    onclick: () => { state.view = 'month'; refresh(); } }, t('Mois', 'Month'));
  const weekButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'calendar-view-week',
    onclick: () => { state.view = 'week'; refresh(); } }, t('Semaine', 'Week'));
  const prev = h('button', { type: 'button', class: 'secondary', 'data-testid': 'calendar-prev',
    onclick: () => step(-1) });
  const next = h('button', { type: 'button', class: 'secondary', 'data-testid': 'calendar-next',
    onclick: () => step(1) });
  const today = h('button', { type: 'button', class: 'secondary', 'data-testid': 'calendar-today',
    onclick: () => { state.date = parisToday(); refresh(); } }, t('Aujourd’hui', 'Today'));
  const grid = h('div', { class: 'table-scroll', 'data-testid': 'calendar-grid' });
  const help = h('p', { class: 'hint', id: 'calendar-help' }, t(
    'Glissez une publication vers un autre jour, ou utilisez son bouton « Déplacer ». Le bouton « + » d’un jour crée une publication à cette date. Dates en ' + timeZoneLabel() + '.',
    'Drag a post to another day, or use its “Move” button. A day’s “+” button creates a post on that date. Dates in ' + timeZoneLabel() + '.'));

  clear(main);
  append(main, 
    pageHeader(t('Calendrier des publications', 'Post calendar'),
      canEdit ? h('a', { class: 'button primary', href: '#/compose', 'data-testid': 'calendar-compose' },
        t('Nouvelle publication', 'New post')) : null),
    h('div', { class: 'calendar-toolbar' },
      h('div', { class: 'segmented', role: 'group', 'aria-label': t('Vue', 'View') }, monthButton, weekButton),
      h('div', { class: 'actions' }, prev, today, next),
      title),
    help,
    grid,
  );

  function step(n) {
    state.date = state.view === 'month' ? addMonths(state.date, n) : addDays(state.date, 7 * n);
    refresh();
  }

  function range() {
    if (state.view === 'week') {
      const from = startOfWeek(state.date);
      return { from, to: addDays(from, 6) };
    }
    const first = firstOfMonth(state.date);
    const from = startOfWeek(first);
    const last = `${first.slice(0, 8)}${String(daysInMonth(first)).padStart(2, '0')}`;
    return { from, to: addDays(startOfWeek(last), 6) };
  }

  async function refresh(focusPostId) {
    // Remember the view in the address without a hashchange (which would re-render and
    // move focus to the h1).
    const hash = `#/calendar${qs({ view: state.view, date: state.date })}`;
    ctx.replaceAddress(hash);

    monthButton.setAttribute('aria-pressed', String(state.view === 'month'));
    weekButton.setAttribute('aria-pressed', String(state.view === 'week'));
    prev.textContent = state.view === 'month' ? t('‹ Mois précédent', '‹ Previous month') : t('‹ Semaine précédente', '‹ Previous week');
    next.textContent = state.view === 'month' ? t('Mois suivant ›', 'Next month ›') : t('Semaine suivante ›', 'Next week ›');
    const { from, to } = range();
    title.textContent = state.view === 'month'
      ? formatDate(noon(state.date), { dateStyle: undefined, month: 'long', year: 'numeric' })
      : t(`Semaine du ${formatDate(noon(from))} au ${formatDate(noon(to))}`,
        `Week of ${formatDate(noon(from))} to ${formatDate(noon(to))}`);

    clear(grid).append(loading());
    let data;
    try {
      data = await api('GET', `/api/posts${qs({ from, to })}`);
    } catch (error) {
      clear(grid).append(errorBox(error));
      return;
    }
    const byDay = new Map();
    for (const post of data.posts || []) {
      const when = localWhen(post);
      const day = (post.schedule && post.schedule.day) || when.date;
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(post);
    }
    clear(grid);
    drawn.clear();
    if (data.truncated) {
      grid.append(h('p', { class: 'notice' }, t('Trop de publications sur cette période : certaines ne sont pas affichées.',
        'Too many posts in this period: some are not shown.')));
    }
    grid.append(state.view === 'month' ? monthTable(from, to, byDay) : weekTable(from, byDay));
    if (focusPostId) {
      const target = grid.querySelector(`[data-post-id="${CSS.escape(focusPostId)}"] a`);
      if (target) target.focus();
    }
  }

  // ---- Tables ------------------------------------------------------------------------------

  function weekdayHeaders(from, withTime) {
    return h('thead', null, h('tr', null,
      withTime ? h('th', { scope: 'col', class: 'slot-time' }, h('span', { class: 'visually-hidden' }, t('Heure', 'Time'))) : null,
      datesBetween(from, addDays(from, 6)).map((d) => h('th', { scope: 'col' },
        state.view === 'week'
          ? formatDate(noon(d), { dateStyle: undefined, weekday: 'short', day: 'numeric', month: 'short' })
          : h('span', null, h('span', { 'aria-hidden': 'true' }, formatDate(noon(d), { dateStyle: undefined, weekday: 'short' })),
            h('span', { class: 'visually-hidden' }, formatDate(noon(d), { dateStyle: undefined, weekday: 'long' })))))));
  }

  function monthTable(from, to, byDay) {
    const month = state.date.slice(0, 7);
    const todayDate = parisToday();
    const body = h('tbody');
    let row = null;
    for (const d of datesBetween(from, to)) {
      if (!row || row.children.length === 7) {
        row = h('tr');
        body.append(row);
      }
      const posts = byDay.get(d) || [];
      row.append(dayCell(d, null, posts, {
        outside: d.slice(0, 7) !== month,
        today: d === todayDate,
        past: d < todayDate,
      }));
    }
    return h('table', { class: 'calendar month', 'aria-describedby': 'calendar-help' },
      h('caption', { class: 'visually-hidden' }, title.textContent),
      weekdayHeaders(from, false), body);
  }

  function weekTable(from, byDay) {
    const days = datesBetween(from, addDays(from, 6));
    const todayDate = parisToday();
    const body = h('tbody');
    for (const hour of HOURS) {
      const label = `${String(hour).padStart(2, '0')}:00`;
      body.append(h('tr', null,
        h('th', { scope: 'row', class: 'slot-time' }, label),
        days.map((d) => {
          const posts = (byDay.get(d) || []).filter((p) => rowHour(Number(localWhen(p).time.slice(0, 2))) === hour);
          return dayCell(d, label, posts, { today: d === todayDate, past: d < todayDate });
        })));
    }
    return h('table', { class: 'calendar week', 'aria-describedby': 'calendar-help' },
      h('caption', { class: 'visually-hidden' }, title.textContent),
      weekdayHeaders(from, true), body);
  }

  /** One day (month view) or one hour of a day (week view, `slot` = "HH:00"). */
  function dayCell(date, slot, posts, flags) {
    const dayLabel = formatDate(noon(date), { dateStyle: 'full' });
    const composeHash = `#/compose${qs({ date, time: slot || '' })}`;
    const cell = h('td', {
      class: [flags.outside && 'outside', flags.today && 'today', flags.past && 'past'],
      'data-testid': 'calendar-day',
      'data-date': date,
      'data-slot': slot,
    });
    const head = h('div', { class: 'day-head' },
      slot ? h('span', { class: 'visually-hidden' }, `${dayLabel} ${slot}`)
        : h('span', { class: 'day-number' }, h('span', { 'aria-hidden': 'true' }, String(Number(date.slice(8, 10)))),
          h('span', { class: 'visually-hidden' }, dayLabel)),
      canEdit ? h('a', {
        class: 'button small day-add',
        href: composeHash,
        'data-testid': 'day-add',
        'data-date': date,
        'aria-label': slot
          ? t(`Nouvelle publication le ${dayLabel} à ${slot}`, `New post on ${dayLabel} at ${slot}`)
          : t(`Nouvelle publication le ${dayLabel}`, `New post on ${dayLabel}`),
      }, '+') : null);
    cell.append(head);
    if (posts.length) cell.append(h('ul', { class: 'chips' }, posts.map(chip)));

    if (canEdit) {
      // Mouse convenience: a click on the cell's empty space opens the composer on that date.
      cell.addEventListener('click', (event) => {
        if (event.target.closest('a, button, .chip')) return;
        ctx.navigate(composeHash);
      });
      // Drop target for drag-and-drop rescheduling.
      cell.addEventListener('dragover', (event) => {
        if (!state.dragging) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'move';
        cell.classList.add('drop-target');
      });
      cell.addEventListener('dragleave', (event) => {
        if (!cell.contains(event.relatedTarget)) cell.classList.remove('drop-target');
      });
      cell.addEventListener('drop', (event) => {
        event.preventDefault();
        cell.classList.remove('drop-target');
        const id = state.dragging || event.dataTransfer.getData('text/plain');
        state.dragging = null;
        const post = findPost(id);
        if (!post) return;
        const when = localWhen(post);
        // A month cell keeps the time; a week cell sets the hour and keeps the minutes.
        const time = slot ? `${slot.slice(0, 2)}:${(when.time || '00:00').slice(3, 5)}` : (when.time || '09:00');
        if (date === when.date && time === when.time) return;
        move(post, date, time);
      });
    }
    return cell;
  }

  // Posts drawn in the grid, by id, for drop and move.
  const drawn = new Map();
  function findPost(id) {
    return drawn.get(id) || null;
  }

  function chip(post) {
    drawn.set(post.id, post);
    const when = localWhen(post);
    const text = (post.content && post.content.text) || post.text || '';
    const channels = (post.targets || []).map((target) => channelLabel(state.channels, target.channel)).join(', ');
    const movable = canEdit && isMovable(post);
    const li = h('li', {
      class: ['chip', `chip-${post.state}`],
      'data-testid': 'post-chip',
      'data-post-id': post.id,
      'data-state': post.state,
      draggable: movable ? 'true' : null,
      title: channels || null,
    },
    h('span', { class: 'chip-time' }, when.time),
    h('a', { href: `#/posts/${encodeURIComponent(post.id)}`, 'data-testid': 'post-chip-link' },
      excerpt(text, 60) || t('(sans texte)', '(no text)'),
      h('span', { class: 'visually-hidden' }, ` — ${stateName(post.state)}${channels ? ` — ${channels}` : ''}`)),
    movable ? h('button', {
      type: 'button',
      class: 'secondary small chip-move',
      'data-testid': 'chip-move',
      'aria-label': t(`Déplacer : ${excerpt(text, 40)}`, `Move: ${excerpt(text, 40)}`),
      onclick: async () => {
        const target = await moveDialog(post);
        if (target) move(post, target.date, target.time);
      },
    }, t('Déplacer', 'Move')) : null);

    if (movable) {
      li.addEventListener('dragstart', (event) => {
        state.dragging = post.id;
        event.dataTransfer.effectAllowed = 'move';
        // Firefox starts a drag only when some data is set.
        event.dataTransfer.setData('text/plain', post.id);
        li.classList.add('dragging');
      });
      li.addEventListener('dragend', () => {
        state.dragging = null;
        li.classList.remove('dragging');
        for (const c of grid.querySelectorAll('.drop-target')) c.classList.remove('drop-target');
      });
    }
    return li;
  }

  async function move(post, date, time) {
    try {
      const updated = await schedulePost(post.id, date, time);
      const label = `${formatDate(noon(date), { dateStyle: 'full' })} ${time}`;
      announce(updated && updated.state === 'awaiting_approval'
        ? t(`Publication déplacée au ${label}, en attente de validation.`, `Post moved to ${label}, awaiting approval.`)
        : t(`Publication déplacée au ${label}.`, `Post moved to ${label}.`));
      // Follow the post if it left the visible period.
      const { from, to } = range();
      if (date < from || date > to) state.date = date;
      await refresh(post.id);
    } catch (error) {
      announce(t(`Déplacement impossible : ${errorMessage(error)}`, `Could not move: ${errorMessage(error)}`));
      grid.prepend(h('div', { class: 'error-box', role: 'alert' },
        t(`Déplacement impossible : ${errorMessage(error)}`, `Could not move: ${errorMessage(error)}`)));
    }
  }

  state.channels = await loadChannels();
  await refresh();
}
