//! The dashboard's sign-in: a cookie and a CSRF token, lockout after wrong
//! passwords, sign-out here or everywhere, and the merchant API under
//! `/dashboard/api` acting for the signed-in user's merchant only.

mod common;

use axum::http::StatusCode;
use common::{Answer, Gateway, gateway, session_body};
use serde_json::{Value, json};
use tender_gateway::merchants::accounts;

/// A merchant of `gw` with its first user: (email, password, API key).
async fn merchant(gw: &Gateway, name: &str, email: &str) -> (String, String, String) {
    let created = accounts::create(&gw.state.db, name, Some(email))
        .await
        .unwrap();
    (
        created.dashboard_email,
        created.dashboard_password,
        created.api_key,
    )
}

async fn sign_in(gw: &Gateway, email: &str, password: &str) -> Answer {
    gw.send(
        gw.http
            .post(format!("{}/dashboard/api/session", gw.url))
            .json(&json!({"email": email, "password": password})),
    )
    .await
}

/// A signed-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

async fn signed_in(gw: &Gateway, email: &str, password: &str) -> Browser {
    let answer = sign_in(gw, email, password).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let set = answer.headers["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    Browser {
        cookie,
        csrf: answer.body["csrfToken"].as_str().unwrap().to_owned(),
    }
}

impl Browser {
    async fn send(
        &self,
        gw: &Gateway,
        method: reqwest::Method,
        path: &str,
        csrf: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = gw
            .http
            .request(method, format!("{}{path}", gw.url))
            .header("Cookie", &self.cookie);
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        gw.send(request).await
    }

    async fn get(&self, gw: &Gateway, path: &str) -> Answer {
        self.send(gw, reqwest::Method::GET, path, None, None).await
    }
}

#[tokio::test]
async fn a_signed_in_user_acts_for_its_merchant_and_no_other() {
    let gw = gateway().await;
    let (email, password, key) = merchant(&gw, "Shop A", "Owner@Shop-A.example").await;
    let (_, _, other_key) = merchant(&gw, "Shop B", "owner@shop-b.example").await;
    assert_eq!(email, "owner@shop-a.example", "emails are kept lowercased");

    let answer = sign_in(&gw, "OWNER@shop-a.example", &password).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let set = answer.headers["set-cookie"].to_str().unwrap();
    for part in [
        "tender_dashboard=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/dashboard",
    ] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert_eq!(answer.body["email"], "owner@shop-a.example");
    let browser = signed_in(&gw, &email, &password).await;

    // A change needs the sign-in's CSRF token.
    let create = |csrf: Option<String>| {
        let browser = &browser;
        let gw = &gw;
        async move {
            browser
                .send(
                    gw,
                    reqwest::Method::POST,
                    "/dashboard/api/v1/checkout/sessions",
                    csrf.as_deref(),
                    Some(session_body()),
                )
                .await
        }
    };
    for csrf in [
        None,
        Some("wrong".to_owned()),
        Some(format!("{}x", browser.csrf)),
    ] {
        let refused = create(csrf).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(refused.body["error"]["type"], "permission");
    }
    let made = create(Some(browser.csrf.clone())).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);

    // What the merchant's key made, the dashboard sees; another's, never.
    let by_key = gw
        .post_as(&key, "/v1/checkout/sessions", session_body())
        .await;
    let theirs = gw
        .post_as(&other_key, "/v1/checkout/sessions", session_body())
        .await;
    let listed = browser
        .get(&gw, "/dashboard/api/v1/checkout/sessions")
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&made.body["id"].as_str().unwrap()));
    assert!(ids.contains(&by_key.body["id"].as_str().unwrap()));
    assert!(!ids.contains(&theirs.body["id"].as_str().unwrap()));
    let other = format!(
        "/dashboard/api/v1/checkout/sessions/{}",
        theirs.body["id"].as_str().unwrap()
    );
    assert_eq!(browser.get(&gw, &other).await.status, StatusCode::NOT_FOUND);

    // The cookie opens the dashboard's API only; no cookie, nothing.
    let with_cookie = gw
        .send(
            gw.http
                .get(format!("{}/v1/checkout/sessions", gw.url))
                .header("Cookie", &browser.cookie),
        )
        .await;
    assert_eq!(with_cookie.status, StatusCode::UNAUTHORIZED);
    let anonymous = gw
        .send(
            gw.http
                .get(format!("{}/dashboard/api/v1/checkout/sessions", gw.url)),
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Stored: an argon2id hash, and the cookie only as a hash.
    let (hash,): (String,) =
        sqlx::query_as("SELECT password_hash FROM dashboard_users WHERE email = $1")
            .bind(&email)
            .fetch_one(&gw.state.db)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&password));
    let token = browser.cookie.split_once('=').unwrap().1;
    let (stored,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM dashboard_sign_ins WHERE token_hash = $1")
            .bind(token)
            .fetch_one(&gw.state.db)
            .await
            .unwrap();
    assert_eq!(stored, 0, "the cookie's value is not stored as such");
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_longer_each_time() {
    let gw = gateway().await;
    let (email, password, _) = merchant(&gw, "Shop", "locked@shop.example").await;
    let unknown = sign_in(&gw, "nobody@shop.example", "whatever-password").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    for _ in 1..5 {
        let wrong = sign_in(&gw, &email, "not-the-password").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.body, unknown.body, "no hint whether the user exists");
    }
    let locked = sign_in(&gw, &email, "not-the-password").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.body
    );
    assert_eq!(locked.headers["retry-after"], "30");
    let right = sign_in(&gw, &email, &password).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even for the right password"
    );

    // The lock runs out; one more wrong password locks twice as long.
    let unlock = || async {
        sqlx::query("UPDATE dashboard_users SET locked_until = 0 WHERE email = $1")
            .bind(&email)
            .execute(&gw.state.db)
            .await
            .unwrap();
    };
    unlock().await;
    let again = sign_in(&gw, &email, "still-not-the-password").await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(again.headers["retry-after"], "60");

    // The right password, once unlocked, starts the count again.
    unlock().await;
    assert_eq!(sign_in(&gw, &email, &password).await.status, StatusCode::OK);
    let wrong = sign_in(&gw, &email, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_ends_this_sign_in_or_every_one() {
    let gw = gateway().await;
    let (email, password, _) = merchant(&gw, "Shop", "out@shop.example").await;
    let first = signed_in(&gw, &email, &password).await;
    let second = signed_in(&gw, &email, &password).await;
    let me = first.get(&gw, "/dashboard/api/session").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["csrfToken"], first.csrf.as_str());

    let out = |browser: &Browser, path: &'static str, csrf: Option<String>| {
        let gw = &gw;
        let cookie = browser.cookie.clone();
        async move {
            let mut request = gw
                .http
                .delete(format!("{}{path}", gw.url))
                .header("Cookie", cookie);
            if let Some(csrf) = csrf {
                request = request.header("X-CSRF-Token", csrf);
            }
            gw.send(request).await
        }
    };
    let refused = out(&first, "/dashboard/api/session", None).await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "sign-out needs the token"
    );
    let done = out(&first, "/dashboard/api/session", Some(first.csrf.clone())).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert!(
        done.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let gone = first.get(&gw, "/dashboard/api/session").await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        second.get(&gw, "/dashboard/api/session").await.status,
        StatusCode::OK,
        "another browser stays signed in"
    );

    let third = signed_in(&gw, &email, &password).await;
    let everywhere = out(
        &second,
        "/dashboard/api/sessions",
        Some(second.csrf.clone()),
    )
    .await;
    assert_eq!(everywhere.status, StatusCode::NO_CONTENT);
    for browser in [&second, &third] {
        let answer = browser
            .get(&gw, "/dashboard/api/v1/checkout/sessions")
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn an_invitation_brings_in_one_user_of_its_merchant_once() {
    let gw = gateway().await;
    let (email, password, _) = merchant(&gw, "Shop A", "owner@shop-a.example").await;
    let owner = signed_in(&gw, &email, &password).await;
    let invite = |csrf: Option<String>, to: &str| {
        let body = json!({"email": to});
        let owner = &owner;
        let gw = &gw;
        async move {
            owner
                .send(
                    gw,
                    reqwest::Method::POST,
                    "/dashboard/api/invites",
                    csrf.as_deref(),
                    Some(body),
                )
                .await
        }
    };
    let no_token = invite(None, "clerk@shop-a.example").await;
    assert_eq!(
        no_token.status,
        StatusCode::FORBIDDEN,
        "CSRF: {}",
        no_token.body
    );
    let taken = invite(Some(owner.csrf.clone()), "OWNER@shop-a.example").await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    let made = invite(Some(owner.csrf.clone()), "Clerk@Shop-A.example").await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let url = made.body["url"].as_str().unwrap();
    let token = url.split_once("#invite=").unwrap().1.to_owned();
    assert!(url.starts_with(&format!("{}/dashboard/", gw.url)));

    let path = format!("/dashboard/api/invites/{token}");
    let shown = gw.get_as("", &path).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.body["email"], "clerk@shop-a.example");
    assert_eq!(shown.body["merchantName"], "Shop A");
    let accept = |password: &str| {
        let request = gw
            .http
            .post(format!("{}{path}", gw.url))
            .json(&json!({"password": password}));
        gw.send(request)
    };
    let short = accept("short").await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST, "{}", short.body);
    let accepted = accept("a long enough password").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["email"], "clerk@shop-a.example");
    assert!(
        accepted.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );
    let again = accept("another long password").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "one time only");
    assert_eq!(gw.get_as("", &path).await.status, StatusCode::NOT_FOUND);

    // The new user acts for Shop A: it sees Shop A's sessions.
    let session = gw
        .post_as(
            &merchant(&gw, "Shop B", "b@shop-b.example").await.2,
            "/v1/checkout/sessions",
            session_body(),
        )
        .await;
    assert_eq!(session.status, StatusCode::CREATED);
    let clerk = signed_in(&gw, "clerk@shop-a.example", "a long enough password").await;
    let listed = clerk.get(&gw, "/dashboard/api/v1/checkout/sessions").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["data"], json!([]), "none of Shop B's");
    let me = clerk.get(&gw, "/dashboard/api/session").await;
    assert_eq!(me.body["merchantId"], owner_merchant(&gw, &email).await);
    let nobody = gw.get_as("", "/dashboard/api/invites/not-a-token").await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
}

async fn owner_merchant(gw: &Gateway, email: &str) -> String {
    sqlx::query_scalar("SELECT merchant_id FROM dashboard_users WHERE email = $1")
        .bind(email)
        .fetch_one(&gw.state.db)
        .await
        .unwrap()
}
