// Languages and formatting. French first, English second: every string is written `t(fr, en)`.
//
// `lang` is a live ES module binding: modules that import it see the current value.
// Dates are always shown in the library's time zone (`library_time_zone`, given by
// GET /api/staff/me), whatever the browser's zone. `TIME_ZONE` is a live binding too.

const STORAGE_KEY = 'kiosque.lang';
export let TIME_ZONE = 'Europe/Paris';
let zoneLabel = { fr: 'heure de Paris', en: 'Paris time' };

/** Adopts the library's zone and its names, as GET /api/staff/me gives them. */
export function setTimeZone(name, label) {
  if (!name) return;
  try {
    new Intl.DateTimeFormat('fr-FR', { timeZone: name });
  } catch {
    return; // a zone this browser does not know: keep the default rather than throw on every date
  }
  TIME_ZONE = name;
  partsFormat = partsFormatIn(name);
  if (label && label.fr && label.en) zoneLabel = label;
}

/** "heure de La Réunion" / "Réunion time": which time the console's dates are in. */
export function timeZoneLabel() {
  return t(zoneLabel.fr, zoneLabel.en);
}

function storedLang() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' ? 'en' : 'fr';
  } catch {
    // localStorage can throw (Safari private mode, storage disabled): fall back to French.
    return 'fr';
  }
}

export let lang = storedLang();

/** The string in the current language. */
export function t(fr, en) {
  return lang === 'en' ? en : fr;
}

/** Switches the language, remembers it and updates <html lang>. The caller re-renders. */
export function setLang(value) {
  lang = value === 'en' ? 'en' : 'fr';
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* not remembered, still switched */
  }
  document.documentElement.lang = lang;
  return lang;
}

function locale() {
  return lang === 'en' ? 'en-GB' : 'fr-FR';
}

function toDate(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "lundi 3 mars 2025 à 09:30" / "Monday 3 March 2025 at 09:30", in the library's zone. */
export function formatDateTime(iso, options) {
  const date = toDate(iso);
  if (!date) return '';
  return new Intl.DateTimeFormat(locale(), {
    timeZone: TIME_ZONE,
    dateStyle: 'full',
    timeStyle: 'short',
    ...options,
  }).format(date);
}

/** "3 mars 2025" / "3 March 2025", in the library's zone. */
export function formatDate(iso, options) {
  const date = toDate(iso);
  if (!date) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, dateStyle: 'long', ...options })
    .format(date);
}

/** "09:30", in the library's zone. */
export function formatTime(iso) {
  const date = toDate(iso);
  if (!date) return '';
  return new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' })
    .format(date);
}

/** "1 234" / "1,234". */
export function formatNumber(n) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '';
  return new Intl.NumberFormat(locale()).format(Number(n));
}

// ---- The library's wall-clock time <-> UTC instants -------------------------------------------------
// <input type="date"> and <input type="time"> hold wall-clock values; the APIs speak RFC 3339 UTC.
// The browser may be in any zone, so the conversion goes through Intl with an explicit zone.

function partsFormatIn(timeZone) {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

// Rebuilt by setTimeZone: the `toParisParts`/`fromParisParts` helpers (named when Paris was
// the only zone) work in the library's zone.
let partsFormat = partsFormatIn(TIME_ZONE);

/** The library zone's wall-clock parts of an instant: {date: "YYYY-MM-DD", time: "HH:MM"}. */
export function toParisParts(iso) {
  const date = toDate(iso);
  if (!date) return { date: '', time: '' };
  const p = {};
  for (const part of partsFormat.formatToParts(date)) p[part.type] = part.value;
  // Some engines answer "24" for midnight even with h23; normalise.
  const hour = p.hour === '24' ? '00' : p.hour;
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${hour}:${p.minute}` };
}

/** The library zone's offset from UTC at an instant, in minutes (Paris: 60 in winter, 120 in summer). */
function parisOffsetMinutes(date) {
  const p = {};
  for (const part of partsFormat.formatToParts(date)) p[part.type] = part.value;
  const hour = p.hour === '24' ? 0 : Number(p.hour);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), hour,
    Number(p.minute), Number(p.second));
  return Math.round((asUtc - Math.floor(date.getTime() / 1000) * 1000) / 60000);
}

/**
 * The UTC instant (RFC 3339, "…Z", whole seconds) of a wall-clock date and time in the library's zone.
 * `date` is "YYYY-MM-DD", `time` "HH:MM" (default "00:00"). Returns '' when either is invalid.
 * In the spring gap (02:xx that does not exist) the result is the hour after, like most clocks.
 */
export function fromParisParts(date, time = '00:00') {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  const tm = /^(\d{2}):(\d{2})/.exec(time || '');
  if (!d || !tm) return '';
  const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), Number(tm[1]), Number(tm[2]));
  // Two passes: the offset guessed at the wall time, then the offset at the corrected instant.
  let instant = wall - parisOffsetMinutes(new Date(wall)) * 60000;
  instant = wall - parisOffsetMinutes(new Date(instant)) * 60000;
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Today's date in the library's zone, "YYYY-MM-DD". */
export function parisToday() {
  return toParisParts(new Date()).date;
}
