//! Files read within a bound: what every face reads models, images and raw inputs with.

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
