//! The site's own pages every public page links from its footer: the privacy notice (what
//! each cookie stores), the accessibility statement French public bodies must publish (RGAA)
//! and the legal notice ("Mentions légales"). Staff (administrators) write them in Markdown,
//! French and English; until they do, sensible French and English defaults are shown, which
//! describe what Kiosque itself stores, so a library is never without them.
//!
//! One document per page (`site-page/{name}`), replaced whole by a `set`: only
//! administrators write it, and the last save wins, as for any single-author text. Reading a
//! page costs 1 store call; saving 1.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorKind};
use crate::keys;
use crate::markdown::{self, RenderOptions};
use crate::store::{KvStore, StoreError};

/// The longest text kept per language: a long privacy notice is about 15,000 characters.
pub const MAX_CHARS: usize = 50_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitePage {
    Privacy,
    Accessibility,
    Legal,
}

impl SitePage {
    pub const ALL: [SitePage; 3] = [SitePage::Privacy, SitePage::Accessibility, SitePage::Legal];

    /// The name in the API (`/api/site-pages/{name}`) and in the key.
    pub fn parse(name: &str) -> Option<SitePage> {
        SitePage::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            SitePage::Privacy => "privacy",
            SitePage::Accessibility => "accessibility",
            SitePage::Legal => "legal",
        }
    }

    /// The public address (French words: the site's language; `?lang=en` for English).
    pub fn path(self) -> &'static str {
        match self {
            SitePage::Privacy => "/confidentialite",
            SitePage::Accessibility => "/accessibilite",
            SitePage::Legal => "/mentions-legales",
        }
    }

    pub fn from_path(path: &str) -> Option<SitePage> {
        let path = path.trim_end_matches('/');
        SitePage::ALL.into_iter().find(|p| p.path() == path)
    }

    /// The page's title: `(French, English)`.
    pub fn title(self) -> (&'static str, &'static str) {
        match self {
            SitePage::Privacy => ("Données personnelles et cookies", "Privacy and cookies"),
            SitePage::Accessibility => ("Accessibilité", "Accessibility"),
            SitePage::Legal => ("Mentions légales", "Legal notice"),
        }
    }

    /// The text shown until staff write one: `(French, English)` Markdown.
    pub fn default_text(self) -> (&'static str, &'static str) {
        match self {
            SitePage::Privacy => (DEFAULT_PRIVACY_FR, DEFAULT_PRIVACY_EN),
            SitePage::Accessibility => (DEFAULT_ACCESSIBILITY_FR, DEFAULT_ACCESSIBILITY_EN),
            SitePage::Legal => (DEFAULT_LEGAL_FR, DEFAULT_LEGAL_EN),
        }
    }
}

/// A page's text as staff saved it (`site-page/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageText {
    pub fr: String,
    /// Empty: the English page shows the French text.
    #[serde(default)]
    pub en: String,
}

/// The body of `PUT /api/site-pages/{name}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageTextRequest {
    pub fr: String,
    #[serde(default)]
    pub en: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SitePageError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl DomainError for SitePageError {
    fn kind(&self) -> ErrorKind {
        match self {
            SitePageError::Invalid(_) => ErrorKind::Invalid,
            SitePageError::Storage(_) => ErrorKind::Storage,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            SitePageError::Invalid(_) => "invalid_page",
            SitePageError::Storage(_) => "storage_error",
        }
    }
}

impl PageText {
    pub fn parse(request: PageTextRequest) -> Result<PageText, SitePageError> {
        let check = |field: &str, text: &str| {
            if text.chars().count() > MAX_CHARS {
                return Err(SitePageError::Invalid(format!(
                    "{field}: at most {MAX_CHARS} characters"
                )));
            }
            if text.chars().any(|c| c == '\0') {
                return Err(SitePageError::Invalid(format!(
                    "{field}: must not contain NUL"
                )));
            }
            Ok(text.trim().to_owned())
        };
        let fr = check("fr", &request.fr)?;
        if fr.is_empty() {
            return Err(SitePageError::Invalid("fr: must not be empty".to_owned()));
        }
        let en = check("en", request.en.as_deref().unwrap_or(""))?;
        Ok(PageText { fr, en })
    }
}

/// What staff saved, or `None` while the defaults are shown. 1 read.
pub fn get(store: &dyn KvStore, page: SitePage) -> Result<Option<PageText>, SitePageError> {
    Ok(store.get_json(&keys::site_page(page.name()))?)
}

/// Replaces the page's text. 1 write.
pub fn save(store: &dyn KvStore, page: SitePage, text: &PageText) -> Result<(), SitePageError> {
    Ok(store.set_json(&keys::site_page(page.name()), text)?)
}

/// The Markdown to show in `english` or French: staff's text, else the default.
pub fn markdown_for(page: SitePage, saved: Option<&PageText>, english: bool) -> String {
    let (default_fr, default_en) = page.default_text();
    match saved {
        Some(text) if english && !text.en.is_empty() => text.en.clone(),
        Some(text) => text.fr.clone(),
        None if english => default_en.to_owned(),
        None => default_fr.to_owned(),
    }
}

/// The page's body as safe HTML (raw HTML escaped, only safe links), `#` as `<h2>` under the
/// page's `<h1>`.
pub fn render(markdown: &str) -> String {
    let options = RenderOptions {
        heading_offset: 1,
        ..RenderOptions::default()
    };
    markdown::render_with(markdown, &options).html
}

const DEFAULT_PRIVACY_FR: &str = "\
Ce site est publié par la médiathèque. Il ne dépose **aucun cookie publicitaire ni de mesure \
d'audience**, et n'appelle aucun service tiers tant que vous ne lancez pas une vidéo.

# Cookies

- `kiosque_voter` : un numéro tiré au hasard, déposé quand vous votez à un sondage, répondez \
à une question ou participez à un concours ; il empêche de voter deux fois. Durée : 1 an.
- `kiosque_reader` : un autre numéro tiré au hasard, déposé quand vous lisez un tutoriel ; il \
retient l'étape où vous vous êtes arrêté et n'autorise qu'un avis par lecteur. Durée : 6 mois.
- `kiosque_session` : réservé au personnel de la médiathèque connecté à la console. Durée : \
la session.

Les deux numéros sont distincts : rien ne relie vos lectures à vos votes. Ces cookies sont \
nécessaires au service demandé et exemptés de consentement (article 82 de la loi Informatique \
et Libertés).

# Données conservées

- Réponses aux questions et commentaires des tutoriels : 13 mois.
- Étape de lecture des tutoriels : 6 mois.
- Publications des réseaux sociaux affichées sur les murs des campagnes : 13 mois, et retirées \
dès que leur auteur les supprime.
- Adresse électronique des participants aux concours : effacée après la fin du concours.

# Vos droits

Vous pouvez demander l'accès à vos données ou leur effacement auprès de la médiathèque. Vous \
pouvez aussi adresser une réclamation à la [CNIL](https://www.cnil.fr).
";

const DEFAULT_PRIVACY_EN: &str = "\
This site is published by the library. It sets **no advertising or audience-measurement \
cookie**, and calls no third-party service until you start a video.

# Cookies

- `kiosque_voter`: a random number set when you vote in a poll, answer a question or enter a \
contest; it prevents voting twice. Lifetime: 1 year.
- `kiosque_reader`: another random number set when you read a tutorial; it remembers the step \
you stopped at and allows one rating per reader. Lifetime: 6 months.
- `kiosque_session`: for the library's staff signed in to the console only. Lifetime: the \
session.

The two numbers are distinct: nothing links what you read to how you vote. These cookies are \
needed for the service you ask for and exempt from consent.

# Data kept

- Answers to questions and tutorial comments: 13 months.
- Where you stopped in a tutorial: 6 months.
- Social media posts shown on campaign walls: 13 months, and removed as soon as their author \
deletes them.
- Contest participants' email addresses: erased after the contest ends.

# Your rights

You may ask the library for access to your data or for its erasure, and complain to the \
[CNIL](https://www.cnil.fr).
";

const DEFAULT_ACCESSIBILITY_FR: &str = "\
La médiathèque s'engage à rendre ce site accessible conformément à l'article 47 de la loi \
n° 2005-102 du 11 février 2005.

# État de conformité

Ce site est **partiellement conforme** avec le référentiel général d'amélioration de \
l'accessibilité (RGAA), version 4.1, en raison des non-conformités et des dérogations \
énumérées ci-dessous. Aucun audit n'a encore été réalisé.

# Contenus non accessibles

- Certaines vidéos intégrées depuis des plateformes tierces n'ont pas de sous-titres.
- Les publications des réseaux sociaux affichées sur les murs des campagnes peuvent ne pas \
avoir de description des images.

# Retour d'information et contact

Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez la médiathèque pour \
être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme.

# Voies de recours

Si vous avez signalé un défaut d'accessibilité sans obtenir de réponse satisfaisante, vous \
pouvez écrire au [Défenseur des droits](https://formulaire.defenseurdesdroits.fr/) ou à son \
délégué dans votre région.
";

const DEFAULT_ACCESSIBILITY_EN: &str = "\
The library is committed to making this site accessible, as French law requires (article 47 \
of law 2005-102).

# Compliance status

This site is **partially compliant** with the French accessibility standard (RGAA 4.1), \
because of the issues listed below. No audit has been carried out yet.

# Content that is not accessible

- Some videos embedded from third-party platforms have no captions.
- Social media posts shown on campaign walls may lack image descriptions.

# Feedback and contact

If you cannot use some content or service, contact the library for an accessible alternative.

# Remedies

If you reported an accessibility issue without a satisfactory answer, you may write to the \
[Défenseur des droits](https://formulaire.defenseurdesdroits.fr/).
";

const DEFAULT_LEGAL_FR: &str = "\
# Éditeur

Ce site est édité par la médiathèque. Directeur ou directrice de la publication : la \
direction de la médiathèque.

# Hébergement

Le site est hébergé par le service informatique de la collectivité ou son prestataire.

# Propriété intellectuelle

Les textes et images publiés par la médiathèque sont soumis au droit d'auteur. Les \
publications des réseaux sociaux restent la propriété de leurs auteurs.

# Données personnelles

Voir la page [Données personnelles et cookies](/confidentialite).
";

const DEFAULT_LEGAL_EN: &str = "\
# Legal notice

# Publisher

This site is published by the library; the library's management is responsible for its \
content.

# Hosting

The site is hosted by the local authority's IT department or its provider.

# Intellectual property

Texts and images published by the library are protected by copyright. Social media posts \
remain their authors' property.

# Personal data

See the page [Privacy and cookies](/confidentialite?lang=en).
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn defaults_until_staff_save_then_staff_text_escaped() {
        let store = MemoryStore::new();
        assert_eq!(get(&store, SitePage::Accessibility).unwrap(), None);
        let shown = render(&markdown_for(SitePage::Accessibility, None, false));
        assert!(shown.contains("partiellement conforme"), "{shown}");
        let text = PageText::parse(PageTextRequest {
            fr: "# Vie privée\n\n<script>alert(1)</script> [x](javascript:alert(1))".into(),
            en: None,
        })
        .unwrap();
        save(&store, SitePage::Privacy, &text).unwrap();
        let saved = get(&store, SitePage::Privacy).unwrap();
        let html = render(&markdown_for(SitePage::Privacy, saved.as_ref(), true));
        assert!(html.contains("<h2>Vie privée</h2>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("href=\"javascript"),
            "{html}"
        );
        assert!(
            PageText::parse(PageTextRequest {
                fr: " ".into(),
                en: None
            })
            .is_err()
        );
        assert_eq!(
            SitePage::from_path("/mentions-legales/"),
            Some(SitePage::Legal)
        );
        assert_eq!(SitePage::parse("cookies"), None);
    }
}
