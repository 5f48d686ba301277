//! Encodes the Swagger 2.0 JSON document as the protobuf message `openapi.v2.Document` of
//! gnostic's `OpenAPIv2.proto`. client-go's `OpenAPISchema()` always asks `/openapi/v2` for
//! `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and feeds the bytes to
//! `proto.Unmarshal` whatever the Content-Type says, so JSON cannot serve kubectl 1.27/1.28
//! (whose `apply` and `explain` load v2 eagerly) nor the v2 fallbacks of later releases.
//!
//! Only the parts of the message set that our document uses are written; field numbers
//! are the ones of gnostic's `openapiv2/OpenAPIv2.proto`. Values that the proto keeps as
//! YAML text (`Any.yaml`: extensions, defaults, enums, examples) are written as JSON,
//! which is valid YAML.

use serde_json::Value;

/// Protobuf wire types.
const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LEN: u8 = 2;

/// Encodes `doc`; also returns the JSON paths of keys it could not represent, which the
/// tests require to be empty so that nothing kubectl might read is silently dropped.
pub(crate) fn encode(doc: &Value) -> (Vec<u8>, Vec<String>) {
    let mut w = Writer {
        skipped: Vec::new(),
    };
    let mut buf = Vec::new();
    w.document(&mut buf, doc);
    (buf, w.skipped)
}

fn varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn key(buf: &mut Vec<u8>, field: u32, wire: u8) {
    varint(buf, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes_field(buf: &mut Vec<u8>, field: u32, data: &[u8]) {
    key(buf, field, LEN);
    varint(buf, data.len() as u64);
    buf.extend_from_slice(data);
}

fn string(buf: &mut Vec<u8>, field: u32, s: &str) {
    // proto3 leaves default (empty) scalars out.
    if !s.is_empty() {
        bytes_field(buf, field, s.as_bytes());
    }
}

/// A bool inside a `oneof` is written even when false, because presence is the message.
fn bool_always(buf: &mut Vec<u8>, field: u32, b: bool) {
    key(buf, field, VARINT);
    varint(buf, u64::from(b));
}

fn message(buf: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    bytes_field(buf, field, &inner);
}

/// `Any { yaml = 2 }`: the value as YAML text (JSON is YAML).
fn any(buf: &mut Vec<u8>, field: u32, value: &Value) {
    message(buf, field, |m| string(m, 2, &value.to_string()));
}

/// `NamedAny { name = 1; value = 2 }`, used for every `x-` vendor extension.
fn named_any(buf: &mut Vec<u8>, field: u32, name: &str, value: &Value) {
    message(buf, field, |m| {
        string(m, 1, name);
        any(m, 2, value);
    });
}

struct Writer {
    skipped: Vec<String>,
}

impl Writer {
    fn skip(&mut self, at: &str, key: &str) {
        self.skipped.push(format!("{at}/{key}"));
    }

    fn str_field(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str, k: &str) {
        match v.as_str() {
            Some(s) => string(buf, field, s),
            None => self.skip(at, k),
        }
    }

    fn bool_field(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str, k: &str) {
        match v.as_bool() {
            Some(true) => bool_always(buf, field, true),
            Some(false) => {}
            None => self.skip(at, k),
        }
    }

    fn int_field(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str, k: &str) {
        match v.as_i64() {
            Some(0) => {}
            Some(n) => {
                key(buf, field, VARINT);
                // int64 negatives are ten-byte two's complement varints.
                varint(buf, n as u64);
            }
            None => self.skip(at, k),
        }
    }

    fn double_field(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str, k: &str) {
        match v.as_f64() {
            Some(0.0) => {}
            Some(x) => {
                key(buf, field, FIXED64);
                buf.extend_from_slice(&x.to_le_bytes());
            }
            None => self.skip(at, k),
        }
    }

    fn strings(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str, k: &str) {
        match v.as_array() {
            Some(items) => {
                for item in items {
                    self.str_field(buf, field, item, at, k);
                }
            }
            None => self.skip(at, k),
        }
    }

    fn document(&mut self, buf: &mut Vec<u8>, doc: &Value) {
        let Some(map) = doc.as_object() else {
            self.skip("", "<document>");
            return;
        };
        for (k, v) in map {
            match k.as_str() {
                "swagger" => self.str_field(buf, 1, v, "", k),
                "info" => message(buf, 2, |m| self.info(m, v)),
                "paths" => message(buf, 8, |m| self.paths(m, v)),
                "definitions" => message(buf, 9, |m| {
                    self.named_schemas(m, 1, v, "/definitions");
                }),
                "consumes" => self.strings(buf, 6, v, "", k),
                "produces" => self.strings(buf, 7, v, "", k),
                "schemes" => self.strings(buf, 5, v, "", k),
                x if x.starts_with("x-") => named_any(buf, 16, x, v),
                _ => self.skip("", k),
            }
        }
    }

    fn info(&mut self, buf: &mut Vec<u8>, v: &Value) {
        for (k, v) in v.as_object().into_iter().flatten() {
            match k.as_str() {
                "title" => self.str_field(buf, 1, v, "/info", k),
                "version" => self.str_field(buf, 2, v, "/info", k),
                "description" => self.str_field(buf, 3, v, "/info", k),
                x if x.starts_with("x-") => named_any(buf, 7, x, v),
                _ => self.skip("/info", k),
            }
        }
    }

    fn paths(&mut self, buf: &mut Vec<u8>, v: &Value) {
        for (path, item) in v.as_object().into_iter().flatten() {
            if path.starts_with("x-") {
                named_any(buf, 1, path, item);
                continue;
            }
            // Paths.path = 2: NamedPathItem { name = 1; value = 2 }
            message(buf, 2, |m| {
                string(m, 1, path);
                message(m, 2, |pi| {
                    self.path_item(pi, item, &format!("/paths/{path}"))
                });
            });
        }
    }

    fn path_item(&mut self, buf: &mut Vec<u8>, v: &Value, at: &str) {
        for (k, v) in v.as_object().into_iter().flatten() {
            let field = match k.as_str() {
                "get" => 2,
                "put" => 3,
                "post" => 4,
                "delete" => 5,
                "options" => 6,
                "head" => 7,
                "patch" => 8,
                "parameters" => {
                    for p in v.as_array().into_iter().flatten() {
                        message(buf, 9, |m| self.parameters_item(m, p, at));
                    }
                    continue;
                }
                x if x.starts_with("x-") => {
                    named_any(buf, 10, x, v);
                    continue;
                }
                _ => {
                    self.skip(at, k);
                    continue;
                }
            };
            message(buf, field, |m| self.operation(m, v, &format!("{at}/{k}")));
        }
    }

    fn operation(&mut self, buf: &mut Vec<u8>, v: &Value, at: &str) {
        for (k, v) in v.as_object().into_iter().flatten() {
            match k.as_str() {
                "tags" => self.strings(buf, 1, v, at, k),
                "summary" => self.str_field(buf, 2, v, at, k),
                "description" => self.str_field(buf, 3, v, at, k),
                "operationId" => self.str_field(buf, 5, v, at, k),
                "produces" => self.strings(buf, 6, v, at, k),
                "consumes" => self.strings(buf, 7, v, at, k),
                "parameters" => {
                    for p in v.as_array().into_iter().flatten() {
                        message(buf, 8, |m| self.parameters_item(m, p, at));
                    }
                }
                "responses" => message(buf, 9, |m| self.responses(m, v, at)),
                "schemes" => self.strings(buf, 10, v, at, k),
                "deprecated" => self.bool_field(buf, 11, v, at, k),
                x if x.starts_with("x-") => named_any(buf, 13, x, v),
                _ => self.skip(at, k),
            }
        }
    }

    /// `ParametersItem { oneof { Parameter parameter = 1; JsonReference _ref = 2 } }`.
    fn parameters_item(&mut self, buf: &mut Vec<u8>, p: &Value, at: &str) {
        if let Some(reference) = p.get("$ref") {
            message(buf, 2, |m| self.str_field(m, 1, reference, at, "$ref"));
            return;
        }
        let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
        // Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2 } }
        message(buf, 1, |param| {
            if location == "body" {
                message(param, 1, |m| self.body_parameter(m, p, at));
                return;
            }
            // NonBodyParameter: header = 1, formData = 2, query = 3, path = 4. The
            // sub-schemas share their first fields; `type` and later fields shift by one
            // where the query and form kinds have `allow_empty_value = 5`.
            let (which, shifted) = match location {
                "header" => (1, false),
                "formData" => (2, true),
                "query" => (3, true),
                "path" => (4, false),
                _ => {
                    self.skip(at, "parameters/in");
                    return;
                }
            };
            message(param, 2, |nb| {
                message(nb, which, |m| self.non_body_parameter(m, p, shifted, at));
            });
        });
    }

    fn body_parameter(&mut self, buf: &mut Vec<u8>, p: &Value, at: &str) {
        for (k, v) in p.as_object().into_iter().flatten() {
            match k.as_str() {
                "description" => self.str_field(buf, 1, v, at, k),
                "name" => self.str_field(buf, 2, v, at, k),
                "in" => self.str_field(buf, 3, v, at, k),
                "required" => self.bool_field(buf, 4, v, at, k),
                "schema" => message(buf, 5, |m| self.schema(m, v, at)),
                x if x.starts_with("x-") => named_any(buf, 6, x, v),
                _ => self.skip(at, k),
            }
        }
    }

    fn non_body_parameter(&mut self, buf: &mut Vec<u8>, p: &Value, shifted: bool, at: &str) {
        let s = u32::from(shifted);
        for (k, v) in p.as_object().into_iter().flatten() {
            match k.as_str() {
                "required" => self.bool_field(buf, 1, v, at, k),
                "in" => self.str_field(buf, 2, v, at, k),
                "description" => self.str_field(buf, 3, v, at, k),
                "name" => self.str_field(buf, 4, v, at, k),
                "allowEmptyValue" if shifted => self.bool_field(buf, 5, v, at, k),
                "type" => self.str_field(buf, 5 + s, v, at, k),
                "format" => self.str_field(buf, 6 + s, v, at, k),
                "collectionFormat" => self.str_field(buf, 8 + s, v, at, k),
                "default" => any(buf, 9 + s, v),
                "pattern" => self.str_field(buf, 16 + s, v, at, k),
                "uniqueItems" => self.bool_field(buf, 19 + s, v, at, k),
                "enum" => {
                    for e in v.as_array().into_iter().flatten() {
                        any(buf, 20 + s, e);
                    }
                }
                x if x.starts_with("x-") => named_any(buf, 22 + s, x, v),
                _ => self.skip(at, k),
            }
        }
    }

    fn responses(&mut self, buf: &mut Vec<u8>, v: &Value, at: &str) {
        for (code, response) in v.as_object().into_iter().flatten() {
            if code.starts_with("x-") {
                named_any(buf, 2, code, response);
                continue;
            }
            // NamedResponseValue { name = 1; ResponseValue value = 2 }
            message(buf, 1, |named| {
                string(named, 1, code);
                // ResponseValue { oneof { Response response = 1; JsonReference json_reference = 2 } }
                message(named, 2, |rv| {
                    message(rv, 1, |r| {
                        self.response(r, response, &format!("{at}/responses/{code}"))
                    });
                });
            });
        }
    }

    fn response(&mut self, buf: &mut Vec<u8>, v: &Value, at: &str) {
        for (k, v) in v.as_object().into_iter().flatten() {
            match k.as_str() {
                "description" => self.str_field(buf, 1, v, at, k),
                // SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2 } }
                "schema" => message(buf, 2, |si| message(si, 1, |m| self.schema(m, v, at))),
                x if x.starts_with("x-") => named_any(buf, 5, x, v),
                _ => self.skip(at, k),
            }
        }
    }

    /// A map of schemas as repeated `NamedSchema { name = 1; Schema value = 2 }`.
    fn named_schemas(&mut self, buf: &mut Vec<u8>, field: u32, v: &Value, at: &str) {
        for (name, schema) in v.as_object().into_iter().flatten() {
            message(buf, field, |named| {
                string(named, 1, name);
                message(named, 2, |m| {
                    self.schema(m, schema, &format!("{at}/{name}"))
                });
            });
        }
    }

    fn schema(&mut self, buf: &mut Vec<u8>, v: &Value, at: &str) {
        let Some(map) = v.as_object() else {
            self.skip(at, "<schema>");
            return;
        };
        for (k, v) in map {
            match k.as_str() {
                "$ref" => self.str_field(buf, 1, v, at, k),
                "format" => self.str_field(buf, 2, v, at, k),
                "title" => self.str_field(buf, 3, v, at, k),
                "description" => self.str_field(buf, 4, v, at, k),
                "default" => any(buf, 5, v),
                "multipleOf" => self.double_field(buf, 6, v, at, k),
                "maximum" => self.double_field(buf, 7, v, at, k),
                "exclusiveMaximum" => self.bool_field(buf, 8, v, at, k),
                "minimum" => self.double_field(buf, 9, v, at, k),
                "exclusiveMinimum" => self.bool_field(buf, 10, v, at, k),
                "maxLength" => self.int_field(buf, 11, v, at, k),
                "minLength" => self.int_field(buf, 12, v, at, k),
                "pattern" => self.str_field(buf, 13, v, at, k),
                "maxItems" => self.int_field(buf, 14, v, at, k),
                "minItems" => self.int_field(buf, 15, v, at, k),
                "uniqueItems" => self.bool_field(buf, 16, v, at, k),
                "maxProperties" => self.int_field(buf, 17, v, at, k),
                "minProperties" => self.int_field(buf, 18, v, at, k),
                "required" => self.strings(buf, 19, v, at, k),
                "enum" => {
                    for e in v.as_array().into_iter().flatten() {
                        any(buf, 20, e);
                    }
                }
                // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2 } }
                "additionalProperties" => message(buf, 21, |m| match v {
                    Value::Bool(b) => bool_always(m, 2, *b),
                    _ => message(m, 1, |s| self.schema(s, v, &format!("{at}/{k}"))),
                }),
                // TypeItem { repeated string value = 1 }
                "type" => message(buf, 22, |m| match v {
                    Value::Array(_) => self.strings(m, 1, v, at, k),
                    _ => self.str_field(m, 1, v, at, k),
                }),
                // ItemsItem { repeated Schema schema = 1 }
                "items" => message(buf, 23, |m| match v {
                    Value::Array(list) => {
                        for item in list {
                            message(m, 1, |s| self.schema(s, item, &format!("{at}/items")));
                        }
                    }
                    _ => message(m, 1, |s| self.schema(s, v, &format!("{at}/items"))),
                }),
                "allOf" => {
                    for item in v.as_array().into_iter().flatten() {
                        message(buf, 24, |s| self.schema(s, item, &format!("{at}/allOf")));
                    }
                }
                // Properties { repeated NamedSchema additional_properties = 1 }
                "properties" => message(buf, 25, |m| {
                    self.named_schemas(m, 1, v, &format!("{at}/properties"));
                }),
                "discriminator" => self.str_field(buf, 26, v, at, k),
                "readOnly" => self.bool_field(buf, 27, v, at, k),
                "externalDocs" => message(buf, 29, |m| {
                    for (dk, dv) in v.as_object().into_iter().flatten() {
                        match dk.as_str() {
                            "description" => self.str_field(m, 1, dv, at, dk),
                            "url" => self.str_field(m, 2, dv, at, dk),
                            _ => self.skip(at, dk),
                        }
                    }
                }),
                "example" => any(buf, 30, v),
                x if x.starts_with("x-") => named_any(buf, 31, x, v),
                _ => self.skip(at, k),
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn decode_fields(buf: &[u8]) -> Option<Vec<(u32, u8, Vec<u8>)>> {
    // Minimal reader used by the tests to walk what `encode` wrote.
    let mut out = Vec::new();
    let mut i = 0;
    let read_varint = |buf: &[u8], i: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *buf.get(*i)?;
            *i += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    };
    while i < buf.len() {
        let k = read_varint(buf, &mut i)?;
        let field = u32::try_from(k >> 3).ok()?;
        let wire = (k & 7) as u8;
        match wire {
            VARINT => {
                let start = i;
                read_varint(buf, &mut i)?;
                out.push((field, wire, buf[start..i].to_vec()));
            }
            FIXED64 => {
                let end = i.checked_add(8)?;
                out.push((field, wire, buf.get(i..end)?.to_vec()));
                i = end;
            }
            LEN => {
                let len = usize::try_from(read_varint(buf, &mut i)?).ok()?;
                let end = i.checked_add(len)?;
                out.push((field, wire, buf.get(i..end)?.to_vec()));
                i = end;
            }
            _ => return None,
        }
    }
    Some(out)
}
