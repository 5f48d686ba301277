//! The embedded store's on-disk format: an append-only log of checksummed records.
//!
//! Every write appends one record; compaction rewrites the file as a snapshot of the
//! retained history (same record format) through a temporary file and an atomic rename.
//! On open the log is replayed; a torn or corrupt tail (a crash mid-append) is cut off,
//! which is safe because a write is acknowledged only after its record was synced.
//!
//! Record layout: `len: u32 LE | crc32(payload): u32 LE | payload`, where payload is
//! `op: u8 | revision: i64 | create_revision: i64 | key_len: u32 | key | value_len: u32 | value`.
//! Hand-written rather than a database crate: the store keeps its whole MVCC state in
//! memory, so all it needs from disk is an ordered, checksummed, fsynced log.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;

const MAGIC: &[u8; 8] = b"BOSUNWAL";
const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: u64 = 12;
/// A record larger than this is treated as corruption (objects are capped far below it).
const MAX_RECORD: u32 = 256 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Put = 1,
    Delete = 2,
    /// `revision` = compacted revision, `create_revision` = the store's revision when the
    /// snapshot was taken (so the counter never goes back when history was dropped).
    Compact = 3,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub op: Op,
    pub revision: i64,
    pub create_revision: i64,
    pub key: String,
    pub value: Bytes,
}

impl Record {
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let payload_len = 1 + 8 + 8 + 4 + self.key.len() + 4 + self.value.len();
        let start = out.len();
        out.extend_from_slice(&(payload_len as u32).to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        let payload_start = out.len();
        out.push(self.op as u8);
        out.extend_from_slice(&self.revision.to_le_bytes());
        out.extend_from_slice(&self.create_revision.to_le_bytes());
        out.extend_from_slice(&(self.key.len() as u32).to_le_bytes());
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(&(self.value.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.value);
        let crc = crc32fast::hash(&out[payload_start..]);
        out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    }

    fn decode(payload: &[u8]) -> Option<Record> {
        let mut cursor = payload;
        let op = match take(&mut cursor, 1)?[0] {
            1 => Op::Put,
            2 => Op::Delete,
            3 => Op::Compact,
            _ => return None,
        };
        let revision = i64::from_le_bytes(take(&mut cursor, 8)?.try_into().ok()?);
        let create_revision = i64::from_le_bytes(take(&mut cursor, 8)?.try_into().ok()?);
        let key_len = u32::from_le_bytes(take(&mut cursor, 4)?.try_into().ok()?) as usize;
        let key = String::from_utf8(take(&mut cursor, key_len)?.to_vec()).ok()?;
        let value_len = u32::from_le_bytes(take(&mut cursor, 4)?.try_into().ok()?) as usize;
        let value = Bytes::copy_from_slice(take(&mut cursor, value_len)?);
        cursor.is_empty().then_some(Record {
            op,
            revision,
            create_revision,
            key,
            value,
        })
    }
}

fn take<'a>(cursor: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if cursor.len() < n {
        return None;
    }
    let (head, tail) = cursor.split_at(n);
    *cursor = tail;
    Some(head)
}

fn header() -> Vec<u8> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    h
}

/// The open log file.
pub(crate) struct Wal {
    path: PathBuf,
    file: File,
}

impl Wal {
    /// Opens (or creates) the log and returns it with every intact record, cutting off a
    /// torn tail.
    pub fn open(path: &Path) -> io::Result<(Wal, Vec<Record>)> {
        // The log holds Secrets: owner-only, like every private file of the server.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let len = file.metadata()?.len();
        if len < HEADER_LEN {
            // New (or torn during creation): start afresh.
            file.set_len(0)?;
            file.write_all(&header())?;
            file.sync_all()?;
            sync_dir(path)?;
            return Ok((
                Wal {
                    path: path.to_path_buf(),
                    file,
                },
                Vec::new(),
            ));
        }
        let mut reader = BufReader::new(&mut file);
        let mut head = [0u8; HEADER_LEN as usize];
        reader.read_exact(&mut head)?;
        if head != header()[..] {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a bosun datastore log", path.display()),
            ));
        }
        let mut records = Vec::new();
        let mut good_end = HEADER_LEN;
        loop {
            let mut frame = [0u8; 8];
            if reader.read_exact(&mut frame).is_err() {
                break;
            }
            let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
            if len > MAX_RECORD {
                break;
            }
            let mut payload = vec![0u8; len as usize];
            if reader.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != crc {
                break;
            }
            let Some(record) = Record::decode(&payload) else {
                break;
            };
            records.push(record);
            good_end += 8 + u64::from(len);
        }
        drop(reader);
        if good_end < len {
            tracing::warn!(
                path = %path.display(),
                dropped_bytes = len - good_end,
                "datastore log had a torn tail (unacknowledged writes); cut it off"
            );
            file.set_len(good_end)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok((
            Wal {
                path: path.to_path_buf(),
                file,
            },
            records,
        ))
    }

    /// Appends encoded records and makes them durable.
    pub fn append(&mut self, encoded: &[u8]) -> io::Result<()> {
        self.file.write_all(encoded)?;
        self.file.sync_data()
    }

    /// Replaces the whole log with `records` (a compacted snapshot), encoding them as it
    /// writes.
    pub fn rewrite(&mut self, records: impl Iterator<Item = Record>) -> io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        {
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            let mut out = io::BufWriter::with_capacity(1 << 20, file);
            out.write_all(&header())?;
            let mut encoded = Vec::new();
            for record in records {
                encoded.clear();
                record.encode_into(&mut encoded);
                out.write_all(&encoded)?;
            }
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path)?;
        let mut file = OpenOptions::new().read(true).write(true).open(&self.path)?;
        file.seek(SeekFrom::End(0))?;
        self.file = file;
        Ok(())
    }
}

fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rev: i64, key: &str, value: &str) -> Record {
        Record {
            op: Op::Put,
            revision: rev,
            create_revision: rev,
            key: key.into(),
            value: Bytes::from(value.to_string()),
        }
    }

    #[test]
    fn records_survive_reopen_and_torn_tail_is_cut() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.wal");
        let (mut wal, records) = Wal::open(&path)?;
        assert!(records.is_empty());
        let mut buf = Vec::new();
        rec(1, "/a", "one").encode_into(&mut buf);
        rec(2, "/b", "two").encode_into(&mut buf);
        wal.append(&buf)?;
        // A torn third record: half its bytes made it to disk.
        let mut torn = Vec::new();
        rec(3, "/c", "three").encode_into(&mut torn);
        wal.append(&torn[..torn.len() / 2])?;
        drop(wal);

        let (mut wal, records) = Wal::open(&path)?;
        assert_eq!(records, vec![rec(1, "/a", "one"), rec(2, "/b", "two")]);
        let mut buf = Vec::new();
        rec(3, "/c", "again").encode_into(&mut buf);
        wal.append(&buf)?;
        drop(wal);
        let (_, records) = Wal::open(&path)?;
        assert_eq!(records.len(), 3);
        assert_eq!(records[2], rec(3, "/c", "again"));
        Ok(())
    }

    #[test]
    fn corrupt_record_ends_replay() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.wal");
        let (mut wal, _) = Wal::open(&path)?;
        let mut buf = Vec::new();
        rec(1, "/a", "one").encode_into(&mut buf);
        let first_len = buf.len();
        rec(2, "/b", "two").encode_into(&mut buf);
        buf[first_len + 12] ^= 0xff; // flip a payload byte of the second record
        wal.append(&buf)?;
        drop(wal);
        let (_, records) = Wal::open(&path)?;
        assert_eq!(records, vec![rec(1, "/a", "one")]);
        Ok(())
    }

    #[test]
    fn foreign_file_is_refused() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("store.wal");
        std::fs::write(&path, b"this is not a log at all")?;
        let err = Wal::open(&path).err().map(|e| e.kind());
        assert_eq!(err, Some(io::ErrorKind::InvalidData));
        Ok(())
    }
}
