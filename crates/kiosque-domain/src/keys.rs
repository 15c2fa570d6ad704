//! The one place that builds store keys. Every key Kiosque writes is listed here.
//!
//! | key                               | value                                              |
//! |-----------------------------------|----------------------------------------------------|
//! | `poll/{poll_id}`                  | JSON [`Poll`](crate::polls::Poll), rewritten by CAS (edit, open, close) |
//! | `poll/{poll_id}/count/{index}`    | counter: votes (single, multiple) or Borda points (ranked) for option `index` (0-based) |
//! | `poll/{poll_id}/voter/{voter}`    | counter used as a claim: at least 1 once voted (see the polls group below) |
//! | `ratelimit/{scope}/{bucket}`      | JSON `{window, count}`: requests of the clients hashed into `bucket` (0..1024) in the current window |
//! | `{claim}/at`                      | JSON unix seconds: when the creation claim `{claim}` was taken; a claim whose document is still missing expires [`claims::GRACE_SECONDS`](crate::claims::GRACE_SECONDS) later (see `claims`) |
//! | `store/probe/{0,1}`               | never written: the Spin adapter reads both in one batch before its first compare-and-swap of a request, since only Spin's Redis store fails that read (see `kiosque_spin::store`) |
//!
//! The voter claim is not a flag: the first vote moves it from 0 to 1 and only that request
//! counts; every refused retry increments it again (so it counts attempts), and a count that
//! failed gives the claim back (`-1`). "Has voted" therefore means "claim >= 1", not "key
//! exists".
//!
//! Counters are written only through `KvStore::increment` and read through
//! `store::read_counters` (see `store`). The longest key is
//! `poll/` + 40 + `/voter/` + 64 = 116 bytes, well under Spin's 256-byte guarantee, because
//! the ids are parsed types with bounded lengths.

use crate::ids::{
    AccountId, BlockId, CampaignId, CampaignSlug, CategorySlug, ChannelId, ContestId, EventId,
    InviteCode, MediumId, PollId, PostId, QuestionId, ShowcaseId, Slug, UploadId, Voter, VoterId,
};

/// Two keys never written, read together as one batch: every Spin store answers that read
/// but its Redis store, which sends it as `KEYS` and fails. Tells the store adapter whether
/// the store's own compare-and-swap can be trusted.
pub fn store_backend_probes() -> [String; 2] {
    ["store/probe/0".to_string(), "store/probe/1".to_string()]
}

/// One of the fixed buckets of a rate-limit scope (see `ratelimit`).
pub fn rate_limit_bucket(scope: &str, bucket: u64) -> String {
    format!("ratelimit/{scope}/{bucket}")
}

/// When a creation claim was last taken (`claims`): `{claim}/at`, JSON unix seconds, written
/// just before the claim's increment; deleted to give the claim back. Claims are at most
/// 122 bytes, so this stays under 256.
pub fn claim_stamp(claim_key: &str) -> String {
    format!("{claim_key}/at")
}

pub fn poll(id: &PollId) -> String {
    format!("poll/{id}")
}

pub fn poll_count(id: &PollId, option_index: usize) -> String {
    format!("poll/{id}/count/{option_index}")
}

// --- polls ------------------------------------------------------------------------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `polls/seq`                             | counter: the last index slot handed out (`polls::index`) |
// | `polls/{n}`                             | JSON `{id}`: the poll created with slot `n`, written once, deleted with the poll |
// | `poll/{pid}/ballots`                    | counter: ballots (multiple and ranked polls)    |
// | `poll/{pid}/grade/{index}/{grade}`      | counter: majority-judgment grades (0..6) given to option `index` |
// | `poll/{pid}/voter/{voter}`              | counter used as a claim; `voter` is a cookie token, `card:{64 hex}` or `code:{64 hex}` |
// | `poll/{pid}/ballot/{voter}`             | JSON `{v, ballot}`: the ballot of a voter who may change it (CAS) |
// | `poll/{pid}/invite/{64 hex}`            | `1`: an invitation code (SHA-256), claimed through `poll/{pid}/voter/code:{hash}` |
// | `poll/{pid}/seen/{cookie}`              | `1`: this browser voted by card or code ("results after voting") |
//
// Longest: `poll/` + 40 + `/ballot/code:` + 64 = 122 bytes.

pub fn poll_voter(id: &PollId, voter: &Voter) -> String {
    format!("poll/{id}/voter/{}", voter.key_part())
}

pub fn poll_index_seq() -> String {
    "polls/seq".to_owned()
}

pub fn poll_index_slot(n: u64) -> String {
    format!("polls/{n}")
}

pub fn poll_ballots(id: &PollId) -> String {
    format!("poll/{id}/ballots")
}

pub fn poll_grade(id: &PollId, option_index: usize, grade: usize) -> String {
    format!("poll/{id}/grade/{option_index}/{grade}")
}

pub fn poll_ballot(id: &PollId, voter: &Voter) -> String {
    format!("poll/{id}/ballot/{}", voter.key_part())
}

pub fn poll_invite(id: &PollId, code: &InviteCode) -> String {
    format!("poll/{id}/invite/{}", code.hash())
}

pub fn poll_seen(id: &PollId, browser: &VoterId) -> String {
    format!("poll/{id}/seen/{browser}")
}

// --- questions and contests -------------------------------------------------------------
//
// | key                                          | value                                     |
// |----------------------------------------------|-------------------------------------------|
// | `question/{qid}`                             | JSON `questions::Question`                |
// | `question/{qid}/answer-seq`                  | counter: the last answer number handed out |
// | `question/{qid}/answer/{n}`                  | JSON `questions::Answer`, one per answer  |
// | `question/{qid}/approved`                    | JSON `[n]`, sorted; staff only (CAS)      |
// | `question/{qid}/answer/{n}/likes`            | counter: likes                            |
// | `question/{qid}/answer/{n}/liker/{voter}`    | counter used as a claim (>= 1: liked)     |
// | `questions/seq`, `questions/{n}`             | counter, JSON question id: the staff list, newest last |
// | `question/{qid}/answer-purged`               | JSON n: answers numbered up to n are past the retention purge |
// | `questions/purge-cursor`                     | JSON `{position}`: the registry position the next answer purge starts with |
// | `contest/{cid}`                              | JSON `contests::Contest`                  |
// | `contest/{cid}/entry-seq`                    | counter: the last entry number            |
// | `contest/{cid}/entry/{n}`                    | JSON `contests::Entry` (no contact data)  |
// | `contest/{cid}/contact/{n}`                  | JSON `{email, slot}`: personal data, purged |
// | `contest/{cid}/approved`, `.../winners`      | JSON `{category: [n]}`; staff only (CAS)  |
// | `contest/{cid}/entry/{n}/votes`              | counter: public votes                     |
// | `contest/{cid}/voter/{category}/{voter}`     | counter used as a claim: one vote per category |
// | `contest/{cid}/purge`                        | JSON `{next, done}`: contact erasure progress |
// | `contests/seq`, `contests/{n}`               | counter, JSON contest id: the registry the purge walks and the staff list |
// | `contests/purge-low`                         | JSON number: registry entries below are purged |
// | `contests/purge-cursor`                      | JSON number: where the next purge call resumes its scan (wraps) |
// | `contact-ref/{hash}/seq`, `contact-ref/{hash}/{n}` | counter, JSON `{contest, seq}`: an email's entries; `hash` is HMAC-SHA-256(`card_hash_key`, email), 32 hex; deleted by erasure |

pub fn question(id: &QuestionId) -> String {
    format!("question/{id}")
}

pub fn question_answer_purged(id: &QuestionId) -> String {
    format!("question/{id}/answer-purged")
}

pub fn answer_purge_cursor() -> String {
    "questions/purge-cursor".to_owned()
}

pub fn question_answer_seq(id: &QuestionId) -> String {
    format!("question/{id}/answer-seq")
}

pub fn question_answer(id: &QuestionId, seq: u64) -> String {
    format!("question/{id}/answer/{seq}")
}

pub fn question_approved(id: &QuestionId) -> String {
    format!("question/{id}/approved")
}

pub fn question_answer_likes(id: &QuestionId, seq: u64) -> String {
    format!("question/{id}/answer/{seq}/likes")
}

pub fn question_answer_liker(id: &QuestionId, seq: u64, voter: &VoterId) -> String {
    format!("question/{id}/answer/{seq}/liker/{voter}")
}

pub fn question_registry_seq() -> String {
    "questions/seq".to_owned()
}

pub fn question_registry(n: u64) -> String {
    format!("questions/{n}")
}

pub fn contest(id: &ContestId) -> String {
    format!("contest/{id}")
}

pub fn contest_entry_seq(id: &ContestId) -> String {
    format!("contest/{id}/entry-seq")
}

pub fn contest_entry(id: &ContestId, seq: u64) -> String {
    format!("contest/{id}/entry/{seq}")
}

pub fn contest_contact(id: &ContestId, seq: u64) -> String {
    format!("contest/{id}/contact/{seq}")
}

pub fn contest_approved(id: &ContestId) -> String {
    format!("contest/{id}/approved")
}

pub fn contest_winners(id: &ContestId) -> String {
    format!("contest/{id}/winners")
}

pub fn contest_entry_votes(id: &ContestId, seq: u64) -> String {
    format!("contest/{id}/entry/{seq}/votes")
}

pub fn contest_voter(id: &ContestId, category: &CategorySlug, voter: &VoterId) -> String {
    format!("contest/{id}/voter/{}/{voter}", category.as_str())
}

pub fn contest_purge(id: &ContestId) -> String {
    format!("contest/{id}/purge")
}

pub fn contest_registry_seq() -> String {
    "contests/seq".to_owned()
}

pub fn contest_registry(n: u64) -> String {
    format!("contests/{n}")
}

pub fn contest_purge_low() -> String {
    "contests/purge-low".to_owned()
}

pub fn contest_purge_cursor() -> String {
    "contests/purge-cursor".to_owned()
}

/// `hash` is `contests::Email::key_hash` (32 hex digits, keyed).
pub fn contact_ref_seq(hash: &str) -> String {
    format!("contact-ref/{hash}/seq")
}

pub fn contact_ref(hash: &str, n: u64) -> String {
    format!("contact-ref/{hash}/{n}")
}

// --- posts and the scheduler tick (posts/) --------------------------------------------------
//
// | key                                  | value                                               |
// |--------------------------------------|-----------------------------------------------------|
// | `post/{pid}`                         | JSON `posts::Post`, rewritten only by CAS (edits, claims, results) |
// | `posts/seq`, `posts/{n}`             | counter, JSON `{id}`: the staff registry, newest last |
// | `due/{minute}/seq`                   | counter: entries of the due bucket of that UTC minute (unix minutes) |
// | `due/{minute}/{n}`                   | JSON `{post, seq}`: post due then (stale when the post's schedule seq moved on) |
// | `post-day/{YYYY-MM-DD}/seq`, `.../{n}` | counter, JSON `{post, seq}`: posts scheduled on that local day (calendar) |
// | `scheduler/cursor`                   | JSON `{bucket, slot}`: the due index is processed up to slot `slot` of bucket `bucket` |
// | `post-slots/{cid}`                   | JSON weekly posting slots of a channel (`posts::schedule`) |
// | `slot-taken/{cid}/{minute}`          | counter used as a claim: >= 1 once a post took that slot |
//
// Longest: `slot-taken/` + 40 + `/` + 9 digits = 61 bytes.

pub fn post(id: &PostId) -> String {
    format!("post/{id}")
}

pub fn post_registry_seq() -> String {
    "posts/seq".to_owned()
}

pub fn post_registry(n: u64) -> String {
    format!("posts/{n}")
}

pub fn due_bucket_seq(minute: i64) -> String {
    format!("due/{minute}/seq")
}

pub fn due_entry(minute: i64, n: u64) -> String {
    format!("due/{minute}/{n}")
}

/// `day` is a local date `YYYY-MM-DD` (parsed by the caller).
pub fn post_day_seq(day: &str) -> String {
    format!("post-day/{day}/seq")
}

pub fn post_day_entry(day: &str, n: u64) -> String {
    format!("post-day/{day}/{n}")
}

pub fn scheduler_cursor() -> String {
    "scheduler/cursor".to_owned()
}

pub fn post_slots(channel: &ChannelId) -> String {
    format!("post-slots/{channel}")
}

pub fn slot_taken(channel: &ChannelId, minute: i64) -> String {
    format!("slot-taken/{channel}/{minute}")
}

// --- channels and outgoing webhooks (social publishing) -----------------------------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `channels/seq`                          | counter: the last channel slot handed out (at most 100) |
// | `channels/{n}`                          | JSON channel id: the channel created with slot `n` |
// | `channel/{cid}`                         | JSON `StoredChannel`: the channel and its credentials sealed with `credentials_key` (CAS) |
// | `channel/{cid}/session`                 | sealed JSON: the cached Bluesky session (access and refresh JWTs) |
// | `channel/{cid}/record/{64 hex}`         | JSON `{rkey}`: the Bluesky record key fixed for one idempotency key (SHA-256) |
// | `channel/{cid}/graph/{64 hex}`          | JSON `GraphProgress`: a Facebook/Instagram publication under way for one idempotency key (SHA-256): photo or container ids, the "publishing" marker, the post id (`channels::meta`) |
// | `webhook-endpoints`                     | JSON: the lifecycle webhook endpoints (at most 20), secrets sealed (CAS) |
// | `webhook-endpoints/created`             | counter used as a claim: who writes the first, empty, endpoints document |
// | `webhook-deliveries/seq`                | counter: the last delivery number handed out    |
// | `webhook-deliveries/head`               | JSON number: every delivery up to it is finished (CAS) |
// | `webhook-delivery/{n}`                  | JSON `Delivery`: one event to one endpoint, its attempts and status (CAS) |
//
// Longest: `channel/` + 40 + `/record/` + 64 = 120 bytes.

pub fn channel_index_seq() -> String {
    "channels/seq".to_owned()
}

pub fn channel_index_slot(n: u64) -> String {
    format!("channels/{n}")
}

pub fn channel(id: &ChannelId) -> String {
    format!("channel/{id}")
}

pub fn channel_session(id: &ChannelId) -> String {
    format!("channel/{id}/session")
}

/// `key_hash`: the SHA-256 of an idempotency key, in hex.
pub fn channel_record(id: &ChannelId, key_hash: &str) -> String {
    format!("channel/{id}/record/{key_hash}")
}

/// `key_hash`: the SHA-256 of an idempotency key, in hex (`channels::meta`).
pub fn channel_graph_progress(id: &ChannelId, key_hash: &str) -> String {
    format!("channel/{id}/graph/{key_hash}")
}

pub fn webhook_endpoints() -> String {
    "webhook-endpoints".to_owned()
}

pub fn webhook_endpoints_created() -> String {
    "webhook-endpoints/created".to_owned()
}

pub fn webhook_delivery_seq() -> String {
    "webhook-deliveries/seq".to_owned()
}

pub fn webhook_delivery_head() -> String {
    "webhook-deliveries/head".to_owned()
}

pub fn webhook_delivery(n: u64) -> String {
    format!("webhook-delivery/{n}")
}

// --- platform webhooks and hashtag following (inbound/, campaigns/follow) -----------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `inbound/{source}/{64 hex}`             | done marker (`1`; a counter before): a webhook delivery (`meta`, `mastodon`, `standard`) whose mentions are all filed; the hex is the SHA-256 of its id or body |
// | `follow/{cid}/{32 hex}`                 | JSON `FollowCursor`: where following one hashtag on one channel resumes (Mastodon `min_id`, Bluesky `since`); the hex is half the SHA-256 of the folded hashtag |
// | `follow/rotation`                       | counter: turns of the tick's following, so a small budget still reaches every (channel, hashtag) pair in turn |
//
// Longest: `inbound/mastodon/` + 64 = 81 bytes; `follow/` + 40 + `/` + 32 = 80 bytes.

/// `source`: `meta`, `mastodon` or `standard`; `delivery_hash`: 64 hex characters.
pub fn inbound_delivery(source: &str, delivery_hash: &str) -> String {
    format!("inbound/{source}/{delivery_hash}")
}

/// `hashtag_hash`: 32 hex characters naming a folded hashtag.
pub fn follow_cursor(channel: &ChannelId, hashtag_hash: &str) -> String {
    format!("follow/{channel}/{hashtag_hash}")
}

pub fn follow_rotation() -> String {
    "follow/rotation".to_owned()
}

// --- campaigns, their wall and engagement (campaigns/) --------------------------------------
//
// | key                                          | value                                     |
// |----------------------------------------------|-------------------------------------------|
// | `campaign/{cid}`                             | JSON `campaigns::Campaign` (CAS on edit)  |
// | `campaign-slug/{slug}`                       | JSON campaign id: the public address      |
// | `campaign-slug/{slug}/claim`                 | counter used as a claim: who owns the slug |
// | `campaigns/index`                            | JSON `[CampaignSummary]`, at most 200: staff list and hashtag lookup (CAS) |
// | `campaigns/index/created`                    | counter used as a claim: who writes the first, empty, index |
// | `campaign/{cid}/mention-seq`                 | counter: the last mention number of the campaign's queue |
// | `campaign/{cid}/mention/{n}`                 | JSON `campaigns::wall::WallItem`: a mention and its moderation (CAS by staff) |
// | `campaign/{cid}/approved`                    | JSON `[n]`, sorted; staff only (CAS), created with the campaign |
// | `mention-seen/{64 hex}`                      | counter used as a claim: SHA-256 of platform + platform id, a mention received once |
// | `mention-at/{64 hex}`                        | JSON `campaigns::privacy::Location`: where that mention was filed (campaigns and numbers, author reference, alias), for platform deletions, erasure and the purge |
// | `mention-alias/{64 hex}`                     | JSON 64 hex: the `seen` hash a second platform id of the same post leads to (a Mastodon status's local id beside its uri) |
// | `mention-author/{64 hex}/seq`, `mention-author/{64 hex}/{n}` | counter, JSON 64 hex: an author's mentions (their `seen` hashes), under the SHA-256 of the folded handle, for erasure |
// | `campaign/{cid}/mention-purged`              | JSON n: every mention numbered up to n is past the retention purge |
// | `mentions/purge-cursor`                      | JSON `{position}`: the campaign (index position) the next retention purge starts with |
// | `campaign/{cid}/post-seq`, `campaign/{cid}/post/{n}` | counter, JSON post id: the campaign's posts, newest last |
// | `campaign/{cid}/day/{YYYY-MM-DD}/{what}`     | counter: `mentions` or `posts` of that UTC day |
// | `campaign/{cid}/day/{YYYY-MM-DD}/{what}/{16 hex}` | counter: the same for one hashtag (first 16 hex of the SHA-256 of its folded form) |
//
// Longest: `campaign-slug/` + 60 + `/claim` = 80 bytes; `campaign/` + 40 + `/day/` + 10 +
// `/mentions/` + 16 = 90 bytes.

pub fn campaign(id: &CampaignId) -> String {
    format!("campaign/{id}")
}

pub fn campaign_slug(slug: &CampaignSlug) -> String {
    format!("campaign-slug/{slug}")
}

pub fn campaign_slug_claim(slug: &CampaignSlug) -> String {
    format!("campaign-slug/{slug}/claim")
}

pub fn campaign_index() -> String {
    "campaigns/index".to_owned()
}

pub fn campaign_index_created() -> String {
    "campaigns/index/created".to_owned()
}

pub fn campaign_mention_seq(id: &CampaignId) -> String {
    format!("campaign/{id}/mention-seq")
}

pub fn campaign_mention(id: &CampaignId, n: u64) -> String {
    format!("campaign/{id}/mention/{n}")
}

pub fn campaign_approved(id: &CampaignId) -> String {
    format!("campaign/{id}/approved")
}

/// `hash`: SHA-256 hex of the platform and its post id (`campaigns::wall`).
pub fn mention_seen(hash: &str) -> String {
    format!("mention-seen/{hash}")
}

/// `hash`: the same SHA-256 hex as [`mention_seen`].
pub fn mention_at(hash: &str) -> String {
    format!("mention-at/{hash}")
}

pub fn mention_alias(hash: &str) -> String {
    format!("mention-alias/{hash}")
}

/// `author`: SHA-256 hex of the folded handle (`campaigns::privacy::author_hash`).
pub fn mention_author_seq(author: &str) -> String {
    format!("mention-author/{author}/seq")
}

pub fn mention_author(author: &str, n: u64) -> String {
    format!("mention-author/{author}/{n}")
}

pub fn campaign_mention_purged(id: &CampaignId) -> String {
    format!("campaign/{id}/mention-purged")
}

pub fn mention_purge_cursor() -> String {
    "mentions/purge-cursor".to_owned()
}

/// `name`: `privacy`, `accessibility` or `legal` (`site_pages::SitePage::name`).
pub fn site_page(name: &str) -> String {
    format!("site-page/{name}")
}

pub fn campaign_post_seq(id: &CampaignId) -> String {
    format!("campaign/{id}/post-seq")
}

pub fn campaign_post(id: &CampaignId, n: u64) -> String {
    format!("campaign/{id}/post/{n}")
}

/// `day`: `YYYY-MM-DD`; `what`: `mentions` or `posts`; `tag`: 16 hex digits, or `None` for
/// the campaign's own count.
pub fn campaign_day_counter(
    id: &CampaignId,
    day: chrono::NaiveDate,
    what: &str,
    tag: Option<&str>,
) -> String {
    match tag {
        Some(tag) => format!("campaign/{id}/day/{day}/{what}/{tag}"),
        None => format!("campaign/{id}/day/{day}/{what}"),
    }
}

// --- tutorials ---------------------------------------------------------------------------
//
// | key                                          | value                                     |
// |----------------------------------------------|-------------------------------------------|
// | `tutorial/{slug}`                            | JSON `tutorials::Tutorial`: the current version, rewritten by CAS |
// | `tutorial/{slug}/claim`                      | counter used as a claim: the slug is taken (>= 1) |
// | `tutorial/{slug}/version/{n}`                | JSON `tutorials::Tutorial`: previous version `n`, the last 20 kept |
// | `tutorial/{slug}/helpful/{yes,no}`           | counter: "was this helpful?" answers      |
// | `tutorial/{slug}/rater/{visitor}`            | counter used as a claim: this visitor answered |
// | `tutorial/{slug}/comment-seq`                | counter: the last comment number          |
// | `tutorial/{slug}/comment/{n}`                | JSON `tutorials::feedback::Comment` (staff only) |
// | `tutorial/{slug}/stop/{step}`                | counter: visitors whose last opened step is `step` |
// | `tutorial/{slug}/reader/{visitor}`           | JSON `{step}`: the last step this visitor opened (CAS) |
// | `tutorial/{slug}/reader/{visitor}/claim`     | counter used as a claim: the visitor's first view |
// | `tutorial/{slug}/reader-seq`, `tutorial/{slug}/readers/{n}` | counter, JSON `tutorials::feedback::ReaderEntry` `{visitor, at}`: readers in order of first view, for the retention purge |
// | `tutorial/{slug}/reader-purged`, `tutorial/{slug}/comment-purged` | JSON n: readers / comments numbered up to n are past the retention purge |
// | `tutorials/purge/{readers,comments}`         | JSON `{position}`: the tutorial (by slug order) the next purge starts with |
// | `tutorial-block/{id}`                        | JSON `tutorials::Block`                   |
// | `tutorials/blocks`, `tutorials/blocks/init`  | JSON list of block ids and titles (staff, CAS); its creation claim |
// | `tutorials/catalogue`                        | JSON `tutorials::catalogue::Catalogue`: every tutorial's summary (CAS) |
// | `tutorials/search/{shard}`                   | JSON `tutorials::search::Shard`: folded terms of the tutorials hashed into `shard` (0..8) |
// | `tutorials/catalogue/init`, `tutorials/search/{shard}/init` | counter used as a claim: who creates the document |
//
// `visitor` is the browser's random token (`polls::VoterId`, at most 64 characters). Longest:
// `tutorial/` + 60 + `/reader/` + 64 + `/claim` = 147 bytes.

pub fn tutorial(slug: &Slug) -> String {
    format!("tutorial/{slug}")
}

pub fn tutorial_claim(slug: &Slug) -> String {
    format!("tutorial/{slug}/claim")
}

pub fn tutorial_version(slug: &Slug, n: u64) -> String {
    format!("tutorial/{slug}/version/{n}")
}

pub fn tutorial_helpful(slug: &Slug, helpful: bool) -> String {
    let answer = if helpful { "yes" } else { "no" };
    format!("tutorial/{slug}/helpful/{answer}")
}

pub fn tutorial_rater(slug: &Slug, visitor: &VoterId) -> String {
    format!("tutorial/{slug}/rater/{visitor}")
}

pub fn tutorial_comment_seq(slug: &Slug) -> String {
    format!("tutorial/{slug}/comment-seq")
}

pub fn tutorial_comment(slug: &Slug, n: u64) -> String {
    format!("tutorial/{slug}/comment/{n}")
}

pub fn tutorial_stop(slug: &Slug, step: usize) -> String {
    format!("tutorial/{slug}/stop/{step}")
}

pub fn tutorial_reader(slug: &Slug, visitor: &VoterId) -> String {
    format!("tutorial/{slug}/reader/{visitor}")
}

pub fn tutorial_reader_seq(slug: &Slug) -> String {
    format!("tutorial/{slug}/reader-seq")
}

pub fn tutorial_reader_entry(slug: &Slug, n: u64) -> String {
    format!("tutorial/{slug}/readers/{n}")
}

pub fn tutorial_reader_purged(slug: &Slug) -> String {
    format!("tutorial/{slug}/reader-purged")
}

pub fn tutorial_comment_purged(slug: &Slug) -> String {
    format!("tutorial/{slug}/comment-purged")
}

pub fn tutorial_reader_purge_cursor() -> String {
    "tutorials/purge/readers".to_owned()
}

pub fn tutorial_comment_purge_cursor() -> String {
    "tutorials/purge/comments".to_owned()
}

pub fn tutorial_reader_claim(slug: &Slug, visitor: &VoterId) -> String {
    format!("tutorial/{slug}/reader/{visitor}/claim")
}

pub fn tutorial_block(id: &BlockId) -> String {
    format!("tutorial-block/{id}")
}

pub fn tutorial_block_list() -> String {
    "tutorials/blocks".to_owned()
}

pub fn tutorial_block_list_init() -> String {
    "tutorials/blocks/init".to_owned()
}

pub fn tutorial_catalogue() -> String {
    "tutorials/catalogue".to_owned()
}

pub fn tutorial_catalogue_init() -> String {
    "tutorials/catalogue/init".to_owned()
}

pub fn tutorial_search_shard(shard: u64) -> String {
    format!("tutorials/search/{shard}")
}

pub fn tutorial_search_shard_init(shard: u64) -> String {
    format!("tutorials/search/{shard}/init")
}

// --- showcases and events ---------------------------------------------------------------
//
// | key                          | value                                                      |
// |------------------------------|------------------------------------------------------------|
// | `showcase/{sid}`             | JSON `showcases::Showcase`, items included (CAS)           |
// | `showcases/seq`              | counter: the last showcase slot handed out                 |
// | `showcases/{n}`              | JSON `showcases::index::Card` of the showcase with slot `n` (CAS, versioned) |
// | `showcases/featured`         | JSON `{slots: [n]}`: featured on the home page, newest first, at most 8 (CAS) |
// | `event/{eid}`                | JSON `events::Event` (CAS)                                 |
// | `events/seq`, `events/{n}`   | counter, JSON `{id}`: the staff list of events, write-once slots |
// | `events/month/{YYYY-MM}`     | JSON `{entries: [events::Entry]}`: events starting that month (UTC), by start (CAS) |
//
// Ids are at most 40 characters: the longest key is `showcase/` + 40 = 49 bytes.

pub fn showcase(id: &ShowcaseId) -> String {
    format!("showcase/{id}")
}

pub fn showcase_seq() -> String {
    "showcases/seq".to_owned()
}

pub fn showcase_slot(n: u64) -> String {
    format!("showcases/{n}")
}

pub fn showcase_featured() -> String {
    "showcases/featured".to_owned()
}

pub fn event(id: &EventId) -> String {
    format!("event/{id}")
}

pub fn event_seq() -> String {
    "events/seq".to_owned()
}

pub fn event_slot(n: u64) -> String {
    format!("events/{n}")
}

/// `month` is `YYYY-MM`.
pub fn event_month(month: &str) -> String {
    format!("events/month/{month}")
}

// --- media library ----------------------------------------------------------------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `media-upload/{uid}`                    | JSON `media::upload::Upload`: file name, size, number of parts, who, when |
// | `media-upload/{uid}/part/{n}`           | bytes: part `n` of the file (`media::upload::PART_BYTES`, the last shorter), deleted when the upload completes or is abandoned |
// | `medium/{mid}`                          | JSON `media::Medium` (alt text, credit, licence, renditions with their digests), CAS on edit; written last on creation: the proof the medium exists |
// | `medium/{mid}/{thumb,page,social,framed}/{n}`  | bytes: chunk `n` of a rendition (`media::CHUNK_BYTES`), written once, before the medium |
// | `media/seq`, `media/{n}`                | counter; JSON `{id}` of the medium created with slot `n` (the library's list, newest first) |
// | `media-upload/{uid}/completion` (+ `/at`) | `claims` counter and stamp: the one request that completes the upload |
// | `media-upload/{uid}/medium`             | JSON `{id}`: the medium the upload became (the claim's document; a second completion answers it) |
//
// Longest: `media-upload/` + 40 + `/completion/at` = 67 bytes.

pub fn media_upload(id: &UploadId) -> String {
    format!("media-upload/{id}")
}

pub fn media_upload_part(id: &UploadId, n: u32) -> String {
    format!("media-upload/{id}/part/{n}")
}

pub fn media_upload_completion(id: &UploadId) -> String {
    format!("media-upload/{id}/completion")
}

pub fn media_upload_medium(id: &UploadId) -> String {
    format!("media-upload/{id}/medium")
}

pub fn medium(id: &MediumId) -> String {
    format!("medium/{id}")
}

/// `rendition` is a rendition's name (`thumb`, `page`, `social`, `framed`).
pub fn medium_chunk(id: &MediumId, rendition: &str, n: u32) -> String {
    format!("medium/{id}/{rendition}/{n}")
}

pub fn media_seq() -> String {
    "media/seq".to_owned()
}

pub fn media_slot(n: u64) -> String {
    format!("media/{n}")
}

// --- staff accounts ---------------------------------------------------------------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `staff/account/{id}`                    | JSON `staff::Account` (password hash, role, session epoch), CAS |
// | `staff/account/{id}/tokens`             | JSON list of the account's personal tokens (ids, names, scopes, secret hashes), CAS |
// | `staff/email/{64 hex}`                  | JSON account id: the account of the email with this SHA-256 |
// | `staff/email/{64 hex}/claim`            | counter used as a creation claim on the email (`claims`); its pointer is the proof |
// | `staff/accounts/seq`, `staff/accounts/{n}` | counter; JSON account id in slot `n` (the list, 200 at most) |
// | `staff/session/{64 hex}`                | JSON session (account, epoch, CSRF token, expiry) under the SHA-256 of the cookie secret |
// | `staff/token/{64 hex}`                  | JSON personal token (id, account, scopes) under the SHA-256 of its secret |
// | `audit/seq`, `audit/{n}`                | counter; JSON audit entry `n` (who, method, path, status, when) |
//
// Longest: `staff/email/` + 64 + `/claim/at` = 85 bytes.

pub fn staff_account(id: &AccountId) -> String {
    format!("staff/account/{id}")
}

pub fn staff_account_tokens(id: &AccountId) -> String {
    format!("staff/account/{id}/tokens")
}

pub fn staff_email(email_hash: &str) -> String {
    format!("staff/email/{email_hash}")
}

pub fn staff_email_claim(email_hash: &str) -> String {
    format!("staff/email/{email_hash}/claim")
}

pub fn staff_accounts_seq() -> String {
    "staff/accounts/seq".to_owned()
}

pub fn staff_accounts_slot(n: u64) -> String {
    format!("staff/accounts/{n}")
}

pub fn staff_session(secret_hash: &str) -> String {
    format!("staff/session/{secret_hash}")
}

pub fn staff_token(secret_hash: &str) -> String {
    format!("staff/token/{secret_hash}")
}

pub fn audit_seq() -> String {
    "audit/seq".to_owned()
}

pub fn audit_entry(n: u64) -> String {
    format!("audit/{n}")
}

// --- post metrics from the platforms (analytics/metrics) ----------------------------------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `post-metrics/{pid}/{cid}`              | JSON `analytics::metrics::PostMetrics`: a published post's figures on one channel, its history and fetch state (CAS) |
// | `metrics-day/{YYYY-MM-DD}/seq`, `.../{n}` | counter; JSON `{post, channel}`: publications tracked on that UTC day |
// | `metrics-campaign/{cid}/seq`, `.../{n}` | counter; JSON `{post, channel}`: the campaign's tracked publications |
// | `metrics-due/{unix hour}/seq`, `.../{n}` | counter; JSON `{post, channel, after_hours, attempt}`: a fetch due in that UTC hour (a hint: the record decides) |
// | `metrics/cursor`                        | JSON `{hour, slot}`: the tick has fetched up to slot `slot` of hour bucket `hour` (CAS, forward only) |
//
// Longest: `post-metrics/` + 40 + `/` + 40 = 94 bytes.

pub fn post_metrics(post: &PostId, channel: &ChannelId) -> String {
    format!("post-metrics/{post}/{channel}")
}

/// `day` is a UTC date `YYYY-MM-DD`.
pub fn metrics_day_seq(day: &str) -> String {
    format!("metrics-day/{day}/seq")
}

pub fn metrics_day_entry(day: &str, n: u64) -> String {
    format!("metrics-day/{day}/{n}")
}

pub fn metrics_campaign_seq(campaign: &CampaignId) -> String {
    format!("metrics-campaign/{campaign}/seq")
}

pub fn metrics_campaign_entry(campaign: &CampaignId, n: u64) -> String {
    format!("metrics-campaign/{campaign}/{n}")
}

pub fn metrics_due_seq(hour: i64) -> String {
    format!("metrics-due/{hour}/seq")
}

pub fn metrics_due_entry(hour: i64, n: u64) -> String {
    format!("metrics-due/{hour}/{n}")
}

pub fn metrics_cursor() -> String {
    "metrics/cursor".to_owned()
}

// --- page views and participation (analytics/audience, analytics/participation) ---------
//
// | key                                     | value                                           |
// |-----------------------------------------|-------------------------------------------------|
// | `views/{YYYY-MM-DD}/page/{16 hex}/{source}` | counter: views of one public page (16 hex of the SHA-256 of its path) from one source on that UTC day |
// | `views/{YYYY-MM-DD}/list/seq`, `.../list/{n}` | counter; JSON `{path, source}`: the (page, source) pairs viewed that day, appended when their counter first reaches 1 (2,500 at most) |
// | `views/{YYYY-MM-DD}/server/{16 hex}`    | counter: views from one Mastodon server (16 hex of the SHA-256 of its host) that day |
// | `views/{YYYY-MM-DD}/servers/seq`, `.../servers/{n}` | counter; JSON `{host}`: the Mastodon servers seen that day (200 at most) |
// | `activity/{YYYY-MM-DD}/{vote,answer,entry,feedback}` | counter: patrons' successful actions of that kind that UTC day |
//
// Longest: `views/` + 10 + `/page/` + 16 + `/` + 9 (`instagram`) = 48 bytes.

/// `day` is a UTC date `YYYY-MM-DD`; `page` 16 hex digits; `source` an `audience::Source`.
pub fn views_page(day: &str, page: &str, source: &str) -> String {
    format!("views/{day}/page/{page}/{source}")
}

pub fn views_list_seq(day: &str) -> String {
    format!("views/{day}/list/seq")
}

pub fn views_list_entry(day: &str, n: u64) -> String {
    format!("views/{day}/list/{n}")
}

/// `server` is 16 hex digits of the SHA-256 of the server's host.
pub fn views_server(day: &str, server: &str) -> String {
    format!("views/{day}/server/{server}")
}

pub fn views_servers_seq(day: &str) -> String {
    format!("views/{day}/servers/seq")
}

pub fn views_servers_entry(day: &str, n: u64) -> String {
    format!("views/{day}/servers/{n}")
}

/// `kind` is `vote`, `answer`, `entry` or `feedback`.
pub fn activity(day: &str, kind: &str) -> String {
    format!("activity/{day}/{kind}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MAX_KEY_BYTES;

    #[test]
    fn schema_and_longest_keys_fit_spin_limit() {
        let id = PollId::parse(&"a".repeat(40)).unwrap();
        let voter = VoterId::parse(&"V".repeat(64)).unwrap();
        assert_eq!(poll(&id), format!("poll/{}", "a".repeat(40)));
        assert_eq!(
            poll_count(&id, 19),
            format!("poll/{}/count/19", "a".repeat(40))
        );
        let longest = poll_voter(&id, &Voter::Cookie(voter.clone()));
        assert_eq!(longest.len(), 116);
        let code = Voter::Code(InviteCode::parse("ABCDE-FGHJK").unwrap());
        let longest = poll_ballot(&id, &code);
        assert_eq!(longest.len(), 122);
        assert!(longest.len() <= MAX_KEY_BYTES);
        assert!(poll_voter(&id, &Voter::Card("f".repeat(64))).len() <= MAX_KEY_BYTES);
        let slug = Slug::parse(&"t".repeat(60)).unwrap();
        let longest = tutorial_reader_claim(&slug, &voter);
        assert_eq!(longest.len(), 147);
        assert!(longest.len() <= MAX_KEY_BYTES);
    }

    #[test]
    fn showcase_and_event_keys() {
        let sid = ShowcaseId::parse(&"s".repeat(40)).unwrap();
        assert_eq!(showcase(&sid).len(), 49);
        assert_eq!(showcase_slot(7), "showcases/7");
        assert_eq!(showcase_featured(), "showcases/featured");
        let eid = EventId::parse(&"e".repeat(40)).unwrap();
        assert_eq!(event(&eid).len(), 46);
        assert_eq!(event_month("2026-12"), "events/month/2026-12");
        assert_eq!(event_slot(u64::MAX).len(), "events/".len() + 20);
    }

    #[test]
    fn campaign_keys_fit_spin_limit() {
        let id = CampaignId::parse(&"c".repeat(40)).unwrap();
        let slug = CampaignSlug::parse(&"s".repeat(60)).unwrap();
        assert_eq!(campaign_slug_claim(&slug).len(), 80);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let longest = campaign_day_counter(&id, day, "mentions", Some(&"f".repeat(16)));
        assert_eq!(longest.len(), 90);
        assert!(mention_seen(&"f".repeat(64)).len() <= MAX_KEY_BYTES);
    }

    #[test]
    fn channel_keys_fit_spin_limit() {
        let id = ChannelId::parse(&"c".repeat(40)).unwrap();
        let longest = channel_record(&id, &"f".repeat(64));
        assert_eq!(longest.len(), 120);
        assert!(longest.len() <= MAX_KEY_BYTES);
    }

    #[test]
    fn inbound_and_follow_keys_fit_spin_limit() {
        let id = ChannelId::parse(&"c".repeat(40)).unwrap();
        assert_eq!(inbound_delivery("mastodon", &"f".repeat(64)).len(), 81);
        assert_eq!(follow_cursor(&id, &"f".repeat(32)).len(), 80);
    }

    #[test]
    fn staff_keys_fit_spin_limit() {
        assert_eq!(claim_stamp(&staff_email_claim(&"f".repeat(64))).len(), 85);
        assert!(staff_session(&"f".repeat(64)).len() <= MAX_KEY_BYTES);
    }
}
