//! Who is asking, and may they: authentication (verified client certificates, bearer
//! tokens, in-process identities), impersonation, and authorization (the node
//! authorizer, then RBAC) of every request before any handler runs; plus the PKI, the
//! token formats, the review APIs and the TLS listener that feed them.
//!
//! Order, as upstream: credentials are checked first (a bad token is 401 even where
//! anonymous access would do); requests without any credentials are `system:anonymous`
//! and may only reach the health and version endpoints; `system:masters` is never
//! asked about; nodes meet the node authorizer and node restriction; everyone else RBAC.

mod authorize;
pub mod escalation;
mod node;
pub mod pki;
pub mod reviews;
pub mod tls;
pub mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bosun_api::rbac::RbacSnapshot;
pub use bosun_api::rbac::UserInfo;

use crate::ServerState;
use crate::error::{ApiError, ApiResult};

pub use authorize::{refresh_rbac, request_attributes};

/// Creates the default RBAC policy and the join token's Secret, loads the policy
/// before the server answers, and keeps it current.
pub async fn bootstrap(state: &Arc<ServerState>, join_token: Option<&str>) -> ApiResult<()> {
    authorize::bootstrap_policy(state).await?;
    if let Some(token) = join_token {
        authorize::store_join_token(state, token).await?;
    }
    authorize::spawn_rbac_loop(state.clone());
    refresh_rbac(state).await
}

/// The authenticated (and, after impersonation, effective) user of a request.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Arc<UserInfo>);

/// The identity in a client certificate the cluster CA verified; the TLS listener
/// puts it on every request of the connection.
#[derive(Clone, Debug)]
pub struct PeerIdentity(pub Arc<UserInfo>);

pub const MASTERS: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const UNAUTHENTICATED: &str = "system:unauthenticated";
pub const ANONYMOUS: &str = "system:anonymous";
pub const NODES: &str = "system:nodes";
pub const BOOTSTRAPPERS: &str = "system:bootstrappers";

/// Paths anyone may read without credentials (the only ones: everything else is 401).
fn is_public(path: &str) -> bool {
    ["/healthz", "/livez", "/readyz", "/version"]
        .iter()
        .any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Credentials and keys the server authenticates with.
#[derive(Default)]
pub struct AuthConfig {
    /// Cluster CA certificate and key (PEM), for signing node certificate requests.
    pub ca: Option<(String, String)>,
    /// PEM private key that signs ServiceAccount tokens.
    pub service_account_key: Option<String>,
    /// Static bearer tokens (`--token-auth-file`).
    pub static_tokens: HashMap<String, UserInfo>,
}

/// What the request path consults: keys, static tokens and the current RBAC policy.
pub struct AuthState {
    pub ca: Option<pki::ClusterCa>,
    pub service_accounts: Option<tokens::ServiceAccountKeys>,
    static_tokens: HashMap<String, UserInfo>,
    rbac: RwLock<Arc<RbacSnapshot>>,
    /// The `system:node` role's rules, bound to every node by the node authorizer.
    node_rules: RbacSnapshot,
}

impl AuthState {
    pub fn new(config: AuthConfig) -> Result<AuthState, String> {
        let ca = match config.ca {
            Some((cert, key)) => {
                Some(pki::ClusterCa::load(&cert, &key).map_err(|e| e.to_string())?)
            }
            None => None,
        };
        let service_accounts = match config.service_account_key {
            Some(pem) => Some(tokens::ServiceAccountKeys::from_pem(&pem)?),
            None => None,
        };
        Ok(AuthState {
            ca,
            service_accounts,
            static_tokens: config.static_tokens,
            rbac: RwLock::new(Arc::new(RbacSnapshot::default())),
            node_rules: node::node_rules(),
        })
    }

    pub fn rbac(&self) -> Arc<RbacSnapshot> {
        match self.rbac.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_rbac(&self, snapshot: RbacSnapshot) {
        let snapshot = Arc::new(snapshot);
        match self.rbac.write() {
            Ok(mut guard) => *guard = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
    }
}

pub fn anonymous() -> UserInfo {
    UserInfo {
        name: ANONYMOUS.to_string(),
        uid: String::new(),
        groups: vec![UNAUTHENTICATED.to_string()],
        extra: BTreeMap::new(),
    }
}

pub fn is_master(user: &UserInfo) -> bool {
    user.groups.iter().any(|g| g == MASTERS)
}

fn unauthorized() -> Response {
    ApiError::new(401, "Unauthorized", "Unauthorized").into_response()
}

/// Axum middleware: authenticates, applies impersonation, authorizes, and leaves the
/// effective user on the request as [`Authenticated`].
pub async fn middleware(
    State(state): State<Arc<ServerState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let found = credentials(&request);
    let user = match authenticate(&state, found).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            if is_public(request.uri().path()) {
                request
                    .extensions_mut()
                    .insert(Authenticated(Arc::new(anonymous())));
                return next.run(request).await;
            }
            return unauthorized();
        }
        Err(()) => return unauthorized(),
    };
    let result = async {
        let user = authorize::impersonate(&state, user, request.headers()).await?;
        let (request, name_in_body) = node::peek_created_name(&user, request).await?;
        let attrs = request_attributes(request.method(), request.uri());
        authorize::authorize(&state, &user, &attrs, name_in_body.as_deref()).await?;
        Ok::<_, ApiError>((user, request))
    }
    .await;
    match result {
        Ok((user, mut request)) => {
            request.extensions_mut().insert(Authenticated(user));
            next.run(request).await
        }
        Err(err) => err.into_response(),
    }
}

enum Credentials {
    /// Already known: in-process, or a verified client certificate.
    Known(Arc<UserInfo>),
    Token(String),
    None,
}

/// Reads the credentials off the request without awaiting (its body is not `Sync`).
fn credentials(request: &Request) -> Credentials {
    if let Some(Authenticated(user)) = request.extensions().get::<Authenticated>() {
        return Credentials::Known(user.clone());
    }
    if let Some(PeerIdentity(user)) = request.extensions().get::<PeerIdentity>() {
        return Credentials::Known(user.clone());
    }
    match bearer_token(request.headers()) {
        Some(token) => Credentials::Token(token.to_string()),
        None => Credentials::None,
    }
}

/// `Ok(None)`: no credentials at all. `Err`: credentials that do not check out.
async fn authenticate(
    state: &ServerState,
    credentials: Credentials,
) -> Result<Option<Arc<UserInfo>>, ()> {
    match credentials {
        Credentials::Known(user) => Ok(Some(user)),
        Credentials::Token(token) => authenticate_token(state, &token)
            .await
            .map(|u| Some(Arc::new(u))),
        Credentials::None => Ok(None),
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Static tokens, then bootstrap tokens, then ServiceAccount JWTs.
pub async fn authenticate_token(state: &ServerState, token: &str) -> Result<UserInfo, ()> {
    let auth = &state.auth;
    if let Some(user) = auth.static_tokens.get(token) {
        return Ok(user.clone());
    }
    if let Some((id, secret)) = tokens::parse_bootstrap_token(token) {
        return authorize::bootstrap_token_user(state, id, secret)
            .await
            .ok_or(());
    }
    if tokens::looks_like_jwt(token) {
        return authorize::service_account_token_user(state, token, &[tokens::ISSUER])
            .await
            .ok_or(());
    }
    Err(())
}

/// An in-process client's service: the router with `user` attached to every request.
/// Only code in this process can build one, so the identity cannot be forged remotely.
#[derive(Clone)]
pub struct InProcess {
    router: Router,
    user: Arc<UserInfo>,
}

impl InProcess {
    pub fn new(router: Router, user: UserInfo) -> InProcess {
        InProcess {
            router,
            user: Arc::new(user),
        }
    }
}

impl<B> tower::Service<axum::http::Request<B>> for InProcess
where
    B: axum::body::HttpBody<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = <Router as tower::Service<axum::http::Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        <Router as tower::Service<axum::http::Request<B>>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> Self::Future {
        request
            .extensions_mut()
            .insert(Authenticated(self.user.clone()));
        self.router.call(request)
    }
}

/// A user in `groups` (plus `system:authenticated`).
pub fn user(name: &str, groups: &[&str]) -> UserInfo {
    let mut groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
    if !groups.iter().any(|g| g == AUTHENTICATED) {
        groups.push(AUTHENTICATED.to_string());
    }
    UserInfo {
        name: name.to_string(),
        uid: String::new(),
        groups,
        extra: BTreeMap::new(),
    }
}

/// The requesting user a handler runs for (anonymous if the middleware did not run,
/// which only unit tests do).
pub fn requester(extensions: &axum::http::Extensions) -> Arc<UserInfo> {
    extensions
        .get::<Authenticated>()
        .map(|a| a.0.clone())
        .unwrap_or_else(|| Arc::new(anonymous()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_health_and_version_are_public() {
        for p in ["/healthz", "/livez", "/readyz", "/version", "/readyz/ping"] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/api",
            "/apis",
            "/metrics",
            "/openapi/v2",
            "/healthzx",
            "/api/v1/pods",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "bearer abc".parse().expect("header"));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert("authorization", "Basic abc".parse().expect("header"));
        assert_eq!(bearer_token(&headers), None);
    }
}
