//! The files a bench writes for its peers to read (a model, an input), in a directory of its
//! own under the system temp dir. It removes what it wrote and nothing else: a path is never
//! judged by where it lies (a checkout inside the temp dir holds the models too), only by
//! whether this scratch wrote it.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

/// A fresh directory and the files written into it; dropping it removes those files and the
/// directory (left in place if anything else was put there).
pub struct Scratch {
    dir: PathBuf,
    written: BTreeSet<PathBuf>,
}

impl Scratch {
    /// Creates `mcupatch-{tag}-{pid}-{nanos}` under the temp dir; fails rather than reuse a
    /// directory that already exists.
    pub fn new(tag: &str) -> io::Result<Scratch> {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("mcupatch-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir)?;
        Ok(Scratch { dir, written: BTreeSet::new() })
    }

    /// Writes `bytes` to `name` in the directory and remembers it; returns its path.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes)?;
        self.written.insert(path.clone());
        Ok(path)
    }

    /// Removes `path` if this scratch wrote it; any other path is left alone.
    pub fn remove(&mut self, path: &Path) {
        if self.written.remove(path) {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in std::mem::take(&mut self.written) {
            let _ = std::fs::remove_file(path);
        }
        // Only an empty directory is removed.
        let _ = std::fs::remove_dir(&self.dir);
    }
}
