//! The bench's clean-up (benches/common/scratch.rs): `make bench` removes the files it wrote
//! for its peers and never a model it read, even from a checkout inside the temp dir (where
//! it once deleted models/visual_wake_words.tflite: any path there "started with" the temp
//! dir).

#[path = "../benches/common/scratch.rs"]
mod scratch;

use scratch::Scratch;
use std::path::PathBuf;

/// A directory under the temp dir standing for a checkout cloned there.
fn checkout_in_temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("mcupatch-checkout-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(dir.join("models")).expect("creates the checkout");
    dir
}

#[test]
fn bench_cleanup_keeps_a_checkout_model_inside_the_temp_dir() {
    let checkout = checkout_in_temp_dir("model");
    let model = checkout.join("models/visual_wake_words.tflite");
    std::fs::write(&model, b"TFL3 a model the bench reads").unwrap();
    assert!(model.starts_with(std::env::temp_dir()));

    // What the bench does: a model written for the peers, an input per peer run, and after
    // each benchmark its model removed: the checkout's as well as the written one.
    let mut scratch = Scratch::new("bench-test").unwrap();
    let written = scratch.write("mbv2.tflite", b"TFL3 a model the bench wrote").unwrap();
    let dir = written.parent().unwrap().to_path_buf();
    let input = scratch.write("input.bin", b"pixels").unwrap();
    scratch.remove(&input);
    scratch.remove(&model);
    scratch.remove(&written);
    assert!(model.exists(), "the bench deleted {}, which it did not create", model.display());
    assert!(!written.exists() && !input.exists(), "the bench left the files it wrote");

    let last = scratch.write("input.bin", b"pixels").unwrap();
    drop(scratch);
    assert!(model.exists(), "the bench deleted {}, which it did not create", model.display());
    assert!(!last.exists() && !dir.exists(), "the bench left its scratch directory {}", dir.display());
    std::fs::remove_dir_all(&checkout).unwrap();
}

#[test]
fn bench_cleanup_leaves_a_file_it_did_not_write_in_its_own_directory() {
    let mut scratch = Scratch::new("bench-test").unwrap();
    let written = scratch.write("mbv2.tflite", b"TFL3").unwrap();
    let dir = written.parent().unwrap().to_path_buf();
    let foreign = dir.join("someone_elses.bin");
    std::fs::write(&foreign, b"not the bench's").unwrap();
    scratch.remove(&foreign);
    drop(scratch);
    assert!(foreign.exists(), "the bench deleted {}, which it did not create", foreign.display());
    assert!(!written.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
