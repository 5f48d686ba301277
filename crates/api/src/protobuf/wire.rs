//! The protobuf wire format, read just far enough to split a message into its fields.
//! Meaning (names, types, JSON form) is the table's business, not this module's.

use super::ProtobufError;

/// One encoded value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

impl Wire<'_> {
    /// How the value was encoded, for error messages.
    pub(super) fn describe(&self) -> &'static str {
        match self {
            Wire::Varint(_) => "a varint",
            Wire::Fixed64(_) => "a 64-bit fixed value",
            Wire::Fixed32(_) => "a 32-bit fixed value",
            Wire::Bytes(_) => "a length-delimited value",
        }
    }
}

/// Splits one message into `(field number, value)` pairs in wire order. Repeated and merged
/// fields simply appear several times; the caller decides what that means.
pub(super) fn fields(buf: &[u8]) -> Result<Vec<(u32, Wire<'_>)>, ProtobufError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|n| *n != 0 && *n < (1 << 29))
            .ok_or_else(|| malformed(format!("invalid field number {}", key >> 3)))?;
        let value = match key & 7 {
            0 => Wire::Varint(varint(buf, &mut pos)?),
            1 => Wire::Fixed64(u64::from_le_bytes(take_array(buf, &mut pos)?)),
            2 => {
                let len = varint(buf, &mut pos)?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| pos.checked_add(len))
                    .filter(|end| *end <= buf.len())
                    .ok_or_else(|| {
                        malformed(format!(
                            "field {number} is longer than its enclosing message"
                        ))
                    })?;
                let bytes = &buf[pos..end];
                pos = end;
                Wire::Bytes(bytes)
            }
            5 => Wire::Fixed32(u32::from_le_bytes(take_array(buf, &mut pos)?)),
            other => {
                return Err(malformed(format!(
                    "field {number} uses wire type {other}, which Kubernetes objects never use"
                )));
            }
        };
        out.push((number, value));
    }
    Ok(out)
}

/// Reads the varints of a packed repeated scalar field.
pub(super) fn packed_varints(buf: &[u8]) -> Result<Vec<u64>, ProtobufError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        out.push(varint(buf, &mut pos)?);
    }
    Ok(out)
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, ProtobufError> {
    let mut value: u64 = 0;
    // A u64 takes at most ten 7-bit groups; an eleventh byte can only be garbage.
    for shift in (0..70).step_by(7) {
        let byte = *buf
            .get(*pos)
            .ok_or_else(|| malformed("the body ends inside a varint".to_owned()))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(malformed("a varint is longer than ten bytes".to_owned()))
}

fn take_array<const N: usize>(buf: &[u8], pos: &mut usize) -> Result<[u8; N], ProtobufError> {
    let bytes = pos
        .checked_add(N)
        .and_then(|end| buf.get(*pos..end))
        .and_then(|slice| <[u8; N]>::try_from(slice).ok())
        .ok_or_else(|| malformed("the body ends inside a fixed-size value".to_owned()))?;
    *pos += N;
    Ok(bytes)
}

fn malformed(message: String) -> ProtobufError {
    ProtobufError::Malformed(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_fields_of_every_wire_type() {
        let buf = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x12, 0x02, b'h', b'i', // 2: bytes "hi"
            0x19, 1, 0, 0, 0, 0, 0, 0, 0, // 3: fixed64 1
            0x25, 2, 0, 0, 0, // 4: fixed32 2
        ];
        assert_eq!(
            fields(&buf),
            Ok(vec![
                (1, Wire::Varint(150)),
                (2, Wire::Bytes(b"hi")),
                (3, Wire::Fixed64(1)),
                (4, Wire::Fixed32(2)),
            ])
        );
    }

    #[test]
    fn rejects_broken_encodings() {
        let cases: &[(&[u8], &str)] = &[
            (&[0x08], "the body ends inside a varint"),
            (&[0x08, 0xff], "the body ends inside a varint"),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                ],
                "a varint is longer than ten bytes",
            ),
            (
                &[0x12, 0x05, b'a'],
                "field 2 is longer than its enclosing message",
            ),
            (&[0x19, 0x01], "the body ends inside a fixed-size value"),
            (
                &[0x0b],
                "field 1 uses wire type 3, which Kubernetes objects never use",
            ),
            (&[0x00], "invalid field number 0"),
        ];
        for (buf, message) in cases {
            assert_eq!(
                fields(buf),
                Err(ProtobufError::Malformed((*message).to_owned())),
                "{buf:02x?}"
            );
        }
    }

    #[test]
    fn reads_packed_varints() {
        assert_eq!(
            packed_varints(&[0x01, 0x96, 0x01, 0x00]),
            Ok(vec![1, 150, 0])
        );
        assert!(packed_varints(&[0x80]).is_err());
    }
}
