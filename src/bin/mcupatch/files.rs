//! Reading the user's files with their size checked first: a FIFO, a device or a huge file
//! is refused before a byte is read.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;

/// Models larger than this are refused (the largest MCU preset has 8 MiB of Flash).
pub const MAX_MODEL_BYTES: u64 = 256 << 20;
/// Image files larger than this are refused.
pub const MAX_IMAGE_BYTES: u64 = 64 << 20;

/// The bytes of the regular file at `path`, if it holds at most `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let name = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {name}"))?;
    if !meta.is_file() {
        bail!("cannot read {name}: not a regular file");
    }
    if meta.len() > limit {
        bail!("cannot read {name}: {} bytes is more than the {limit} bytes allowed", meta.len());
    }
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: never read past the limit.
    file.take(limit + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > limit {
        bail!("cannot read {name}: more than the {limit} bytes allowed");
    }
    Ok(bytes)
}
