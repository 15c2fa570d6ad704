// How the platforms measure a post, ported from crates/kiosque-domain/src/channels/text.rs and
// bluesky.rs so the composer's counters agree with the server's validation:
// - the text sent is the post's text, then its link (unless already in the text), then the
//   hashtags the text does not already carry, each block separated by a blank line;
// - Mastodon counts graphemes, every URL as 23 (or the server's figure), a remote mention
//   @user@server as @user, plus the content warning;
// - Bluesky counts graphemes of "CW: <warning>\n\n" + the text (300 at most, 3000 bytes).
// The server stays the judge (POST /api/channels/:id/validate); these counts are guidance.

const segmenter = typeof Intl !== 'undefined' && typeof Intl.Segmenter === 'function'
  ? new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  : null;

/** User-perceived characters; code points where Intl.Segmenter is missing (older Firefox). */
export function graphemes(text) {
  if (!text) return 0;
  if (segmenter) {
    let n = 0;
    // eslint-disable-next-line no-unused-vars
    for (const _ of segmenter.segment(text)) n += 1;
    return n;
  }
  return Array.from(text).length;
}

export function utf8Bytes(text) {
  return new TextEncoder().encode(text || '').length;
}

const TRAILING = new Set(['.', ',', ';', ':', '!', '?', ')', '"', '\'', '…']);
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** Links, mentions and hashtags starting a word, as {kind, start, end} (string indexes). */
export function spans(text) {
  const found = [];
  let i = 0;
  while (i < text.length) {
    const before = i === 0 ? '' : text[i - 1];
    const startsWord = i === 0 || /\s/.test(before) || before === '(';
    const c = text[i];
    if (startsWord) {
      const lower = text.slice(i, i + 8).toLowerCase();
      if (lower.startsWith('https://') || lower.startsWith('http://')) {
        let end = i;
        while (end < text.length && !/\s/.test(text[end])) end += 1;
        while (end > i && TRAILING.has(text[end - 1])) end -= 1;
        const scheme = lower.startsWith('https://') ? 8 : 7;
        if (end > i + scheme) {
          found.push({ kind: 'link', start: i, end });
          i = end;
          continue;
        }
      } else if (c === '#') {
        let end = i + 1;
        // Iterate by code point so astral letters count whole.
        for (const ch of text.slice(i + 1)) {
          if (!WORD_CHAR.test(ch)) break;
          end += ch.length;
        }
        const body = text.slice(i + 1, end);
        if (body && !/^\d+$/.test(body)) {
          found.push({ kind: 'hashtag', start: i, end });
          i = end;
          continue;
        }
      } else if (c === '@') {
        let end = i + 1;
        while (end < text.length && /[A-Za-z0-9._\-@]/.test(text[end])) end += 1;
        let body = text.slice(i + 1, end);
        while (body && TRAILING.has(body[body.length - 1])) body = body.slice(0, -1);
        if (body && !/^[.\-@]/.test(body)) {
          found.push({ kind: 'mention', start: i, end: i + 1 + body.length });
          i = i + 1 + body.length;
          continue;
        }
      }
    }
    i += 1;
  }
  return found;
}

/** The text a platform receives: text, link, then the hashtags not already in the text. */
export function composeText({ text = '', link = '', hashtags = [] }) {
  let out = text.trim();
  const push = (paragraph) => {
    out = out ? `${out}\n\n${paragraph}` : paragraph;
  };
  if (link && !out.includes(link)) push(link);
  const present = spans(out).filter((s) => s.kind === 'hashtag')
    .map((s) => out.slice(s.start + 1, s.end).toLowerCase());
  const tags = hashtags.map((tag) => tag.replace(/^#+/, '')).filter((tag) => tag && !present.includes(tag.toLowerCase()))
    .map((tag) => `#${tag}`);
  if (tags.length) push(tags.join(' '));
  return out;
}

/** Mastodon's length of a composed text. */
export function mastodonLength(text, urlChars = 23) {
  let length = 0;
  let last = 0;
  for (const span of spans(text)) {
    length += graphemes(text.slice(last, span.start));
    const entity = text.slice(span.start, span.end);
    if (span.kind === 'link') length += urlChars;
    else if (span.kind === 'mention') length += graphemes(entity.split('@')[1] || '') + 1;
    else length += graphemes(entity);
    last = span.end;
  }
  return length + graphemes(text.slice(last));
}

/**
 * What a channel would receive and how it measures it:
 * {text, count, max, bytes?, maxBytes?, hashtags?, maxHashtags?} — max null when the channel
 * sets no limit; hashtags for Instagram, which caps them.
 */
export function measure(channel, content) {
  const composed = composeText(content);
  const warning = (content.content_warning || '').trim();
  if (channel.kind === 'mastodon') {
    const limits = channel.limits || {};
    return {
      text: composed,
      warning,
      count: mastodonLength(composed, limits.characters_reserved_per_url || 23) + graphemes(warning),
      max: limits.max_characters || 500,
    };
  }
  if (channel.kind === 'bluesky') {
    const post = warning ? `CW: ${warning}\n\n${composed}` : composed;
    return { text: post, warning: '', count: graphemes(post), max: 300, bytes: utf8Bytes(post), maxBytes: 3000 };
  }
  if (channel.kind === 'facebook') {
    // A Page post has no content warning: it is written before the text, as on Bluesky.
    const post = warning ? `CW: ${warning}\n\n${composed}` : composed;
    return { text: post, warning: '', count: codePoints(post), max: FACEBOOK_MAX_CHARACTERS };
  }
  if (channel.kind === 'instagram') {
    const caption = warning ? `CW: ${warning}\n\n${composed}` : composed;
    return {
      text: caption, warning: '', count: codePoints(caption), max: INSTAGRAM_MAX_CAPTION,
      hashtags: hashtagCount(caption), maxHashtags: INSTAGRAM_MAX_HASHTAGS,
    };
  }
  return { text: composed, warning, count: graphemes(composed), max: null };
}

/** Characters as Meta's limits count them, and the server with them: code points. */
function codePoints(text) {
  return [...text].length;
}

/** Meta's limits, as the server checks them (channels/meta.rs). */
export const FACEBOOK_MAX_CHARACTERS = 63206;
export const INSTAGRAM_MAX_CAPTION = 2200;
export const INSTAGRAM_MAX_HASHTAGS = 30;

/** How many hashtags a text holds (Instagram counts each one, repeated or not). */
export function hashtagCount(text) {
  return spans(text).filter((s) => s.kind === 'hashtag').length;
}
