//! The dashboard's pages: `/` is `web/index.html`, any other path a file of `web/` by that path,
//! from the copy embedded at build time; anything else is 404.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::static_files;

pub(crate) async fn page(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match static_files::get(path) {
        Some((bytes, kind)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        None => ApiError::not_found("NOT_FOUND", format!("no such page or API: /{path}"))
            .into_response(),
    }
}
