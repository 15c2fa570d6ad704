//! `POST /api/scheduler/tick`: what the cron calls every minute (also `GET`, for crons such as
//! `spin aka crons` that only request a path). Authenticated with its own secret,
//! `scheduler_tick_token` (a cron needs no admin rights), as a bearer token or, for crons that
//! cannot set headers, the `token` query parameter; compared in constant time.
//! One call publishes the posts that are due (bounded, see `posts::tick`), then sends the
//! lifecycle webhooks that are due (bounded too), then follows the active campaigns'
//! hashtags on the channels' platforms (bounded too), then fetches the published posts'
//! figures that are due (`analytics::metrics`, bounded too), and answers a JSON report; `more: true`
//! means work was left for the next call. Records that cannot be read are set aside and
//! listed under `quarantined` in the parts' reports (and logged), so they stop nothing; a
//! store failure in one part does not keep the parts after it from running (the call then
//! answers that failure, once every part had its turn).

use kiosque_domain::analytics::metrics::{self, FetchBudget, MetricsReport};
use kiosque_domain::channels::webhooks_out::{self, DeliveryReport};
use kiosque_domain::inbound::follow::{self, FollowBudget, FollowReport};
use kiosque_domain::posts::tick::{self, Budget, TickReport};
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth};
use serde::Serialize;
use spin_sdk::http::{Params, Request, Response};

use crate::platform;

/// Webhook deliveries attempted per tick, after the posts.
const WEBHOOK_BUDGET: usize = 20;

#[derive(Serialize)]
struct Report {
    posts: TickReport,
    webhooks: DeliveryReport,
    /// Campaign hashtags followed on the channels' platforms (`inbound::follow`).
    following: FollowReport,
    /// Published posts' figures fetched from the platforms (`analytics::metrics`).
    metrics: MetricsReport,
    more: bool,
}

pub async fn tick(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_bearer_or_query(&req, "scheduler_tick_token")?;
    let store = SpinStore::open_default()?;
    let deployment = platform::Deployment::read();
    let live = deployment.live(&store);
    let posts = tick::tick(&store, &live, &SystemClock, Budget::default()).await;
    if let Err(e) = &posts {
        eprintln!("tick: publishing posts failed: {e}");
    }
    let webhooks = match deployment.key() {
        Some(key) => {
            webhooks_out::deliver_due(&store, &SystemClock, key, deployment.http(), WEBHOOK_BUDGET)
                .await
        }
        None => Ok(DeliveryReport::default()),
    };
    if let Err(e) = &webhooks {
        eprintln!("tick: delivering webhooks failed: {e}");
    }
    // Following comes last: publishing on time matters more. Its failure is logged and
    // leaves the posts' report intact.
    let following = match deployment.key() {
        Some(key) => follow::follow(
            &store,
            &SystemClock,
            key,
            deployment.http(),
            FollowBudget::default(),
        )
        .await
        .unwrap_or_else(|e| {
            eprintln!("tick: following hashtags failed: {e}");
            FollowReport::default()
        }),
        None => FollowReport::default(),
    };
    // Figures come after everything else: they can wait an hour, publishing cannot. Their
    // failure is logged and leaves the other parts' reports intact.
    let metrics = match deployment.key() {
        Some(key) => metrics::fetch_due(
            &store,
            &SystemClock,
            key,
            deployment.http(),
            FetchBudget::default(),
        )
        .await
        .unwrap_or_else(|e| {
            eprintln!("tick: fetching post metrics failed: {e}");
            MetricsReport::default()
        }),
        None => MetricsReport::default(),
    };
    let posts = posts?;
    let webhooks = webhooks?;
    // Following never ends (platforms keep posting): its own `more` stays in its report.
    let more = posts.more || webhooks.more || metrics.more;
    Ok(json(
        200,
        &Report {
            posts,
            webhooks,
            following,
            metrics,
            more,
        },
    ))
}
