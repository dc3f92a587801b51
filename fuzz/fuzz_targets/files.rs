//! (f) Output paths against input paths, as a hostile user names them: inside a fresh scratch
//! folder, a few files, symbolic links (to files, to folders, dangling, chained) and hard
//! links are made, then an output is written over one named path while others are the
//! inputs. Whenever the write is allowed, no input's bytes change; whatever happens, nothing
//! panics and no temporary file is left behind.
#![no_main]
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mcupatch::files::{refuse_overwriting, write_atomically};
use std::path::{Path, PathBuf};

/// The names the paths are made of: a handful, so that collisions are common.
const NAMES: [&str; 6] = ["a", "b", "c", "d/e", ".", "d"];

#[derive(Arbitrary, Debug)]
enum Make {
    File(u8, Vec<u8>),
    Dir(u8),
    Symlink(u8, u8),
    HardLink(u8, u8),
}

#[derive(Arbitrary, Debug)]
struct Case {
    make: Vec<Make>,
    inputs: Vec<u8>,
    output: u8,
    bytes: Vec<u8>,
}

fn name(at: &Path, i: u8) -> PathBuf {
    at.join(NAMES[usize::from(i) % NAMES.len()])
}

fuzz_target!(|case: Case| {
    let root = std::env::temp_dir().join(format!("mcupatch-fuzz-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("a scratch folder");
    for make in case.make.iter().take(12) {
        // Each may fail (a missing parent, a name taken): the tree is whatever came of it.
        let _ = match make {
            Make::File(i, bytes) => std::fs::write(name(&root, *i), bytes),
            Make::Dir(i) => std::fs::create_dir(name(&root, *i)),
            Make::Symlink(i, target) => std::os::unix::fs::symlink(name(&root, *target), name(&root, *i)),
            Make::HardLink(i, target) => std::fs::hard_link(name(&root, *target), name(&root, *i)),
        };
    }
    let inputs: Vec<PathBuf> = case.inputs.iter().take(4).map(|&i| name(&root, i)).collect();
    let before: Vec<Option<Vec<u8>>> = inputs.iter().map(|p| std::fs::read(p).ok()).collect();
    let output = name(&root, case.output);
    let input_refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    if refuse_overwriting(&output, &input_refs).is_ok() {
        let _ = write_atomically(&output, |w| w.write_all(&case.bytes));
        for (path, was) in inputs.iter().zip(&before) {
            if was.is_some() {
                assert_eq!(&std::fs::read(path).ok(), was, "{} changed writing {}", path.display(), output.display());
            }
        }
    }
    let leftovers = walk(&root).into_iter().filter(|p| p.to_string_lossy().ends_with(".partial")).count();
    assert_eq!(leftovers, 0, "a temporary file was left behind");
    let _ = std::fs::remove_dir_all(&root);
});

/// Every path under `dir`, not following links.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&path));
        }
        out.push(path);
    }
    out
}
