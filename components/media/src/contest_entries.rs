//! A patron's photo or drawing entry to a contest: `POST /media/contest-entries/:id`, the
//! `multipart/form-data` form of the contest page (rendered by `polls`, which carries no image
//! codec, so the form posts here).
//!
//! In order, so that the costly part comes last: same-site check, the per-client rate limit
//! (decoding costs about a second of CPU), the contest (open, taking images), the form's
//! fields (parsed before the image, so a missing alt text or consent costs no decoding), the
//! size, then `kiosque_imaging` (the same checks, stripping and renditions as the library's
//! uploads) and the store: the entry's number, the patron medium that knows it (outside the
//! staff list), the entry. A refused image stores nothing. The answer is 303 to the contest
//! page with the confirmation, or an HTML page (French, then English) with the reason, the
//! right 4xx and a link back to the form.

use kiosque_domain::Clock;
use kiosque_domain::contests::{
    self, ContactKey, ContestError, ContestId, EntrySubmission, NewEntry, SubmitEntryRequest,
};
use kiosque_domain::error::DomainError;
use kiosque_domain::media::multipart::{self, Limits as FormLimits};
use kiosque_domain::media::{self, FileName, MediumId};
use kiosque_domain::ratelimit::{self, Decision, RateLimit};
use kiosque_imaging::{ImageError, Limits};
use kiosque_spin::html::layout::PageContext;
use kiosque_spin::response::see_other;
use kiosque_spin::{PageError, SpinStore, SystemClock, client, config, ids, same_site};
use spin_sdk::http::{Params, Request, Response};

use crate::api::new_medium;

/// The largest image a patron may send: 10,000,000 bytes (the body limit of this route in
/// `kiosque_spin::serve` leaves room for the form's other fields).
pub const MAX_PATRON_IMAGE_BYTES: usize = 10_000_000;

/// `rate_limit_photo_entries` ("max/seconds"): each entry costs about a second of decoding.
const DEFAULT_LIMIT: RateLimit = RateLimit {
    max: 10,
    window_secs: 600,
};

/// `POST /media/contest-entries/:id` (multipart form).
pub fn submit(req: Request, params: Params) -> Result<Response, PageError> {
    same_site::check(&req).map_err(|_| PageError::cross_site())?;
    let ctx = PageContext::from_request(&req);
    let id = params
        .get("id")
        .and_then(|id| ContestId::parse(id).ok())
        .ok_or_else(PageError::not_found)?;
    let back = ctx.link(&format!("/contests/{id}#participer"));
    let refuse = |status: u16, code: &'static str, fr: [&str; 2], en: [&str; 2]| {
        PageError::new(status, code, fr, en).with_link(
            back.clone(),
            "Revenir au formulaire",
            "Back to the form",
        )
    };
    let store = SpinStore::open_default().map_err(|e| PageError::from(ContestError::from(e)))?;
    let limit = config::rate_limit("rate_limit_photo_entries", DEFAULT_LIMIT);
    match ratelimit::check(
        &store,
        SystemClock.now(),
        "photo_entry",
        &client::address(&req),
        limit,
    ) {
        Ok(Decision::Allowed) => {}
        Ok(Decision::Limited { retry_after_secs }) => {
            return Err(PageError::too_many_submissions(retry_after_secs).with_link(
                back.clone(),
                "Revenir au formulaire",
                "Back to the form",
            ));
        }
        // The limiter is a brake: a store failure here must not refuse the patron.
        Err(e) => eprintln!("rate limit check failed: {e}"),
    }
    let contest = contests::get_contest(&store, &id)?;
    if !contest.accepts_entries(SystemClock.now()) {
        return Err(refuse(
            409,
            "submissions_closed",
            [
                "Participations closes",
                "Ce concours ne reçoit pas de participations en ce moment.",
            ],
            [
                "Entries closed",
                "This contest does not take entries at the moment.",
            ],
        ));
    }
    let unreadable = || {
        refuse(
            400,
            "invalid_form",
            [
                "Formulaire illisible",
                "Le formulaire envoyé n’a pas pu être lu. Revenez au formulaire et envoyez-le à nouveau.",
            ],
            [
                "Unreadable form",
                "The form sent could not be read. Go back to the form and send it again.",
            ],
        )
    };
    let boundary = req
        .header("content-type")
        .and_then(|v| v.as_str())
        .and_then(|v| multipart::boundary(v).ok())
        .ok_or_else(unreadable)?;
    let form = multipart::parse(req.body(), &boundary, &FormLimits::default()).map_err(|e| {
        eprintln!("contest entry: {e}");
        unreadable()
    })?;
    let text = |name: &str| form.text(name).map(str::to_owned);
    let request = SubmitEntryRequest {
        title: text("title").unwrap_or_default(),
        text: text("text"),
        link: text("link"),
        display_name: text("display_name").unwrap_or_default(),
        category: text("category").unwrap_or_default(),
        consent: form.text("consent").is_some(),
        licence: text("licence").unwrap_or_default(),
        email: text("email").unwrap_or_default(),
        website: text("website"),
        alt: text("alt"),
        under_15: form.text("under_15").is_some(),
        parent_name: text("parent_name"),
        parent_consent: form.text("parent_consent").is_some(),
    };
    let key = config::variable("card_hash_key")
        .as_deref()
        .and_then(ContactKey::new)
        .ok_or(ContestError::ContactKeyMissing)?;
    let done = see_other(&ctx.link(&format!("/contests/{id}?done=entry")));
    let Some(file) = form.file("image") else {
        // No file: a text entry where the contest allows one, else the image is missing.
        let entry = match NewEntry::parse(&contest, request) {
            Ok(EntrySubmission::Entry(entry)) => entry,
            Ok(EntrySubmission::Spam) => return Ok(done),
            Err(e) => return Err(entry_refused(e, &refuse)),
        };
        contests::submit_entry(&store, &SystemClock, &contest, *entry, &key)
            .map_err(|e| entry_refused(e, &refuse))?;
        return Ok(done);
    };
    let entry = match NewEntry::parse_with_image(&contest, request) {
        Ok(EntrySubmission::Entry(entry)) => entry,
        Ok(EntrySubmission::Spam) => return Ok(done),
        Err(e) => return Err(entry_refused(e, &refuse)),
    };
    if file.body.len() > MAX_PATRON_IMAGE_BYTES {
        return Err(refuse(
            413,
            "file_too_large",
            [
                "Image trop lourde",
                "L’image dépasse 10 Mo. Envoyez une image plus légère (réduisez-la ou exportez-la en JPEG).",
            ],
            [
                "Image too large",
                "The image is over 10 MB. Send a lighter image (resize it or export it as JPEG).",
            ],
        ));
    }
    let limits = Limits {
        max_file_bytes: MAX_PATRON_IMAGE_BYTES,
        ..Limits::default()
    };
    let processed = kiosque_imaging::process(file.body, &limits)
        .map_err(|error| image_refused(error, &refuse))?;
    let filename = FileName::parse(&format!("entry.{}", processed.format.name()))?;
    let image = new_medium(
        processed,
        filename,
        file.body.len() as u64,
        media::Description::default(),
        "patron".to_owned(),
    );
    let medium_id = MediumId::generate(
        ids::random_bytes().map_err(|_| PageError::internal("no random bytes"))?,
    );
    contests::submit_entry_with_image(
        &store,
        &SystemClock,
        &contest,
        *entry,
        &key,
        medium_id,
        image,
    )
    .map_err(|e| entry_refused(e, &refuse))?;
    Ok(done)
}

type Refuse<'a> = dyn Fn(u16, &'static str, [&str; 2], [&str; 2]) -> PageError + 'a;

/// The page for a refused field, named in both languages.
fn entry_refused(error: ContestError, refuse: &Refuse) -> PageError {
    let ContestError::InvalidEntry { field, .. } = &error else {
        return match error {
            ContestError::SubmissionsClosed => refuse(
                409,
                "submissions_closed",
                [
                    "Participations closes",
                    "Ce concours ne reçoit pas de participations en ce moment.",
                ],
                [
                    "Entries closed",
                    "This contest does not take entries at the moment.",
                ],
            ),
            other => other.into(),
        };
    };
    let (fr, en) = match *field {
        "title" => (
            "Donnez un titre d’au plus 150 caractères, sur une ligne.",
            "Give a title of at most 150 characters, on one line.",
        ),
        "text" => (
            "Donnez un texte, un lien vers votre création, ou une image (au plus 2 000 caractères de texte).",
            "Give a text, a link to your creation, or an image (at most 2,000 characters of text).",
        ),
        "link" => (
            "Le lien doit commencer par https:// et ne contenir aucune espace.",
            "The link must start with https:// and contain no spaces.",
        ),
        "display_name" => (
            "Donnez le nom à afficher, 60 caractères au plus, sur une ligne.",
            "Give the name to display, at most 60 characters, on one line.",
        ),
        "category" => (
            "Choisissez une des catégories du concours.",
            "Choose one of the contest’s categories.",
        ),
        "licence" => ("Choisissez une licence.", "Choose a licence."),
        "email" => (
            "Donnez une adresse électronique valide, comme nom@exemple.fr.",
            "Give a valid email address, like name@example.org.",
        ),
        "alt" => (
            "Décrivez l’image pour les personnes qui ne la voient pas (1 500 caractères au plus).",
            "Describe the image for people who cannot see it (at most 1,500 characters).",
        ),
        "image" if error.to_string().contains("takes no images") => (
            "Ce concours ne reçoit pas d’images.",
            "This contest does not take images.",
        ),
        "image" => (
            "Ce concours demande une image : choisissez un fichier JPEG, PNG, WebP ou GIF.",
            "This contest needs an image: choose a JPEG, PNG, WebP or GIF file.",
        ),
        "parent_name" => (
            "Vous avez moins de 15 ans : donnez le nom de votre parent ou tuteur.",
            "You are under 15: give the name of your parent or guardian.",
        ),
        "parent_consent" => (
            "Vous avez moins de 15 ans : votre parent ou tuteur doit donner son accord (cochez la case).",
            "You are under 15: your parent or guardian must agree (tick the box).",
        ),
        _ => (
            "Cochez la case pour accepter la publication.",
            "Tick the box to agree to publication.",
        ),
    };
    refuse(
        400,
        error.code(),
        ["Participation non envoyée", fr],
        ["Entry not sent", en],
    )
}

/// The page for an image `kiosque-imaging` refused.
fn image_refused(error: ImageError, refuse: &Refuse) -> PageError {
    let (status, fr, en) = match &error {
        ImageError::Empty => (422, "Le fichier est vide.", "The file is empty."),
        ImageError::TooLarge { .. } => (
            413,
            "L’image dépasse 10 Mo. Envoyez une image plus légère.",
            "The image is over 10 MB. Send a lighter image.",
        ),
        ImageError::Unsupported { .. } => (
            422,
            "Ce fichier n’est pas une image JPEG, PNG, WebP ou GIF.",
            "This file is not a JPEG, PNG, WebP or GIF image.",
        ),
        ImageError::TooManyPixels { .. } => (
            422,
            "L’image a trop de pixels (40 millions au plus) : réduisez-la.",
            "The image has too many pixels (40 million at most): resize it.",
        ),
        ImageError::Polyglot { .. } => (
            422,
            "Ce fichier n’est pas seulement une image (il contient autre chose) : exportez l’image à nouveau.",
            "This file is not only an image (it holds something else): export the image again.",
        ),
        ImageError::Corrupt { .. } => (
            422,
            "L’image est endommagée ou incomplète.",
            "The image is damaged or incomplete.",
        ),
    };
    // Logs the decoder's detail for a corrupt file; patrons get the words above.
    let code = crate::api::image_error(error);
    refuse(
        status,
        code.code(),
        ["Image refusée", fr],
        ["Image refused", en],
    )
}
