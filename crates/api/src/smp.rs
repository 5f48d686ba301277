//! Strategic merge patch (`application/strategic-merge-patch+json`) applied on the server,
//! with the semantics of upstream's `k8s.io/apimachinery/pkg/util/strategicpatch` as the
//! API server runs it (parallel deletion lists merged, unmatched nulls ignored), and the
//! detection of fields a schema does not know (`fieldValidation=Strict|Warn`).
//!
//! The patch is walked against the OpenAPI definitions of [`crate::schema`], which carry
//! upstream's `patchStrategy` / `patchMergeKey` tags. Maps merge recursively and `null`
//! deletes a key; lists whose field has strategy `merge` merge by merge key (lists of
//! scalars take the union); other lists are replaced. The directives `$patch`
//! (`replace` / `delete`), `$retainKeys`, `$deleteFromPrimitiveList/<field>` and
//! `$setElementOrder/<field>` behave as upstream, including its ordering rules and its
//! quirks (a `$patch: delete` map becomes `{}`; values added wholesale keep any nested
//! directive keys other than `$patch`, which upstream then drops as unknown fields when it
//! decodes the result).

mod gofmt;
mod order;
#[cfg(test)]
mod tests;
mod unknown;

use serde_json::{Map, Value};

use crate::schema::{self, Node, Type};
use gofmt::{go_s, go_type, go_v};
use order::{normalize_element_order, partition_maps, partition_primitives};
pub use unknown::{drop_unknown_fields, unknown_fields};

const DIRECTIVE: &str = "$patch";
const REPLACE: &str = "replace";
const DELETE: &str = "delete";
const MERGE: &str = "merge";
const RETAIN_KEYS_STRATEGY: &str = "retainKeys";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// Why a strategic merge patch could not be applied. The message is upstream's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SmpError {
    status: u16,
    message: String,
}

impl SmpError {
    /// The HTTP status upstream answers with: 400 (`BadRequest`) for a malformed patch or
    /// directive; 422 for lists of lists (upstream then says "the server rejected our request
    /// due to an error in our request" with this message as the cause); 500 with an empty
    /// reason for everything else (a missing merge key, an unknown `$patch` value, a field
    /// unknown to the schema where both sides hold objects or lists), exactly as upstream,
    /// which does not classify those errors.
    pub fn status_code(&self) -> u16 {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    fn bad_request(message: impl Into<String>) -> Self {
        SmpError {
            status: 400,
            message: message.into(),
        }
    }

    fn unprocessable(message: impl Into<String>) -> Self {
        SmpError {
            status: 422,
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        SmpError {
            status: 500,
            message: message.into(),
        }
    }
}

// Upstream's error values (`mergepatch` package and `strategicpatch`), so messages match.
fn err_primitive_list_format() -> SmpError {
    SmpError::bad_request("invalid patch format of primitive list")
}

fn err_retain_keys_format() -> SmpError {
    SmpError::bad_request("invalid patch format of retainKeys")
}

fn err_set_element_order_format() -> SmpError {
    SmpError::bad_request("invalid patch format of setElementOrder list")
}

fn err_list_of_lists() -> SmpError {
    SmpError::unprocessable("lists of lists are not supported")
}

fn err_no_merge_key(map: &Map<String, Value>, key: &str) -> SmpError {
    let map = Value::Object(map.clone());
    SmpError::internal(format!(
        "map: {} does not contain declared merge key: {key}",
        go_v(&map)
    ))
}

fn err_bad_arg_type(expected: &str, actual: &Value) -> SmpError {
    SmpError::internal(format!(
        "expected a {expected}, but received a {}",
        go_type(actual)
    ))
}

fn err_bad_patch_type(directive: &Value, map: &Map<String, Value>) -> SmpError {
    let map = Value::Object(map.clone());
    SmpError::internal(format!(
        "unknown patch type: {} in map: {}",
        go_s(directive),
        go_v(&map)
    ))
}

const GO_MAP: &str = "map[string]interface {}";
const GO_SLICE: &str = "[]interface {}";

/// Applies `patch` to `original`, an object of OpenAPI definition `definition`
/// (`io.k8s.api.apps.v1.Deployment`), as the API server does for a strategic merge patch.
///
/// A `null` patch changes nothing; a patch that is not an object is rejected with the
/// decoding error upstream gives. Fields the schema does not know are merged like JSON
/// merge patch where that is unambiguous and rejected (as upstream) where both sides hold
/// objects or lists; callers run [`unknown_fields`] on the result for `fieldValidation`.
pub fn apply_strategic_merge_patch(
    original: &Value,
    patch: &Value,
    definition: &str,
) -> Result<Value, SmpError> {
    let root = schema::definition(definition)
        .ok_or_else(|| SmpError::internal(format!("no schema for {definition}")))?;
    let patch = match patch {
        Value::Null => return Ok(original.clone()),
        Value::Object(patch) => patch.clone(),
        other => {
            return Err(SmpError::bad_request(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(other)
            )));
        }
    };
    let original = match original {
        Value::Object(original) => original.clone(),
        Value::Null => Map::new(),
        other => return Err(err_bad_arg_type(GO_MAP, other)),
    };
    merge_map(original, patch, root).map(Value::Object)
}

/// The JSON kind named in Go's `UnmarshalTypeError`.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What the schema says about one key of a map being merged.
struct Lookup {
    node: Node,
    /// The strategy other than `retainKeys` (`merge`, `replace` or empty).
    strategy: &'static str,
    merge_key: &'static str,
}

/// The Go reflection kind upstream would report for a schema node.
fn go_kind(node: Node) -> &'static str {
    match node.ty() {
        Type::Struct(_) | Type::Opaque => "struct",
        Type::List(_) => "slice",
        Type::Map(_) => "map",
        Type::Scalar if node.definition_name().is_some() => "struct",
        Type::Scalar => {
            let schema = node.schema();
            let text = |key: &str| schema.get(key).and_then(Value::as_str);
            match (text("type"), text("format")) {
                (Some("string"), Some("byte")) => "slice",
                (Some("string"), _) => "string",
                (Some("integer"), Some("int32")) => "int32",
                (Some("integer"), _) => "int64",
                (Some("boolean"), _) => "bool",
                (Some("number"), _) => "float64",
                _ => "interface",
            }
        }
    }
}

/// The Go type name upstream prints for a struct: the definition name's last segment.
fn go_struct_name(node: Node) -> &'static str {
    node.definition_name()
        .map_or("", |name| name.rsplit('.').next().unwrap_or(name))
}

/// Finds `key` in the type `parent`, as upstream's struct-tag lookup does: struct fields by
/// JSON name, any key of a map.
fn lookup_field(parent: Node, key: &str) -> Result<Lookup, SmpError> {
    let (node, strategies, merge_key) = match parent.ty() {
        Type::Map(values) => (values, None, None),
        Type::Struct(_) | Type::Opaque | Type::Scalar if go_kind(parent) == "struct" => {
            let field = parent.field(key).ok_or_else(|| {
                SmpError::internal(format!(
                    "unable to find api field in struct {} for the json field {key:?}",
                    go_struct_name(parent)
                ))
            })?;
            (field.node, field.patch_strategy, field.merge_key)
        }
        _ => {
            return Err(SmpError::internal(format!(
                "merging an object in json but data type is not map or struct, instead is: {}",
                go_kind(parent)
            )));
        }
    };
    Ok(Lookup {
        node,
        strategy: other_strategy(strategies.unwrap_or(""))?,
        merge_key: merge_key.unwrap_or(""),
    })
}

/// Like [`lookup_field`] for a list field; the returned node is the element's.
fn lookup_list(parent: Node, key: &str) -> Result<Lookup, SmpError> {
    let field = lookup_field(parent, key)?;
    match field.node.ty() {
        Type::List(element) => {
            if matches!(element.ty(), Type::List(_)) {
                return Err(SmpError::internal("unexpected slice of slice"));
            }
            Ok(Lookup {
                node: element,
                ..field
            })
        }
        _ => Err(SmpError::internal(format!(
            "expected slice or array type, but got: {}",
            go_kind(parent)
        ))),
    }
}

/// Splits `retainKeys` off a comma-separated strategy, returning the other strategy.
fn other_strategy(strategies: &'static str) -> Result<&'static str, SmpError> {
    let parts: Vec<&'static str> = if strategies.is_empty() {
        Vec::new()
    } else {
        strategies.split(',').collect()
    };
    match parts.as_slice() {
        [] => Ok(""),
        [one] if *one == RETAIN_KEYS_STRATEGY => Ok(""),
        [one] => Ok(one),
        [a, b] if *a == RETAIN_KEYS_STRATEGY => Ok(b),
        [a, b] if *b == RETAIN_KEYS_STRATEGY => Ok(a),
        _ => Err(SmpError::internal(format!(
            "unexpected patch strategy: [{}]",
            parts.join(" ")
        ))),
    }
}

/// Merges `patch` into `original`, both objects of type `ty`.
fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    ty: Node,
) -> Result<Map<String, Value>, SmpError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some(REPLACE) => {
                patch.shift_remove(DIRECTIVE);
                Ok(patch)
            }
            Some(DELETE) => Ok(Map::new()),
            _ => Err(err_bad_patch_type(directive, &patch)),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_ordered_lists(&mut original, &mut patch, ty)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            (extract_key(&key, DELETE_FROM_PRIMITIVE_LIST)?, true)
        } else {
            (key, false)
        };
        if patch_value.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let Some(current) = original.get_mut(&key) else {
            if !is_delete_list && let Some(value) = added_value(patch_value) {
                original.insert(key, value);
            }
            continue;
        };
        match (current, patch_value) {
            (Value::Object(current), Value::Object(patch_map)) => {
                let field = lookup_field(ty, &key)?;
                let merged = if field.strategy == REPLACE {
                    patch_map
                } else {
                    merge_map(std::mem::take(current), patch_map, field.node)?
                };
                *current = merged;
            }
            (Value::Array(current), Value::Array(patch_list)) => {
                let field = lookup_list(ty, &key)?;
                let merged =
                    merge_list_field(std::mem::take(current), patch_list, &field, is_delete_list)?;
                *current = merged;
            }
            (current, patch_value) if go_type(current) == go_type(&patch_value) => {
                *current = patch_value;
            }
            (_, patch_value) => {
                if !is_delete_list {
                    match added_value(patch_value) {
                        Some(value) => {
                            original.insert(key, value);
                        }
                        None => {
                            original.shift_remove(&key);
                        }
                    }
                }
            }
        }
    }
    Ok(original)
}

/// A patch value taken as is (no counterpart to merge with): nulls dropped from its maps and
/// `$patch` maps removed. `None` when the value itself is a `$patch` map.
fn added_value(mut value: Value) -> Option<Value> {
    discard_nulls(&mut value);
    remove_patch_directives(value)
}

fn discard_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls),
        _ => {}
    }
}

fn remove_patch_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(DIRECTIVE) => None,
        Value::Object(map) => Some(Value::Object(
            map.into_iter()
                .filter_map(|(k, v)| remove_patch_directives(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Array(items) => Some(Value::Array(
            items
                .into_iter()
                .filter_map(remove_patch_directives)
                .collect(),
        )),
        other => Some(other),
    }
}

/// `$deleteFromPrimitiveList/finalizers` → `finalizers`.
fn extract_key(key: &str, prefix: &str) -> Result<String, SmpError> {
    match key.split_once('/') {
        Some((head, rest)) if head == prefix => Ok(rest.to_string()),
        _ if prefix == DELETE_FROM_PRIMITIVE_LIST => Err(err_primitive_list_format()),
        _ => Err(err_set_element_order_format()),
    }
}

/// `$retainKeys`: keys of `original` not listed are cleared, and every key the patch sets
/// must be listed.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), SmpError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(err_retain_keys_format());
    };
    let listed = |key: &str| retain.iter().any(|v| v.as_str() == Some(key));
    for (key, value) in patch.iter() {
        if value.is_null()
            || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || key.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !listed(key) {
            return Err(err_retain_keys_format());
        }
    }
    original.retain(|key, _| listed(key));
    Ok(())
}

/// `$setElementOrder/<field>`: merges the field's list (if patched) and orders the result
/// by the directive, then the patch, then the live list. Consumes the directive and the
/// list it covers from `patch`.
fn merge_ordered_lists(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    ty: Node,
) -> Result<(), SmpError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(order) = patch.shift_remove(&directive) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(err_bad_arg_type(GO_SLICE, &order));
        };
        let key = extract_key(&directive, SET_ELEMENT_ORDER)?;
        let original_list = match original.get(&key) {
            Some(Value::Array(list)) => Some(list.clone()),
            Some(other) => return Err(err_bad_arg_type(GO_SLICE, other)),
            None => None,
        };
        let patch_list = match patch.get(&key) {
            Some(Value::Array(list)) => Some(list.clone()),
            Some(other) => return Err(err_bad_arg_type(GO_SLICE, other)),
            None => None,
        };
        let field = lookup_list(ty, &key)?;
        let merge_key = field.merge_key;
        order::validate_against_order(patch_list.as_deref().unwrap_or(&[]), &order, merge_key)?;

        let merged = match (&original_list, &patch_list) {
            (Some(current), None) => current.clone(),
            (None, Some(patch_list)) => patch_list
                .iter()
                .cloned()
                .filter_map(remove_patch_directives)
                .collect(),
            (Some(current), Some(patch_list)) => {
                merge_list_field(current.clone(), patch_list.clone(), &field, false)?
            }
            (None, None) => continue,
        };
        let (in_order, server_only) = if merge_key.is_empty() {
            partition_primitives(merged, &order)
        } else {
            partition_maps(merged, &order, merge_key)?
        };
        let current = original_list.unwrap_or_default();
        let kind = element_kind(&[&current, patch_list.as_deref().unwrap_or(&[])])?;
        let ordered =
            normalize_element_order(in_order, server_only, &order, &current, merge_key, kind)?;
        original.insert(key.clone(), Value::Array(ordered));
        patch.shift_remove(&key);
    }
    Ok(())
}

/// Whether list elements are maps (merged by key) or scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ElementKind {
    Map,
    Scalar,
}

/// The common kind of all elements of `lists`; upstream requires one Go type throughout.
fn element_kind(lists: &[&[Value]]) -> Result<ElementKind, SmpError> {
    let mut first: Option<&Value> = None;
    for item in lists.iter().flat_map(|list| list.iter()) {
        match first {
            None => {
                if item.is_array() {
                    return Err(err_list_of_lists());
                }
                first = Some(item);
            }
            Some(first) if go_type(first) != go_type(item) => {
                let all: Vec<Value> = lists.iter().map(|l| Value::Array(l.to_vec())).collect();
                return Err(SmpError::internal(format!(
                    "list element types are not identical: {}",
                    go_v(&Value::Array(all))
                )));
            }
            Some(_) => {}
        }
    }
    match first {
        None => Err(SmpError::internal("no elements in any of the given slices")),
        Some(Value::Object(_)) => Ok(ElementKind::Map),
        Some(_) => Ok(ElementKind::Scalar),
    }
}

/// Merges a patched list field: by strategy `merge` (or as a deletion list), else replaced.
fn merge_list_field(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &Lookup,
    is_delete_list: bool,
) -> Result<Vec<Value>, SmpError> {
    if field.strategy != MERGE && !is_delete_list {
        return Ok(patch);
    }
    merge_list(original, patch, field, is_delete_list)
}

fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &Lookup,
    is_delete_list: bool,
) -> Result<Vec<Value>, SmpError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = element_kind(&[&original, &patch])?;
    let merge_key = field.merge_key;
    let (original, patch, merged) = match kind {
        ElementKind::Scalar => {
            if is_delete_list {
                return Ok(original
                    .into_iter()
                    .filter(|v| !patch.contains(v))
                    .collect());
            }
            let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
            for item in original.iter().chain(patch.iter()) {
                if !merged.contains(item) {
                    merged.push(item.clone());
                }
            }
            (original, patch, merged)
        }
        ElementKind::Map => {
            if merge_key.is_empty() {
                return Err(SmpError::internal(format!(
                    "cannot merge lists without merge key for {}",
                    go_kind(field.node)
                )));
            }
            let (original, patch) = apply_list_directives(original, patch, merge_key)?;
            let merged = merge_by_key(original.clone(), &patch, merge_key, field.node)?;
            (original, patch, merged)
        }
    };
    let (patched, server_only) = if merge_key.is_empty() {
        partition_primitives(merged, &patch)
    } else {
        partition_maps(merged, &patch, merge_key)?
    };
    normalize_element_order(patched, server_only, &patch, &original, merge_key, kind)
}

/// Handles list elements carrying `$patch`: `delete` removes the original elements with that
/// merge key, `replace` makes the rest of the patch the whole list. Returns the updated
/// original and the patch without those elements.
fn apply_list_directives(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Value::Object(map) = &item else {
            return Err(err_bad_arg_type(GO_MAP, &item));
        };
        let Some(directive) = map.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some(DELETE) => {
                let Some(key_value) = map.get(merge_key) else {
                    return Err(err_no_merge_key(map, merge_key));
                };
                let mut kept = Vec::with_capacity(original.len());
                for candidate in original {
                    match &candidate {
                        Value::Object(c) if c.get(merge_key) == Some(key_value) => {}
                        Value::Object(_) => kept.push(candidate),
                        _ => return Err(not_a_map(kept.len())),
                    }
                }
                original = kept;
            }
            // Keep scanning so that other `$patch` elements are pruned too.
            Some(REPLACE) => replace = true,
            Some(MERGE) => {
                return Err(SmpError::internal(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            _ => return Err(err_bad_patch_type(directive, map)),
        }
    }
    if replace {
        return Ok((plain, Vec::new()));
    }
    Ok((original, plain))
}

fn not_a_map(index: usize) -> SmpError {
    SmpError::internal(format!("value for key {index} is not a map"))
}

/// The index of the first map in `list` whose `key` equals `value`.
pub(super) fn find_by_key(
    list: &[Value],
    key: &str,
    value: &Value,
) -> Result<Option<usize>, SmpError> {
    for (i, item) in list.iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(not_a_map(i));
        };
        if map.get(key) == Some(value) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Merges each patch element into the original element with the same merge key, appending
/// the ones that have none.
fn merge_by_key(
    mut original: Vec<Value>,
    patch: &[Value],
    merge_key: &str,
    element: Node,
) -> Result<Vec<Value>, SmpError> {
    for item in patch {
        let Value::Object(map) = item else {
            return Err(err_bad_arg_type(GO_MAP, item));
        };
        let Some(key_value) = map.get(merge_key) else {
            return Err(err_no_merge_key(map, merge_key));
        };
        match find_by_key(&original, merge_key, key_value)? {
            Some(index) => {
                let current = match std::mem::take(&mut original[index]) {
                    Value::Object(current) => current,
                    _ => Map::new(),
                };
                original[index] = Value::Object(merge_map(current, map.clone(), element)?);
            }
            None => original.push(item.clone()),
        }
    }
    Ok(original)
}
