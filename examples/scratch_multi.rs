use mcupatch::kernels::Kernel;
use mcupatch::schedule::{search, InPlace, InputMode};
fn main() {
    let g = mcupatch::model::load(&std::fs::read("models/visual_wake_words.tflite").unwrap()).unwrap();
    let k = Kernel::prepare_all(&g).unwrap();
    let ip = InPlace { depthwise: true, pointwise: true, add: true };
    for streamed in [true, false] {
        let t = std::time::Instant::now();
        let input = InputMode { streamed, ..Default::default() };
        let single = search::explore(&g, &k, input, ip).unwrap();
        let t1 = t.elapsed();
        let multi = search::explore_multi(&g, &k, input, ip).unwrap();
        let bs = single.iter().map(|c| c.peak.bytes).min().unwrap();
        let bm = multi.iter().min_by_key(|c| (c.peak.bytes, c.macs)).unwrap();
        println!(
            "streamed {streamed}: single best {bs} ({} plans, {t1:?}); multi best {} {:?} ovh {:.3} ({} plans, {:?})",
            single.len(),
            bm.peak.bytes,
            bm.schedule.stages,
            bm.overhead,
            multi.len(),
            t.elapsed()
        );
        for c in search::pareto(&multi).iter().take(6) {
            println!("   {} {:?} {:.3}", c.peak.bytes, c.schedule.stages, c.overhead);
        }
    }
}
