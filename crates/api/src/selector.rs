//! Label and field selectors: the `labelSelector` / `fieldSelector` query parameters of list and
//! watch requests, `metav1.LabelSelector` objects in specs, and matching objects against them.
//!
//! The grammar, canonical string forms and error texts follow upstream's
//! `k8s.io/apimachinery/pkg/labels` and `.../fields` packages, because `kubectl` passes the
//! user's selector string to the server unparsed and prints the server's message verbatim
//! (`Error from server (BadRequest): Unable to find ... : <our message>`). The server wraps every
//! [`SelectorError`] in a 400 `BadRequest` Status whose message is exactly the error's text.

mod field;
mod label;
mod names;
#[cfg(test)]
mod tests;

pub use field::{FieldOp, FieldSelector, FieldSet, FieldTerm};
pub use label::{LabelSelector, Labels, Operator, PackedLabels, Requirement};

/// A selector that cannot be parsed, built or used; its text is upstream's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectorError {
    message: String,
}

impl SelectorError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        SelectorError {
            message: message.into(),
        }
    }

    /// The message upstream puts in the 400 `BadRequest` Status.
    pub fn message(&self) -> &str {
        &self.message
    }
}
