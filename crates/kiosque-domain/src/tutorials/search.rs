//! Searching tutorials: titles, summaries, tags and step text, with French accents and case
//! folded ("écran" finds "ECRAN" and "Ecran") and words matched by prefix ("emprunt" finds
//! "emprunter").
//!
//! Why a fixed number of forward-index shards rather than one key per term: a library has
//! tens to a few hundred tutorials ([`MAX_TUTORIALS`](super::MAX_TUTORIALS) = 500). Each
//! tutorial's folded terms (at most [`MAX_TERMS`], about 4 KB) go into one of
//! [`SEARCH_SHARDS`] documents chosen by a hash of its slug. A search reads the catalogue and
//! the shards: 1 `get` + 1 `get_many`, whatever the number of tutorials or of words in the
//! query, and matches prefixes for free. A save rewrites one shard (1 read, 1 compare-and-swap)
//! instead of one key per term of the old and new text (hundreds of writes for a long
//! tutorial). Bounds: 500 tutorials x 4 KB / 8 shards = 250 KB per shard at worst, a quarter
//! of Spin's 1 MB per value; the CPU work of a search is a scan of at most 500 term lists,
//! well under a millisecond.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::catalogue::{self, Entry};
use super::model::Tutorial;
use super::{Slug, TutorialError, update_shared};
use crate::clock::Timestamp;
use crate::keys;
use crate::store::KvStore;

/// Index shards: fixed, so a search reads the same number of keys forever.
pub const SEARCH_SHARDS: u64 = 8;
/// Distinct terms indexed per tutorial; title, tags and summary come first, so a very long
/// tutorial loses only the tail of its step text.
pub const MAX_TERMS: usize = 600;
/// Words of a query used; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 8;
/// The longest term kept: longer "words" are URLs or noise.
const MAX_TERM_CHARS: usize = 40;

/// Folds one character for searching: lower case, French (and common Latin) accents removed,
/// ligatures expanded, combining accents (text typed or pasted decomposed, "e" + U+0301)
/// dropped. Anything else that is not a letter or digit becomes a separator.
///
/// A list rather than Unicode decomposition (`unicode-normalization`'s NFD, then dropping the
/// marks): its tables were measured at +126 KB in the tutorials `.wasm`, for the accents of
/// other scripts than the ones a French library's tutorials are written in.
fn fold(c: char, out: &mut String) {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'œ' | 'Œ' => "oe",
        'æ' | 'Æ' => "ae",
        'ß' => "ss",
        // Combining diacritical marks: the accent of a decomposed letter.
        '\u{0300}'..='\u{036f}' => return,
        c if c.is_alphanumeric() => {
            out.extend(c.to_lowercase());
            return;
        }
        _ => " ",
    };
    out.push_str(folded);
}

/// The folded terms of `text`, in order, duplicates kept. Terms of one character are
/// dropped (articles like "l'", "d'"), except digits.
pub fn terms(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        fold(c, &mut folded);
    }
    folded
        .split_whitespace()
        .filter(|t| t.chars().count() > 1 || t.chars().all(|c| c.is_ascii_digit()))
        .filter(|t| t.chars().count() <= MAX_TERM_CHARS)
        .map(str::to_owned)
        .collect()
}

/// One tutorial's folded terms, by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    pub title: String,
    pub tags: String,
    pub summary: String,
    pub body: String,
}

impl SearchDoc {
    /// The terms of `tutorial`, each once, at most [`MAX_TERMS`] in all.
    pub fn of(tutorial: &Tutorial) -> Self {
        let content = &tutorial.content;
        let mut seen = BTreeSet::new();
        let mut field = |texts: &mut dyn Iterator<Item = &str>| {
            let mut kept = Vec::new();
            for text in texts {
                for term in terms(text) {
                    if seen.len() >= MAX_TERMS {
                        break;
                    }
                    if seen.insert(term.clone()) {
                        kept.push(term);
                    }
                }
            }
            kept.join(" ")
        };
        let title = field(&mut std::iter::once(content.title.as_str()));
        let tags = field(&mut content.tags.iter().map(String::as_str));
        let summary =
            field(&mut [content.summary.as_str(), content.service.name.as_str()].into_iter());
        let body = field(&mut content.steps.iter().flat_map(|s| {
            [s.title.as_deref().unwrap_or(""), s.text.as_str()]
                .into_iter()
                .chain(s.image.as_ref().map(|i| i.alt.as_str()))
                .chain(s.video.as_ref().and_then(|v| v.transcript.as_deref()))
        }));
        SearchDoc {
            title,
            tags,
            summary,
            body,
        }
    }

    /// The weight of the best field where a term starts with `query_term`, 0 when none.
    fn weight(&self, query_term: &str) -> u32 {
        let has = |field: &str| field.split(' ').any(|t| t.starts_with(query_term));
        if has(&self.title) {
            8
        } else if has(&self.tags) {
            4
        } else if has(&self.summary) {
            2
        } else if has(&self.body) {
            1
        } else {
            0
        }
    }
}

/// One shard of the index: slug -> terms.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Shard {
    pub docs: BTreeMap<Slug, SearchDoc>,
}

/// The shard that holds `slug`: FNV-1a of the slug, stable across versions and platforms.
pub fn shard_of(slug: &Slug) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in slug.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash % SEARCH_SHARDS
}

/// Puts `tutorial`'s current terms in its shard (1 read + 1 compare-and-swap).
pub fn index(store: &dyn KvStore, tutorial: &Tutorial) -> Result<(), TutorialError> {
    let shard = shard_of(&tutorial.slug);
    let doc = SearchDoc::of(tutorial);
    update_shared(
        store,
        &keys::tutorial_search_shard(shard),
        &keys::tutorial_search_shard_init(shard),
        |s: &mut Shard| {
            s.docs.insert(tutorial.slug.clone(), doc.clone());
            Ok(())
        },
    )
    .map(|_: Shard| ())
}

/// Takes `slug` out of its shard (1 read + 1 compare-and-swap).
pub fn unindex(store: &dyn KvStore, slug: &Slug) -> Result<(), TutorialError> {
    let shard = shard_of(slug);
    update_shared(
        store,
        &keys::tutorial_search_shard(shard),
        &keys::tutorial_search_shard_init(shard),
        |s: &mut Shard| {
            s.docs.remove(slug);
            Ok(())
        },
    )
    .map(|_: Shard| ())
}

/// A search result: the catalogue entry and its score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub entry: Entry,
    pub score: u32,
}

/// The visible tutorials matching every term of `query` (at most [`MAX_QUERY_TERMS`]),
/// best first: a term in the title counts more than in the tags, the summary, the steps.
/// Costs 1 `get` (the catalogue) + 1 `get_many` (the shards), whatever the corpus.
pub fn search(store: &dyn KvStore, now: Timestamp, query: &str) -> Result<Vec<Hit>, TutorialError> {
    let mut query_terms = terms(query);
    query_terms.dedup();
    query_terms.truncate(MAX_QUERY_TERMS);
    if query_terms.is_empty() {
        return Ok(Vec::new());
    }
    let entries = catalogue::visible(store, now)?;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let shard_keys: Vec<String> = (0..SEARCH_SHARDS)
        .map(keys::tutorial_search_shard)
        .collect();
    let mut docs: BTreeMap<Slug, SearchDoc> = BTreeMap::new();
    for (key, value) in store.get_many(&shard_keys)? {
        if let Some(bytes) = value {
            let shard: Shard = crate::store::from_json(&key, &bytes)?;
            docs.extend(shard.docs);
        }
    }
    let mut hits: Vec<Hit> = entries
        .into_iter()
        .filter_map(|entry| {
            let doc = docs.get(&entry.slug)?;
            let mut score = 0;
            for term in &query_terms {
                match doc.weight(term) {
                    0 => return None,
                    w => score += w,
                }
            }
            Some(Hit { entry, score })
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.entry.title.cmp(&b.entry.title))
    });
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_ligatures() {
        assert_eq!(terms("ÉCRAN, écran ; Ecran"), ["ecran", "ecran", "ecran"]);
        assert_eq!(
            terms("L'œuvre d'Ève à Noël : ÇA coûte 3 €"),
            ["oeuvre", "eve", "noel", "ca", "coute", "3"]
        );
        assert_eq!(terms("e-book/PDF"), ["book", "pdf"]);
        // Decomposed accents, as some keyboards and copy-pastes send them.
        assert_eq!(terms("Ecra\u{0301}n e\u{0301}cran"), ["ecran", "ecran"]);
        assert!(terms("").is_empty());
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let a = Slug::parse("emprunter-un-livre").unwrap();
        assert_eq!(shard_of(&a), shard_of(&a.clone()));
        let used: BTreeSet<u64> = (0..100)
            .map(|i| shard_of(&Slug::parse(&format!("tuto-{i}")).unwrap()))
            .collect();
        assert_eq!(used.len() as u64, SEARCH_SHARDS);
    }
}
