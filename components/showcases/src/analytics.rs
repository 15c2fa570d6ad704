//! `GET /api/analytics/views?from=YYYY-MM-DD&to=YYYY-MM-DD` (staff, `View`): page views per
//! day, page, source and Mastodon server, with patrons' participation per day, over at most
//! 92 days (the last 30 days by default). What the reports and the console read; the
//! counting itself happens in `kiosque_spin::serve` for every component.

use kiosque_domain::analytics::Day;
use kiosque_domain::analytics::audience::{self, Views};
use kiosque_domain::analytics::participation::{self, DayParticipation};
use kiosque_spin::auth::Permission;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, form};
use serde::Serialize;
use spin_sdk::http::{Params, Request, Response};

/// The range shown without `from` and `to`: today and the 29 days before.
const DEFAULT_DAYS: u64 = 30;

#[derive(Serialize)]
struct ViewsResponse {
    #[serde(with = "date")]
    from: Day,
    #[serde(with = "date")]
    to: Day,
    total: u64,
    #[serde(flatten)]
    views: Views,
    participation: Vec<DayParticipation>,
}

mod date {
    use kiosque_domain::analytics::Day;

    pub fn serialize<S: serde::Serializer>(day: &Day, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&day.format("%Y-%m-%d"))
    }
}

/// 4 batch reads: the views' 3 and participation's 1, whatever the number of views.
pub fn views(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    let (from, to) = range(&req)?;
    let store = SpinStore::open_default()?;
    let views = audience::views_between(&store, from, to)?;
    let participation = participation::between(&store, from, to)?;
    Ok(json(
        200,
        &ViewsResponse {
            from,
            to,
            total: views.total(),
            views,
            participation,
        },
    ))
}

fn range(req: &Request) -> Result<(Day, Day), ApiError> {
    let query = req.query();
    let date = |name: &str, text: &str| {
        kiosque_domain::zone::parse_date(name, text)
            .map_err(|message| ApiError::new(400, "invalid_query", message))
    };
    match (
        form::query_param(query, "from"),
        form::query_param(query, "to"),
    ) {
        (None, None) => {
            let today = kiosque_domain::campaigns::today(&SystemClock);
            // `DEFAULT_DAYS - 1` days back, without naming chrono (not a dependency here).
            let from = (1..DEFAULT_DAYS).fold(today, |day, _| day.pred_opt().unwrap_or(day));
            Ok((from, today))
        }
        (Some(from), Some(to)) => Ok((date("from", &from)?, date("to", &to)?)),
        _ => Err(ApiError::new(
            400,
            "invalid_query",
            "from, to: give both or neither",
        )),
    }
}
