//! The label key / label value checks a selector applies to its requirements (the same ones
//! object validation uses), and the Go formatting of the resulting field errors. Selector errors are compared by text (kubectl shows
//! them to users), so every string here is upstream's (`apimachinery/pkg/util/validation` and
//! `.../validation/field`), including its odd spacing ("'MyName',  or").

/// Label key errors (`IsQualifiedName`), shared with object validation.
pub(super) fn qualified_name_errors(value: &str) -> Vec<String> {
    crate::validation::names::is_qualified_name(value)
}

/// Label value errors (`IsValidLabelValue`), shared with object validation.
pub(super) fn label_value_errors(value: &str) -> Vec<String> {
    crate::validation::names::is_valid_label_value(value)
}

pub(super) use crate::validation::render::go_quote;

/// Go's `%#v` of a `[]string`; `None` is a nil slice.
pub(super) fn go_string_slice(values: Option<&[String]>) -> String {
    match values {
        None => "[]string(nil)".to_string(),
        Some(values) => {
            let items: Vec<String> = values.iter().map(|v| go_quote(v)).collect();
            format!("[]string{{{}}}", items.join(", "))
        }
    }
}

/// A `field.Invalid` error's text: `<path>: Invalid value: <value>: <detail>`. An unset path
/// prints as `<nil>`, which is what users see for a bad key in a selector string.
pub(super) fn invalid(path: &str, value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {value}: {detail}")
}

/// `utilerrors.NewAggregate(...).Error()`: one message alone, several in brackets, duplicates
/// dropped.
pub(super) fn aggregate(errs: Vec<String>) -> Option<String> {
    match errs.len() {
        0 => None,
        1 => errs.into_iter().next(),
        _ => {
            let mut seen: Vec<String> = Vec::new();
            for e in errs {
                if !seen.contains(&e) {
                    seen.push(e);
                }
            }
            if seen.len() == 1 {
                seen.into_iter().next()
            } else {
                Some(format!("[{}]", seen.join(", ")))
            }
        }
    }
}
