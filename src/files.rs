//! Files read within a bound, and written whole or not at all without replacing an input: what
//! every face reads models, images and raw inputs and writes its outputs with.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// Reads a whole regular file of at most `max` bytes. The size is checked before reading,
/// and reading stops past `max` should the file grow; devices, pipes and directories are
/// refused before they are opened (reading `/dev/zero` or a FIFO would never end).
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>> {
    let fail = |msg: String| Error::File { path: path.display().to_string(), msg };
    let too_big =
        |value: u64| Error::Limit { what: format!("the size of {} (bytes)", path.display()), value, limit: max };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if !meta.is_file() {
        return Err(fail("not a regular file (a directory, device or pipe)".into()));
    }
    if meta.len() > max {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Refuses to write `out` when it is one of `inputs` (the same path, a link to it, or another
/// name of the same file): an output must never replace what it was made from.
pub fn refuse_overwriting(out: &Path, inputs: &[&Path]) -> Result<()> {
    for input in inputs {
        if same_file(out, input) {
            return Err(Error::Write {
                path: out.display().to_string(),
                msg: format!("it is the input {}: give another output path", input.display()),
            });
        }
    }
    Ok(())
}

/// Whether `a` and `b` name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Writes `path` whole or not at all: `write` fills a temporary file beside it, which then
/// replaces `path` in one rename, so an interrupted or failed write leaves the old file as it
/// was (and no half-written one under its name).
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<()> {
    let fail = |e: std::io::Error| Error::Write { path: path.display().to_string(), msg: e.to_string() };
    let name = path.file_name().ok_or_else(|| fail(std::io::Error::other("not a file name")))?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}.partial", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let written = (|| {
        let mut file = std::io::BufWriter::new(std::fs::File::create_new(&temporary)?);
        write(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(fail)
}
