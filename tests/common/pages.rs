//! The web interface as a browser without script sees it: pages fetched with the session
//! cookie, forms posted with the CSRF token, redirects reported rather than followed.

use reqwest::StatusCode;

use super::{Session, TestApp};

/// A page's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// Where a `303` sends the browser.
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let location = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = res.text().await.unwrap_or_default();
    Answer {
        status,
        location,
        body,
        headers,
    }
}

impl TestApp {
    /// GETs a page as `who` (a browser: it asks for HTML).
    pub async fn page(&self, path: &str, who: Option<&Session>) -> Answer {
        let mut req = client()
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html");
        if let Some(s) = who {
            req = req.header("Cookie", format!("kz_session={}", s.cookie));
        }
        answer(req.send().await.expect("page request")).await
    }

    /// POSTs a form as `who`, with the session's CSRF token as the form's `csrf_token`.
    pub async fn submit(&self, path: &str, who: &Session, fields: &[(&str, &str)]) -> Answer {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("csrf_token", &who.csrf);
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        self.submit_raw(path, who, form.finish()).await
    }

    /// POSTs a form body exactly as given (no CSRF token added).
    pub async fn submit_raw(&self, path: &str, who: &Session, body: String) -> Answer {
        let req = client()
            .post(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", format!("kz_session={}", who.cookie))
            .body(body);
        answer(req.send().await.expect("form request")).await
    }
}

/// POSTs a form without a session (the sign-in pages).
pub async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Answer {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    let req = client()
        .post(format!("{}{path}", app.base))
        .header("Accept", "text/html")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.finish());
    answer(req.send().await.expect("form request")).await
}

/// GETs a page without a session, with extra headers.
pub async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = client()
        .get(format!("{}{path}", app.base))
        .header("Accept", "text/html");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    answer(req.send().await.expect("page request")).await
}
