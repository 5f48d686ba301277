//! Gives the executable's start-up pages back once the server is up.
//!
//! Why this exists: most of an idle server's resident memory is not its heap but
//! the pages of its own executable that start-up touched. The kernel maps file
//! pages 64 KiB at a time around every fault ("fault-around"), and start-up code
//! (argument parsing, TLS set-up, the OpenAPI and discovery tables, every
//! controller's first list) is spread over the whole 30 MB binary, so about 17 MiB
//! of clean file pages stay mapped although the idle server never runs them again.
//! Asking the kernel to page out the executable's read-only mappings once, after
//! start-up, returns them; whatever the server runs afterwards faults back in from
//! the page cache or the file. `MADV_RANDOM` does not help: it changes read-ahead,
//! not fault-around.
//!
//! **This module holds the workspace's only `unsafe` code** (one `madvise` call,
//! which no safe wrapper offers for memory the program did not map itself).

use std::path::Path;

/// Pages out the read-only mappings of this process's executable; returns the bytes
/// advised. Linux only; elsewhere it does nothing.
pub fn release_startup_pages() -> std::io::Result<u64> {
    if !cfg!(target_os = "linux") {
        return Ok(0);
    }
    let exe = std::fs::read_link("/proc/self/exe")?;
    let maps = std::fs::read_to_string("/proc/self/maps")?;
    let mut released = 0;
    for (start, end) in readonly_mappings_of(&maps, &exe) {
        if page_out(start, end - start) {
            released += (end - start) as u64;
        }
    }
    Ok(released)
}

/// The address ranges of `/proc/self/maps` lines that map `exe` without write access.
fn readonly_mappings_of(maps: &str, exe: &Path) -> Vec<(usize, usize)> {
    let Some(exe) = exe.to_str() else {
        return Vec::new();
    };
    maps.lines()
        .filter_map(|line| {
            // address perms offset dev inode path (the path may contain spaces)
            let mut fields = line.splitn(6, ' ');
            let range = fields.next()?;
            let perms = fields.next()?;
            let path = fields.nth(3)?.trim_start();
            if path != exe || perms.contains('w') {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            (end > start).then_some((start, end))
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn page_out(start: usize, len: usize) -> bool {
    // SAFETY: MADV_PAGEOUT is advice, never a change of contents: the kernel may
    // reclaim the range's pages, and the next access reads them back unchanged from
    // the file (or swap). The range is a whole mapping taken from /proc/self/maps and
    // only read-only mappings are passed, so nothing the program can observe changes
    // even if the mapping went away meanwhile (madvise then fails with ENOMEM).
    let rc = unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_PAGEOUT) };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn page_out(_start: usize, _len: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_executables_readonly_mappings_are_chosen() {
        let maps = "\
55d0a0000000-55d0a0400000 r--p 00000000 fe:01 123 /usr/bin/bosun
55d0a0400000-55d0a1c00000 r-xp 00400000 fe:01 123 /usr/bin/bosun
55d0a1c00000-55d0a1d00000 rw-p 01c00000 fe:01 123 /usr/bin/bosun
55d0a2000000-55d0a2100000 rw-p 00000000 00:00 0                          [heap]
7f0000000000-7f0000100000 r-xp 00000000 fe:01 456                        /usr/lib/libc.so.6
7f0000200000-7f0000300000 r--p 00000000 fe:01 789 /usr/bin/bosun-other
";
        assert_eq!(
            readonly_mappings_of(maps, Path::new("/usr/bin/bosun")),
            vec![
                (0x55d0a0000000, 0x55d0a0400000),
                (0x55d0a0400000, 0x55d0a1c00000)
            ]
        );
    }

    #[test]
    fn paging_out_this_test_binary_keeps_it_running() {
        let released = release_startup_pages().expect("reading /proc/self");
        if cfg!(target_os = "linux") {
            assert!(released > 0, "the test binary has read-only mappings");
        }
        // Code paged out above runs again: this assertion is that code.
        assert_eq!(readonly_mappings_of("", Path::new("/x")), vec![]);
    }
}
