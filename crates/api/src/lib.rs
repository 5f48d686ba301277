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
