// Calendar arithmetic on plain local dates ("YYYY-MM-DD"), free of time zones: the dates are
// Paris wall-clock dates and only ever meet the browser's clock through i18n.js.

/** "2025-03-10" → a Date at UTC midnight of that day (used only for arithmetic). */
function toUtc(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function fromUtc(value) {
  return value.toISOString().slice(0, 10);
}

/** The date `n` days after `date` (n may be negative). */
export function addDays(date, n) {
  const value = toUtc(date);
  value.setUTCDate(value.getUTCDate() + n);
  return fromUtc(value);
}

/** 0 for Monday … 6 for Sunday (French weeks start on Monday). */
export function weekday(date) {
  return (toUtc(date).getUTCDay() + 6) % 7;
}

/** The Monday of the week of `date`. */
export function startOfWeek(date) {
  return addDays(date, -weekday(date));
}

/** "2025-03" → "2025-03-01". */
export function firstOfMonth(date) {
  return `${date.slice(0, 7)}-01`;
}

/** The same day of the month `n` months later, clamped to the month's last day. */
export function addMonths(date, n) {
  const value = toUtc(firstOfMonth(date));
  value.setUTCMonth(value.getUTCMonth() + n);
  const first = fromUtc(value);
  const wanted = Number(date.slice(8, 10));
  const last = daysInMonth(first);
  return `${first.slice(0, 8)}${String(Math.min(wanted, last)).padStart(2, '0')}`;
}

/** Number of days of the month of `date`. */
export function daysInMonth(date) {
  const [y, m] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Every date from `from` to `to`, inclusive. */
export function datesBetween(from, to) {
  const out = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** A noon UTC instant of a date, safe to format in Paris time without changing the day. */
export function noon(date) {
  return `${date}T12:00:00Z`;
}

/** Whether a string is a plausible YYYY-MM-DD date. */
export function isDate(text) {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(toUtc(text).getTime());
}
