//! Requests answered by the authentication and authorization machinery itself:
//! access reviews (`kubectl auth can-i`), rules reviews (`can-i --list`),
//! `SelfSubjectReview` (`kubectl auth whoami`), `TokenReview`, `TokenRequest`
//! (`kubectl create token`), and CertificateSigningRequests (the requester recorded,
//! node client certificates auto-approved and signed, `kubectl certificate approve`).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use bosun_api::rbac::{Attributes, UserInfo};
use bytes::Bytes;
use serde_json::{Value, json};

use super::authorize::{decide, service_account_token_user};
use super::{authenticate_token, tokens};
use crate::ServerState;
use crate::error::{ApiError, ApiResult};
use crate::http::{ResourceTarget, json_response};
use crate::registry::WriteOptions;
use crate::rest;

const CSR_GROUP: &str = "certificates.k8s.io";
const KUBELET_CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client-kubelet";
const CLIENT_SIGNER: &str = "kubernetes.io/kube-apiserver-client";

/// Answers the request if it is one of ours; `None` lets the generic handlers run.
pub async fn intercept(
    state: &ServerState,
    method: &Method,
    headers: &HeaderMap,
    user: &UserInfo,
    target: &ResourceTarget,
    body: &Bytes,
) -> Option<ApiResult<Response>> {
    let info = target.info;
    let sub = target.subresource.as_deref();
    match (method, info.group, info.plural, sub) {
        (&Method::POST, "authorization.k8s.io", "selfsubjectaccessreviews", None) => {
            let review = rest::decode_body(headers, body);
            Some(match review {
                Ok(r) => access_review(state, user, r, "SelfSubjectAccessReview").await,
                Err(e) => Err(e),
            })
        }
        (&Method::POST, "authorization.k8s.io", "subjectaccessreviews", None) => {
            Some(match rest::decode_body(headers, body) {
                Ok(review) => {
                    let subject = subject_of(&review["spec"]);
                    access_review(state, &subject, review, "SubjectAccessReview").await
                }
                Err(e) => Err(e),
            })
        }
        (&Method::POST, "authorization.k8s.io", "selfsubjectrulesreviews", None) => {
            Some(rest::decode_body(headers, body).map(|r| rules_review(state, user, r)))
        }
        (&Method::POST, "authentication.k8s.io", "selfsubjectreviews", None) => {
            Some(Ok(json_response(
                StatusCode::CREATED,
                &json!({
                    "kind": "SelfSubjectReview",
                    "apiVersion": "authentication.k8s.io/v1",
                    "metadata": {"creationTimestamp": null},
                    "status": {"userInfo": user_info_json(user)},
                }),
            )))
        }
        (&Method::POST, "authentication.k8s.io", "tokenreviews", None) => {
            Some(match rest::decode_body(headers, body) {
                Ok(review) => Ok(token_review(state, review).await),
                Err(e) => Err(e),
            })
        }
        (&Method::POST, "", "serviceaccounts", Some("token")) => {
            Some(match rest::decode_body(headers, body) {
                Ok(request) => token_request(state, target, request).await,
                Err(e) => Err(e),
            })
        }
        (_, "authorization.k8s.io" | "authentication.k8s.io", _, _) => {
            Some(Err(ApiError::method_not_allowed(format!(
                "the server does not allow this method on the requested resource ({method} {})",
                info.group_resource()
            ))))
        }
        (&Method::POST, CSR_GROUP, "certificatesigningrequests", None) => {
            Some(match rest::decode_body(headers, body) {
                Ok(csr) => create_csr(state, user, csr).await,
                Err(e) => Err(e),
            })
        }
        (&Method::PUT, CSR_GROUP, "certificatesigningrequests", Some("approval")) => {
            let name = target.name.clone().unwrap_or_default();
            Some(match rest::decode_body(headers, body) {
                Ok(csr) => approve_csr(state, &name, csr).await,
                Err(e) => Err(e),
            })
        }
        _ => None,
    }
}

fn user_info_json(user: &UserInfo) -> Value {
    let mut info = json!({"username": user.name, "groups": user.groups});
    if !user.uid.is_empty() {
        info["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        info["extra"] = json!(user.extra);
    }
    info
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn subject_of(spec: &Value) -> UserInfo {
    let extra = spec["extra"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
        .unwrap_or_default();
    UserInfo {
        name: spec["user"].as_str().unwrap_or_default().to_string(),
        uid: spec["uid"].as_str().unwrap_or_default().to_string(),
        groups: strings(&spec["groups"]),
        extra,
    }
}

fn review_info(plural: &str) -> &'static bosun_api::resources::ResourceInfo {
    rest::info("authorization.k8s.io", plural)
}

async fn access_review(
    state: &ServerState,
    subject: &UserInfo,
    mut review: Value,
    kind: &str,
) -> ApiResult<Response> {
    let spec = &review["spec"];
    let (resource, non_resource) = (&spec["resourceAttributes"], &spec["nonResourceAttributes"]);
    let attrs = match (resource.is_object(), non_resource.is_object()) {
        (true, false) => Attributes {
            verb: resource["verb"].as_str().unwrap_or_default().to_string(),
            namespace: resource["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            api_group: resource["group"].as_str().unwrap_or_default().to_string(),
            resource: resource["resource"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            subresource: resource["subresource"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            name: resource["name"].as_str().unwrap_or_default().to_string(),
            resource_request: true,
            path: String::new(),
        },
        (false, true) => Attributes {
            verb: non_resource["verb"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            namespace: String::new(),
            api_group: String::new(),
            resource: String::new(),
            subresource: String::new(),
            name: String::new(),
            resource_request: false,
            path: non_resource["path"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        },
        _ => {
            let plural = if kind == "SubjectAccessReview" {
                "subjectaccessreviews"
            } else {
                "selfsubjectaccessreviews"
            };
            return Err(ApiError::invalid(
                review_info(plural),
                "",
                &[bosun_api::validation::FieldError::invalid(
                    "spec.resourceAttributes",
                    Value::Null,
                    "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                )],
            ));
        }
    };
    let status = match decide(state, subject, &attrs, None).await {
        Ok(Ok(())) => json!({"allowed": true}),
        Ok(Err(reason)) if reason.is_empty() => json!({"allowed": false}),
        Ok(Err(reason)) => json!({"allowed": false, "reason": reason}),
        // Node restriction's refusals are still answers to the question.
        Err(e) if e.code == 403 => json!({"allowed": false, "reason": e.message}),
        Err(e) => return Err(e),
    };
    review["status"] = status;
    review["metadata"] = json!({"creationTimestamp": null});
    Ok(json_response(StatusCode::CREATED, &review))
}

fn rules_review(state: &ServerState, user: &UserInfo, mut review: Value) -> Response {
    let namespace = review["spec"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let rules = state.auth.rbac().rules_for(user, &namespace);
    let mut status = json!({
        "resourceRules": rules.resource_rules,
        "nonResourceRules": rules.non_resource_rules,
        "incomplete": rules.incomplete,
    });
    if !rules.evaluation_error.is_empty() {
        status["evaluationError"] = json!(rules.evaluation_error);
    }
    review["status"] = status;
    review["metadata"] = json!({"creationTimestamp": null});
    json_response(StatusCode::CREATED, &review)
}

async fn token_review(state: &ServerState, mut review: Value) -> Response {
    let token = review["spec"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let audiences = strings(&review["spec"]["audiences"]);
    let user = if audiences.is_empty() {
        authenticate_token(state, &token).await.ok()
    } else {
        let auds: Vec<&str> = audiences.iter().map(String::as_str).collect();
        service_account_token_user(state, &token, &auds).await
    };
    review["status"] = match user {
        Some(user) => json!({
            "authenticated": true,
            "user": user_info_json(&user),
            "audiences": if audiences.is_empty() { vec![tokens::ISSUER.to_string()] } else { audiences },
        }),
        None => json!({"authenticated": false, "error": "invalid bearer token"}),
    };
    review["metadata"] = json!({"creationTimestamp": null});
    json_response(StatusCode::CREATED, &review)
}

async fn token_request(
    state: &ServerState,
    target: &ResourceTarget,
    mut request: Value,
) -> ApiResult<Response> {
    let info = rest::info("", "serviceaccounts");
    let ns = target.namespace.as_deref().unwrap_or("default");
    let name = target.name.as_deref().unwrap_or_default();
    let account = state.registry.get(info, Some(ns), name).await?;
    let keys = state
        .auth
        .service_accounts
        .as_ref()
        .ok_or_else(|| ApiError::unavailable("this server issues no service account tokens"))?;
    let expiration = request["spec"]["expirationSeconds"]
        .as_i64()
        .unwrap_or(tokens::DEFAULT_EXPIRATION_SECONDS);
    if expiration < tokens::MIN_EXPIRATION_SECONDS {
        return Err(ApiError::invalid(
            rest::info("", "serviceaccounts"),
            name,
            &[bosun_api::validation::FieldError::invalid(
                "spec.expirationSeconds",
                expiration,
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    let mut audiences = strings(&request["spec"]["audiences"]);
    if audiences.is_empty() {
        audiences.push(tokens::ISSUER.to_string());
    }
    let now = jiff::Timestamp::now();
    let exp = now.as_second() + expiration;
    let uid = account["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let claims = tokens::Claims {
        iss: tokens::ISSUER.to_string(),
        sub: format!("system:serviceaccount:{ns}:{name}"),
        aud: audiences.clone(),
        exp,
        iat: now.as_second(),
        nbf: now.as_second(),
        kubernetes: tokens::KubernetesClaims {
            namespace: ns.to_string(),
            serviceaccount: tokens::ObjectClaim {
                name: name.to_string(),
                uid,
            },
        },
    };
    let token = keys.issue(&claims).map_err(ApiError::internal)?;
    let expires = jiff::Timestamp::from_second(exp)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    request["apiVersion"] = json!("authentication.k8s.io/v1");
    request["kind"] = json!("TokenRequest");
    request["metadata"] = json!({"name": name, "namespace": ns, "creationTimestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()});
    request["spec"]["audiences"] = json!(audiences);
    request["spec"]["expirationSeconds"] = json!(expiration);
    request["status"] = json!({"token": token, "expirationTimestamp": expires});
    Ok(json_response(StatusCode::CREATED, &request))
}

/// A CSR's `spec.request` (base64 of PEM) as PEM text.
fn request_pem(csr: &Value) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(csr["spec"]["request"].as_str()?)
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn csr_info() -> &'static bosun_api::resources::ResourceInfo {
    rest::info(CSR_GROUP, "certificatesigningrequests")
}

/// Records who asked (upstream sets `spec.username`/`groups`/`uid` from the requester,
/// whatever the body says), stores the request, then approves and signs it if it is a
/// node client certificate the requester may obtain.
async fn create_csr(state: &ServerState, user: &UserInfo, mut csr: Value) -> ApiResult<Response> {
    let name = csr["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(request_pem) = request_pem(&csr).filter(|p| p.contains("CERTIFICATE REQUEST")) else {
        return Err(ApiError::invalid(
            csr_info(),
            &name,
            &[bosun_api::validation::FieldError::invalid(
                "spec.request",
                "",
                "PEM block type must be CERTIFICATE REQUEST",
            )],
        ));
    };
    if csr["spec"]["signerName"]
        .as_str()
        .unwrap_or_default()
        .is_empty()
    {
        return Err(ApiError::invalid(
            csr_info(),
            &name,
            &[bosun_api::validation::FieldError::required(
                "spec.signerName",
                "",
            )],
        ));
    }
    csr["spec"]["username"] = json!(user.name);
    csr["spec"]["groups"] = json!(user.groups);
    if !user.uid.is_empty() {
        csr["spec"]["uid"] = json!(user.uid);
    }
    let written = state
        .registry
        .create(csr_info(), None, csr, &WriteOptions::default())
        .await?;
    let created_name = written.object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let object = match auto_approval(state, &written.object, &request_pem).await? {
        Some(condition) => approve_and_sign(state, &created_name, condition).await?,
        None => written.object,
    };
    Ok(json_response(StatusCode::CREATED, &object))
}

/// Upstream's kubelet client CSR approver: CN `system:node:<name>`, O `system:nodes`,
/// client usages only, and the requester allowed `certificatesigningrequests/nodeclient`
/// (or `selfnodeclient` when renewing its own).
async fn auto_approval(state: &ServerState, csr: &Value, pem: &str) -> ApiResult<Option<Value>> {
    if csr["spec"]["signerName"] != KUBELET_CLIENT_SIGNER {
        return Ok(None);
    }
    let Ok(request) = rcgen::CertificateSigningRequestParams::from_pem(pem) else {
        return Ok(None);
    };
    let mut cn = String::new();
    let mut orgs = Vec::new();
    for (kind, value) in request.params.distinguished_name.iter() {
        let text = dn_text(value);
        match kind {
            rcgen::DnType::CommonName => cn = text,
            rcgen::DnType::OrganizationName => orgs.push(text),
            _ => {}
        }
    }
    let usages_ok = strings(&csr["spec"]["usages"]).iter().all(|u| {
        matches!(
            u.as_str(),
            "digital signature" | "key encipherment" | "client auth"
        )
    });
    if !cn.starts_with("system:node:") || orgs != ["system:nodes"] || !usages_ok {
        return Ok(None);
    }
    let requester = subject_of(&json!({
        "user": csr["spec"]["username"],
        "groups": csr["spec"]["groups"],
        "uid": csr["spec"]["uid"],
    }));
    let sub = if requester.name == cn {
        "selfnodeclient"
    } else {
        "nodeclient"
    };
    let attrs = Attributes {
        verb: "create".into(),
        namespace: String::new(),
        api_group: CSR_GROUP.into(),
        resource: "certificatesigningrequests".into(),
        subresource: sub.into(),
        name: String::new(),
        resource_request: true,
        path: String::new(),
    };
    Ok(match decide(state, &requester, &attrs, None).await? {
        Ok(()) => Some(json!({
            "type": "Approved",
            "status": "True",
            "reason": "AutoApproved",
            "message": "Auto approving kubelet client certificate after SubjectAccessReview.",
        })),
        Err(_) => None,
    })
}

fn dn_text(value: &rcgen::DnValue) -> String {
    match value {
        rcgen::DnValue::Utf8String(s) => s.clone(),
        rcgen::DnValue::PrintableString(s) => s.as_str().to_string(),
        rcgen::DnValue::Ia5String(s) => s.as_str().to_string(),
        rcgen::DnValue::TeletexString(s) => s.as_str().to_string(),
        other => format!("{other:?}"),
    }
}

/// `kubectl certificate approve|deny`: stores the conditions, and signs approved
/// client-certificate requests.
async fn approve_csr(state: &ServerState, name: &str, body: Value) -> ApiResult<Response> {
    let conditions = body["status"]["conditions"].clone();
    let approved = conditions.as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Approved" && c["status"] == "True")
    });
    let stored = state
        .registry
        .mutate(csr_info(), None, name, |current| {
            let mut next = current.clone();
            next["status"]["conditions"] = stamp(conditions.clone());
            Ok((next != *current).then_some(next))
        })
        .await?;
    let object = if approved {
        sign(state, name, &stored).await?
    } else {
        stored
    };
    Ok(json_response(StatusCode::OK, &object))
}

fn stamp(mut conditions: Value) -> Value {
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    if let Some(list) = conditions.as_array_mut() {
        for c in list {
            for key in ["lastUpdateTime", "lastTransitionTime"] {
                if c[key].is_null() {
                    c[key] = json!(now);
                }
            }
        }
    }
    conditions
}

async fn approve_and_sign(state: &ServerState, name: &str, condition: Value) -> ApiResult<Value> {
    let stored = state
        .registry
        .mutate(csr_info(), None, name, |current| {
            let mut next = current.clone();
            next["status"]["conditions"] = stamp(json!([condition.clone()]));
            Ok(Some(next))
        })
        .await?;
    sign(state, name, &stored).await
}

/// Issues the certificate of an approved request for a client signer we run.
async fn sign(state: &ServerState, name: &str, csr: &Value) -> ApiResult<Value> {
    let signer = csr["spec"]["signerName"].as_str().unwrap_or_default();
    if !matches!(signer, KUBELET_CLIENT_SIGNER | CLIENT_SIGNER)
        || csr["status"]["certificate"].is_string()
    {
        return Ok(csr.clone());
    }
    let Some(ca) = state.auth.ca.as_ref() else {
        return Ok(csr.clone());
    };
    let pem = request_pem(csr).unwrap_or_default();
    let certificate = match ca.sign_client_request(&pem) {
        Ok(cert) => json!(base64::engine::general_purpose::STANDARD.encode(cert)),
        Err(err) => {
            let failed = json!({"type": "Failed", "status": "True", "reason": "SignerValidationFailure", "message": err.to_string()});
            return state
                .registry
                .mutate(csr_info(), None, name, |current| {
                    let mut next = current.clone();
                    let mut list = next["status"]["conditions"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    list.push(failed.clone());
                    next["status"]["conditions"] = stamp(json!(list));
                    Ok(Some(next))
                })
                .await;
        }
    };
    state
        .registry
        .mutate(csr_info(), None, name, |current| {
            let mut next = current.clone();
            next["status"]["certificate"] = certificate.clone();
            Ok(Some(next))
        })
        .await
}
