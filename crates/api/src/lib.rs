//! Kubernetes API semantics without IO: what objects mean, independent of how they are
//! stored or served. Everything works on raw JSON (`serde_json::Value`) so that no field
//! a client sent is lost before validation has seen it.

pub mod defaults;
pub mod protobuf;
pub mod quota;
pub mod rbac;
pub mod resources;
pub mod schema;
pub mod selector;
pub mod smp;
pub mod table;
pub mod validation;

/// Implements `kube::Resource` for `$view`, a partial decoding of the typed resource
/// `$of` (same kind, group, version and URL) with an `ObjectMeta` field `metadata`, so
/// `kube::Api<$view>` lists and watches `$of` while decoding only the view's fields.
/// The controllers and the scheduler each watch pods through such a view. A macro, so
/// that this crate needs no `kube`: the expansion names `::kube` and `::k8s_openapi`
/// from the crate that uses it.
#[macro_export]
macro_rules! resource_view {
    ($view:ty, $of:ty) => {
        impl ::kube::Resource for $view {
            type DynamicType = ();
            type Scope = <$of as ::kube::Resource>::Scope;

            fn kind(dt: &()) -> ::std::borrow::Cow<'_, str> {
                <$of as ::kube::Resource>::kind(dt)
            }
            fn group(dt: &()) -> ::std::borrow::Cow<'_, str> {
                <$of as ::kube::Resource>::group(dt)
            }
            fn version(dt: &()) -> ::std::borrow::Cow<'_, str> {
                <$of as ::kube::Resource>::version(dt)
            }
            fn plural(dt: &()) -> ::std::borrow::Cow<'_, str> {
                <$of as ::kube::Resource>::plural(dt)
            }
            fn meta(&self) -> &::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut ::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
