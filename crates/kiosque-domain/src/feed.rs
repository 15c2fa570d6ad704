//! RSS 2.0 and Atom feeds of what is new (showcases, events, tutorials), so patrons, feed
//! readers and the library's own website can follow it.
//!
//! Both formats are written from one [`Feed`], so every area that has "what is new" describes it
//! once. Feed readers resolve nothing: every URL given here must be absolute (the adapter joins
//! paths to the `public_base_url` variable). Text is escaped for XML, and characters XML 1.0
//! forbids (most C0 controls) are dropped so a stray control pasted by staff cannot make the
//! whole feed unreadable.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::clock::Timestamp;

pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// A feed: the channel and its entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub title: String,
    pub description: String,
    /// BCP 47 language of the texts, e.g. `fr`.
    pub language: String,
    /// The HTML page the feed mirrors (absolute).
    pub page_url: String,
    /// The feed's own URL (absolute): Atom's `id` and the `self` links of both formats.
    pub feed_url: String,
    /// Who publishes it (the library's name): Atom requires an author.
    pub author: String,
    /// The newest change among the entries (or when the feed was last built if it is empty).
    pub updated: Timestamp,
    pub entries: Vec<FeedEntry>,
}

/// One item of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub title: String,
    /// The entry's page (absolute).
    pub url: String,
    /// A permanent identifier; the URL itself when the page never moves.
    pub id: String,
    /// Plain text; escaped here.
    pub summary: String,
    pub published: Timestamp,
    pub updated: Timestamp,
    pub categories: Vec<String>,
}

impl Feed {
    /// The feed as RSS 2.0 (with the `atom:link rel="self"` RSS validators ask for).
    pub fn to_rss(&self) -> String {
        let mut out = String::with_capacity(1024 + self.entries.len() * 512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(
            "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n",
        );
        element(&mut out, "title", &self.title);
        element(&mut out, "link", &self.page_url);
        element(&mut out, "description", &self.description);
        element(&mut out, "language", &self.language);
        element(&mut out, "lastBuildDate", &rfc2822(self.updated));
        out.push_str(&format!(
            "<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
            xml(&self.feed_url)
        ));
        for entry in &self.entries {
            out.push_str("<item>\n");
            element(&mut out, "title", &entry.title);
            element(&mut out, "link", &entry.url);
            out.push_str(&format!(
                "<guid isPermaLink=\"{}\">{}</guid>\n",
                entry.id == entry.url,
                xml(&entry.id)
            ));
            element(&mut out, "description", &entry.summary);
            element(&mut out, "pubDate", &rfc2822(entry.published));
            for category in &entry.categories {
                element(&mut out, "category", category);
            }
            out.push_str("</item>\n");
        }
        out.push_str("</channel>\n</rss>\n");
        out
    }

    /// The feed as Atom (RFC 4287).
    pub fn to_atom(&self) -> String {
        let mut out = String::with_capacity(1024 + self.entries.len() * 600);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n",
            xml(&self.language)
        ));
        element(&mut out, "title", &self.title);
        element(&mut out, "subtitle", &self.description);
        element(&mut out, "id", &self.feed_url);
        out.push_str(&format!(
            "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
            xml(&self.feed_url)
        ));
        out.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&self.page_url)
        ));
        element(&mut out, "updated", &rfc3339(self.updated));
        out.push_str(&format!(
            "<author><name>{}</name></author>\n",
            xml(&self.author)
        ));
        for entry in &self.entries {
            out.push_str("<entry>\n");
            element(&mut out, "title", &entry.title);
            element(&mut out, "id", &entry.id);
            out.push_str(&format!(
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
                xml(&entry.url)
            ));
            element(&mut out, "published", &rfc3339(entry.published));
            element(&mut out, "updated", &rfc3339(entry.updated));
            element(&mut out, "summary", &entry.summary);
            for category in &entry.categories {
                out.push_str(&format!("<category term=\"{}\"/>\n", xml(category)));
            }
            out.push_str("</entry>\n");
        }
        out.push_str("</feed>\n");
        out
    }
}

fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&xml(text));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// Escapes text for XML content and attributes, dropping what XML 1.0 does not allow.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn chrono(t: Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t.unix_seconds(), 0).unwrap_or(DateTime::UNIX_EPOCH)
}

/// RSS dates: `Sun, 29 Nov 2026 17:00:00 +0000`.
fn rfc2822(t: Timestamp) -> String {
    chrono(t).to_rfc2822()
}

fn rfc3339(t: Timestamp) -> String {
    chrono(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Feed {
        let t = Timestamp::parse("2026-11-29T17:00:00Z").unwrap();
        Feed {
            title: "Nouveautés de la médiathèque".into(),
            description: "Vitrines & rendez-vous".into(),
            language: "fr".into(),
            page_url: "https://mediatheque.example/".into(),
            feed_url: "https://mediatheque.example/feed.xml".into(),
            author: "Médiathèque <Exemple>".into(),
            updated: t,
            entries: vec![FeedEntry {
                title: "Polars \"nordiques\" & <cie>\u{1}".into(),
                url: "https://mediatheque.example/showcases/polars?x=1&y=2".into(),
                id: "https://mediatheque.example/showcases/polars?x=1&y=2".into(),
                summary: "L'hiver ; en noir".into(),
                published: t,
                updated: t,
                categories: vec!["Livres".into()],
            }],
        }
    }

    #[test]
    fn rss_is_escaped_and_complete() {
        let rss = sample().to_rss();
        assert!(
            rss.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"")
        );
        assert!(rss.contains("<title>Polars &quot;nordiques&quot; &amp; &lt;cie&gt;</title>"));
        assert!(
            rss.contains("<link>https://mediatheque.example/showcases/polars?x=1&amp;y=2</link>")
        );
        assert!(rss.contains("<guid isPermaLink=\"true\">"));
        assert!(rss.contains("<pubDate>Sun, 29 Nov 2026 17:00:00 +0000</pubDate>"));
        assert!(
            rss.contains("<atom:link href=\"https://mediatheque.example/feed.xml\" rel=\"self\"")
        );
        assert!(!rss.contains('\u{1}'));
        assert_eq!(rss.matches("<item>").count(), 1);
        assert_eq!(rss.matches("</item>").count(), 1);
    }

    #[test]
    fn atom_has_ids_dates_and_author() {
        let atom = sample().to_atom();
        assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">"));
        assert!(atom.contains("<id>https://mediatheque.example/feed.xml</id>"));
        assert!(atom.contains("<updated>2026-11-29T17:00:00Z</updated>"));
        assert!(atom.contains("<author><name>Médiathèque &lt;Exemple&gt;</name></author>"));
        assert!(atom.contains("<category term=\"Livres\"/>"));
        assert!(atom.contains("<summary>L&apos;hiver ; en noir</summary>"));
        assert_eq!(atom.matches("<entry>").count(), 1);
    }

    #[test]
    fn an_entry_whose_id_is_not_its_url_is_no_permalink() {
        let mut feed = sample();
        feed.entries[0].id = "tag:mediatheque.example,2026:showcase/42".into();
        assert!(feed.to_rss().contains("<guid isPermaLink=\"false\">tag:"));
    }
}
