//! The `staff` component: staff accounts and how they prove who they are. The console signs
//! in here (`/api/staff/sign-in`, JSON or a plain form) and gets an `HttpOnly` session cookie
//! and a CSRF token; administrators manage accounts and read the audit log; every staff
//! member manages their password and personal API tokens. The rules live in
//! `kiosque_domain::staff`; checking a request's credentials is `kiosque_spin::auth`, shared
//! by every component.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod api;

fn routes() -> Routes {
    let mut router = Routes::new();
    // Spelled out (not `session::SIGN_IN_PATH`, which the audit entries of failed sign-ins
    // use) so the route table reads as the list of paths; a test checks they agree.
    router.post("/api/staff/sign-in", api::sign_in); // public, throttled, failures audited
    router.post("/api/staff/sign-out", api::sign_out); // session
    router.post("/api/staff/sign-out-everywhere", api::sign_out_everywhere); // session
    router.get("/api/staff/me", api::me); // any staff
    router.post("/api/staff/me/password", api::change_password); // session
    router.get("/api/staff/accounts", api::list_accounts); // administrator
    router.post("/api/staff/accounts", api::create_account); // administrator
    router.put("/api/staff/accounts/:id", api::update_account); // administrator
    router.post("/api/staff/accounts/:id/password", api::reset_password); // administrator
    router.get("/api/staff/tokens", api::list_tokens); // an account's own
    router.post("/api/staff/tokens", api::create_token); // an account's own
    router.delete("/api/staff/tokens/:id", api::revoke_token); // an account's own
    router.get("/api/staff/audit", api::audit); // administrator, ?before=
    router
}

#[cfg(test)]
mod tests {
    #[test]
    fn sign_in_is_routed_where_failures_are_audited() {
        let source = include_str!("lib.rs");
        let route = format!(
            "router.post({:?}, api::sign_in)",
            kiosque_domain::staff::session::SIGN_IN_PATH
        );
        assert!(source.contains(&route));
    }
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
