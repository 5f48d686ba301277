//! Turns one protobuf message into the JSON Go's `encoding/json` would write for the same
//! struct, driven by the field table: the same field order, the same omissions, `null` where
//! Go writes nil, and the custom JSON forms of `Time`, `MicroTime`, `Quantity`, `IntOrString`,
//! `FieldsV1` and `[]byte`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::ProtobufError;
use super::table::{Field, Message, Shape, Ty};
use super::wire::{self, Wire};

/// The table has no cycles and nests 13 deep; this only guards against a broken table.
const MAX_DEPTH: usize = 64;

/// Seconds from the Unix epoch to Go's zero `time.Time` (0001-01-01T00:00:00Z), which
/// `metav1.Time` writes as `null`.
const GO_ZERO_TIME_UNIX: i64 = -62_135_596_800;

/// `kind` and `apiVersion` from the envelope, for the top-level object's `TypeMeta`.
pub(super) struct TypeMeta<'a> {
    pub(super) kind: &'a str,
    pub(super) api_version: &'a str,
}

/// Decodes `bytes` as `message` into a JSON object.
pub(super) fn object(
    message: &'static Message,
    bytes: &[u8],
    type_meta: Option<&TypeMeta<'_>>,
    depth: usize,
) -> Result<Map<String, Value>, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError::Malformed(format!(
            "{} is nested too deeply",
            message.name
        )));
    }
    let mut by_number: BTreeMap<u32, Vec<Wire<'_>>> = BTreeMap::new();
    for (number, value) in wire::fields(bytes)? {
        // Numbers the table does not know are newer fields; Go drops them too.
        by_number.entry(number).or_default().push(value);
    }
    let mut out = Map::new();
    for field in message.fields {
        let wire = by_number.get(&field.number).map_or(&[][..], Vec::as_slice);
        let at = At { message, field };
        match field.shape {
            Shape::TypeMeta => {
                if let Some(meta) = type_meta {
                    for (name, value) in [("kind", meta.kind), ("apiVersion", meta.api_version)] {
                        if !value.is_empty() {
                            out.insert(name.to_owned(), Value::String(value.to_owned()));
                        }
                    }
                }
            }
            Shape::Inline(inner) => {
                let bytes = merged(wire, at)?;
                out.extend(object(inner, &bytes, None, depth + 1)?);
            }
            Shape::Value(ty) => {
                let value = if wire.is_empty() {
                    zero(ty, depth)?
                } else {
                    single(ty, wire, at, depth)?
                };
                if !(field.omit_empty && is_empty_scalar(ty, &value)) {
                    out.insert(field.json.to_owned(), value);
                }
            }
            Shape::Pointer(ty) => {
                if !wire.is_empty() {
                    out.insert(field.json.to_owned(), single(ty, wire, at, depth)?);
                } else if !field.omit_empty {
                    out.insert(field.json.to_owned(), Value::Null);
                }
            }
            Shape::Slice(ty) => {
                let items = repeated(ty, wire, at, depth)?;
                if !items.is_empty() {
                    out.insert(field.json.to_owned(), Value::Array(items));
                } else if !field.omit_empty {
                    out.insert(field.json.to_owned(), Value::Null);
                }
            }
            Shape::Map(ty) => {
                let entries = map(ty, wire, at, depth)?;
                if !entries.is_empty() {
                    out.insert(field.json.to_owned(), Value::Object(entries));
                } else if !field.omit_empty {
                    out.insert(field.json.to_owned(), Value::Null);
                }
            }
        }
    }
    Ok(out)
}

/// Where a value sits, for error messages.
#[derive(Clone, Copy)]
struct At {
    message: &'static Message,
    field: &'static Field,
}

impl At {
    fn wrong_wire(self, expected: &str, got: &Wire<'_>) -> ProtobufError {
        let name = match self.field.json {
            "" => String::new(),
            json => format!(" ({json})"),
        };
        ProtobufError::Malformed(format!(
            "{} field {}{name}: expected {expected}, got {}",
            self.message.name,
            self.field.number,
            got.describe()
        ))
    }

    fn invalid(self, problem: impl std::fmt::Display) -> ProtobufError {
        ProtobufError::Malformed(format!(
            "{} field {} ({}): {problem}",
            self.message.name, self.field.number, self.field.json
        ))
    }
}

/// What Go writes for a zero value of `ty`.
fn zero(ty: Ty, depth: usize) -> Result<Value, ProtobufError> {
    Ok(match ty {
        Ty::Str => Value::String(String::new()),
        Ty::Bool => Value::Bool(false),
        Ty::Int32 | Ty::Int64 | Ty::IntOrString => Value::from(0),
        Ty::Quantity => Value::String("0".to_owned()),
        Ty::Msg(message) => Value::Object(object(message, &[], None, depth + 1)?),
        // nil []byte, zero times, nil raw JSON and nil string lists are all `null` in Go.
        Ty::Bytes | Ty::Time | Ty::MicroTime | Ty::FieldsV1 | Ty::StringList => Value::Null,
    })
}

/// Go's `omitempty` test for the value types a plain (non-pointer) field can hold. Structs,
/// including `Time`, `Quantity` and `IntOrString`, are never empty to Go.
fn is_empty_scalar(ty: Ty, value: &Value) -> bool {
    match ty {
        Ty::Str | Ty::Bytes => matches!(value, Value::Null) || value.as_str() == Some(""),
        Ty::Bool => value == &Value::Bool(false),
        Ty::Int32 | Ty::Int64 => value.as_i64() == Some(0),
        _ => false,
    }
}

/// A singular field. Scalars take the last occurrence and messages merge all of them, as
/// protobuf specifies (merging a message is decoding the concatenation of its parts).
fn single(ty: Ty, wire: &[Wire<'_>], at: At, depth: usize) -> Result<Value, ProtobufError> {
    match ty {
        Ty::Str | Ty::Bytes => {
            let mut last = &[][..];
            for value in wire {
                last = bytes_of(value, at)?;
            }
            Ok(scalar_bytes(ty, last))
        }
        Ty::Bool | Ty::Int32 | Ty::Int64 => {
            let mut last = 0;
            for value in wire {
                last = varint_of(value, at)?;
            }
            Ok(scalar_varint(ty, last))
        }
        _ => structured(ty, &merged(wire, at)?, at, depth),
    }
}

fn repeated(ty: Ty, wire: &[Wire<'_>], at: At, depth: usize) -> Result<Vec<Value>, ProtobufError> {
    let mut items = Vec::with_capacity(wire.len());
    for value in wire {
        match (ty, value) {
            (Ty::Str | Ty::Bytes, _) => items.push(scalar_bytes(ty, bytes_of(value, at)?)),
            (Ty::Bool | Ty::Int32 | Ty::Int64, Wire::Varint(v)) => {
                items.push(scalar_varint(ty, *v));
            }
            // Go's generated code writes repeated numbers unpacked, but accepts packed ones.
            (Ty::Bool | Ty::Int32 | Ty::Int64, Wire::Bytes(packed)) => {
                for v in wire::packed_varints(packed)? {
                    items.push(scalar_varint(ty, v));
                }
            }
            (Ty::Bool | Ty::Int32 | Ty::Int64, other) => {
                return Err(at.wrong_wire("a varint", other));
            }
            _ => items.push(structured(ty, bytes_of(value, at)?, at, depth)?),
        }
    }
    Ok(items)
}

/// Map entries, with keys sorted as Go's encoder sorts them. A repeated key keeps its last
/// value, as assigning into a Go map does.
fn map(
    ty: Ty,
    wire: &[Wire<'_>],
    at: At,
    depth: usize,
) -> Result<Map<String, Value>, ProtobufError> {
    let mut entries = BTreeMap::new();
    for entry in wire {
        let mut key = String::new();
        let mut values = Vec::new();
        for (number, value) in wire::fields(bytes_of(entry, at)?)? {
            match number {
                1 => key = String::from_utf8_lossy(bytes_of(&value, at)?).into_owned(),
                2 => values.push(value),
                _ => {}
            }
        }
        let value = match (values.is_empty(), ty) {
            // Go's generated code stores an empty, non-nil slice for a missing bytes value.
            (true, Ty::Bytes) => Value::String(String::new()),
            (true, _) => zero(ty, depth)?,
            (false, _) => single(ty, &values, at, depth)?,
        };
        entries.insert(key, value);
    }
    Ok(entries.into_iter().collect())
}

/// Decodes a message-typed value: a table message or one of the types with their own JSON form.
fn structured(ty: Ty, bytes: &[u8], at: At, depth: usize) -> Result<Value, ProtobufError> {
    let fields = || wire::fields(bytes);
    match ty {
        Ty::Msg(message) => Ok(Value::Object(object(message, bytes, None, depth + 1)?)),
        // Go writes the zero time as an empty message (not as seconds = 0, the Unix epoch).
        Ty::Time | Ty::MicroTime if bytes.is_empty() => Ok(Value::Null),
        Ty::Time | Ty::MicroTime => {
            // Timestamp layout: 1 = seconds, 2 = nanos.
            let (mut seconds, mut nanos) = (0_i64, 0_i32);
            for (number, value) in fields()? {
                match number {
                    1 => seconds = varint_of(&value, at)? as i64,
                    2 => nanos = varint_of(&value, at)? as i32,
                    _ => {}
                }
            }
            time(seconds, nanos, matches!(ty, Ty::MicroTime)).map_err(|problem| at.invalid(problem))
        }
        Ty::Quantity => {
            // 1 = the quantity's canonical string, which is already its JSON form; an empty
            // message is the zero quantity.
            let mut text = String::new();
            for (number, value) in fields()? {
                if number == 1 {
                    text = String::from_utf8_lossy(bytes_of(&value, at)?).into_owned();
                }
            }
            Ok(Value::String(if text.is_empty() {
                "0".to_owned()
            } else {
                text
            }))
        }
        Ty::IntOrString => {
            // 1 = type (0 int, 1 string), 2 = intVal, 3 = strVal.
            let (mut kind, mut int, mut string) = (0_i64, 0_i32, String::new());
            for (number, value) in fields()? {
                match number {
                    1 => kind = varint_of(&value, at)? as i64,
                    2 => int = varint_of(&value, at)? as i32,
                    3 => string = String::from_utf8_lossy(bytes_of(&value, at)?).into_owned(),
                    _ => {}
                }
            }
            match kind {
                0 => Ok(Value::from(int)),
                1 => Ok(Value::String(string)),
                other => Err(at.invalid(format_args!("IntOrString has unknown type {other}"))),
            }
        }
        Ty::FieldsV1 => {
            // 1 = raw JSON.
            let mut raw = None;
            for (number, value) in fields()? {
                if number == 1 {
                    raw = Some(bytes_of(&value, at)?);
                }
            }
            match raw {
                None => Ok(Value::Null),
                Some(raw) => serde_json::from_slice(raw)
                    .map_err(|err| at.invalid(format_args!("fieldsV1 is not valid JSON: {err}"))),
            }
        }
        Ty::StringList => {
            // 1 = items.
            let mut items = Vec::new();
            for (number, value) in fields()? {
                if number == 1 {
                    items.push(scalar_bytes(Ty::Str, bytes_of(&value, at)?));
                }
            }
            Ok(if items.is_empty() {
                Value::Null
            } else {
                Value::Array(items)
            })
        }
        // Callers route plain values through `single`/`repeated`; kept total for safety.
        Ty::Str | Ty::Bytes => Ok(scalar_bytes(ty, bytes)),
        Ty::Bool | Ty::Int32 | Ty::Int64 => Err(at.wrong_wire("a varint", &Wire::Bytes(bytes))),
    }
}

/// `metav1.Time` writes RFC 3339 in UTC to the second, `metav1.MicroTime` to the microsecond;
/// both write Go's zero time as `null`. Finer digits are cut, not rounded, as Go's formatter does.
fn time(seconds: i64, nanos: i32, micro: bool) -> Result<Value, String> {
    // Go's time.Unix normalizes nanoseconds outside [0, 1e9) into the seconds.
    let nanos = i64::from(nanos);
    let seconds = seconds
        .checked_add(nanos.div_euclid(1_000_000_000))
        .ok_or_else(|| "time is out of range".to_owned())?;
    let nanos = nanos.rem_euclid(1_000_000_000);
    if seconds == GO_ZERO_TIME_UNIX && nanos == 0 {
        return Ok(Value::Null);
    }
    let stamp = jiff::Timestamp::from_second(seconds)
        .map_err(|err| format!("time is out of range: {err}"))?;
    let mut text = stamp.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    if micro {
        text.push_str(&format!(".{:06}", nanos / 1000));
    }
    text.push('Z');
    Ok(Value::String(text))
}

fn scalar_bytes(ty: Ty, bytes: &[u8]) -> Value {
    match ty {
        Ty::Bytes => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        // Go does not check UTF-8 when decoding, and its JSON encoder writes U+FFFD for bad bytes.
        _ => Value::String(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// Go's generated code truncates varints to the field's width.
fn scalar_varint(ty: Ty, value: u64) -> Value {
    match ty {
        Ty::Bool => Value::Bool(value != 0),
        Ty::Int32 => Value::from(value as i32),
        _ => Value::from(value as i64),
    }
}

fn bytes_of<'a>(value: &Wire<'a>, at: At) -> Result<&'a [u8], ProtobufError> {
    match value {
        Wire::Bytes(bytes) => Ok(bytes),
        other => Err(at.wrong_wire("a length-delimited value", other)),
    }
}

fn varint_of(value: &Wire<'_>, at: At) -> Result<u64, ProtobufError> {
    match value {
        Wire::Varint(v) => Ok(*v),
        other => Err(at.wrong_wire("a varint", other)),
    }
}

/// All occurrences of a message field, concatenated: decoding that is protobuf's merge.
fn merged(wire: &[Wire<'_>], at: At) -> Result<Vec<u8>, ProtobufError> {
    let mut out = Vec::new();
    for value in wire {
        out.extend_from_slice(bytes_of(value, at)?);
    }
    Ok(out)
}
