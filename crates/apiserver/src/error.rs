//! The API server's error type: every failure becomes a `meta.k8s.io/v1` `Status` with
//! upstream's `reason`, `code` and message wording, never a bare 500 or a panic.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bosun_api::resources::ResourceInfo;
use bosun_api::validation::FieldError;
use bosun_store::StoreError;
use serde_json::{Value, json};

/// An API error, rendered as a `Status` object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

fn details(info: &ResourceInfo, name: &str) -> Value {
    json!({"name": name, "group": info.group, "kind": info.plural})
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn not_found(info: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", info.group_resource(), name),
        )
        .with_details(details(info, name))
    }

    /// 404 for a URL that names no resource (upstream answers `404 page not found`
    /// as a Status with reason NotFound).
    pub fn no_route() -> ApiError {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn already_exists(info: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", info.group_resource(), name),
        )
        .with_details(details(info, name))
    }

    /// Optimistic-concurrency failure, in upstream's words.
    pub fn conflict(info: &ResourceInfo, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again",
                info.group_resource(),
                name
            ),
        )
        .with_details(details(info, name))
    }

    pub fn conflict_message(info: &ResourceInfo, name: &str, why: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                info.group_resource(),
                name,
                why
            ),
        )
        .with_details(details(info, name))
    }

    /// 422 with one cause per field error.
    pub fn invalid(info: &ResourceInfo, name: &str, errors: &[FieldError]) -> ApiError {
        let causes: Vec<Value> = errors
            .iter()
            .map(|e| json!({"reason": e.reason(), "message": e.message(), "field": e.field}))
            .collect();
        ApiError::new(
            422,
            "Invalid",
            bosun_api::validation::invalid_message(&info.group_kind(), name, errors),
        )
        .with_details(json!({
            "name": name, "group": info.group, "kind": info.kind, "causes": causes
        }))
    }

    pub fn forbidden(info: &ResourceInfo, name: &str, why: &str) -> ApiError {
        let subject = if name.is_empty() {
            info.group_resource()
        } else {
            format!("{} \"{}\"", info.group_resource(), name)
        };
        ApiError::new(403, "Forbidden", format!("{subject} is forbidden: {why}"))
            .with_details(details(info, name))
    }

    /// A 403 whose message is already in upstream's words (authorization denials).
    pub fn forbidden_message(message: impl Into<String>, details: Option<Value>) -> ApiError {
        let err = ApiError::new(403, "Forbidden", message);
        match details {
            Some(d) => err.with_details(d),
            None => err,
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> ApiError {
        ApiError::new(405, "MethodNotAllowed", message)
    }

    pub fn gone(message: impl Into<String>) -> ApiError {
        ApiError::new(410, "Expired", message)
    }

    pub fn too_large() -> ApiError {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        )
    }

    pub fn unsupported_media_type(content_type: &str) -> ApiError {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})"
            ),
        )
    }

    pub fn not_acceptable(accept: &str) -> ApiError {
        ApiError::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: application/json, application/yaml (requested {accept:?})"
            ),
        )
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(503, "ServiceUnavailable", message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// A 500 without a reason: how upstream renders an error that is no API status (a
    /// failed dial to a node, say) — kubectl prints it as `Error from server: <message>`.
    pub fn unknown(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "", message)
    }

    /// Maps a store error on `info`/`name` to its API meaning.
    pub fn from_store(err: StoreError, info: &ResourceInfo, name: &str) -> ApiError {
        match err {
            StoreError::NotFound(_) => ApiError::not_found(info, name),
            StoreError::AlreadyExists(_) => ApiError::already_exists(info, name),
            StoreError::Conflict { .. } => ApiError::conflict(info, name),
            StoreError::Compacted {
                requested,
                compacted,
            } => ApiError::gone(format!(
                "too old resource version: {requested} ({compacted})"
            )),
            StoreError::FutureRevision { requested, current } => ApiError::new(
                504,
                "Timeout",
                format!("Too large resource version: {requested}, current: {current}"),
            ),
            StoreError::Unavailable(msg) => ApiError::unavailable(msg),
        }
    }

    /// The `Status` object.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if self.reason.is_empty() {
            // Upstream's `StatusReasonUnknown` is the empty string, omitted from JSON.
            if let Some(fields) = status.as_object_mut() {
                fields.remove("reason");
            }
        }
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        crate::http::json_response(code, &self.status())
    }
}
