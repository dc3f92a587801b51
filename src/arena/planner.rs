//! Offset assignment: every buffer gets an offset in the arena for its lifetime.
//!
//! A request is (bytes, first step, last step); two requests conflict when their step
//! intervals overlap. Placement is first-fit: buffers are taken in some order, and each is
//! put at the lowest aligned offset that does not overlap any already-placed buffer it
//! conflicts with. The order decides the result, so two orders are tried and the smaller
//! extent kept:
//! - by size, largest first (TFLite Micro's `GreedyMemoryPlanner`);
//! - by first use, earliest first — which on a chain of ops lays consecutive buffers
//!   alternately low and high, reaching the chain's lower bound max(in + out).

/// Offsets are multiples of this, as in TFLite Micro.
pub const ALIGNMENT: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub size: usize,
    pub first: usize,
    pub last: usize,
}

impl Request {
    pub fn conflicts(&self, other: &Request) -> bool {
        self.first <= other.last && other.first <= self.last
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    LargestFirst,
    FirstUse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub offsets: Vec<usize>,
    /// Highest `offset + size` over all buffers: the arena bytes the plan needs.
    pub extent: usize,
    pub strategy: Strategy,
}

fn align(v: usize) -> usize {
    v.div_ceil(ALIGNMENT) * ALIGNMENT
}

/// First-fit placement of `requests` taken in `order`.
pub fn place_in_order(requests: &[Request], order: &[usize]) -> (Vec<usize>, usize) {
    let mut offsets = vec![0; requests.len()];
    let mut placed: Vec<usize> = Vec::with_capacity(requests.len());
    let mut extent = 0;
    for &i in order {
        let r = requests[i];
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|&&j| requests[j].conflicts(&r))
            .map(|&j| (offsets[j], offsets[j] + requests[j].size))
            .collect();
        busy.sort_unstable();
        let mut candidate = 0;
        for (start, end) in busy {
            if candidate + r.size <= start {
                break;
            }
            candidate = candidate.max(align(end));
        }
        offsets[i] = candidate;
        extent = extent.max(candidate + r.size);
        placed.push(i);
    }
    (offsets, extent)
}

/// The order in which `strategy` takes the requests.
pub fn order(requests: &[Request], strategy: Strategy) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    match strategy {
        Strategy::LargestFirst => order.sort_by_key(|&i| (std::cmp::Reverse(requests[i].size), requests[i].first)),
        Strategy::FirstUse => order.sort_by_key(|&i| (requests[i].first, std::cmp::Reverse(requests[i].size))),
    }
    order
}

/// Places every request, keeping the strategy with the smaller extent.
pub fn place(requests: &[Request]) -> Placement {
    [Strategy::LargestFirst, Strategy::FirstUse]
        .into_iter()
        .map(|strategy| {
            let (offsets, extent) = place_in_order(requests, &order(requests, strategy));
            Placement { offsets, extent, strategy }
        })
        .min_by_key(|p| p.extent)
        .expect("two strategies")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(sizes: &[usize]) -> Vec<Request> {
        sizes.iter().enumerate().map(|(i, &size)| Request { size, first: i, last: i + 1 }).collect()
    }

    #[test]
    fn chain_reaches_max_in_plus_out() {
        let sizes = [27648, 18432, 18432, 36864, 9216, 18432];
        let p = place(&chain(&sizes));
        assert_eq!(p.extent, 55296);
    }

    #[test]
    fn conflicting_buffers_never_overlap() {
        let reqs = vec![
            Request { size: 100, first: 0, last: 3 },
            Request { size: 50, first: 1, last: 2 },
            Request { size: 70, first: 2, last: 4 },
            Request { size: 10, first: 4, last: 5 },
        ];
        let p = place(&reqs);
        for i in 0..reqs.len() {
            assert_eq!(p.offsets[i] % ALIGNMENT, 0);
            for j in 0..i {
                if reqs[i].conflicts(&reqs[j]) {
                    let (a, b) =
                        ((p.offsets[i], p.offsets[i] + reqs[i].size), (p.offsets[j], p.offsets[j] + reqs[j].size));
                    assert!(a.1 <= b.0 || b.1 <= a.0, "{i} and {j} overlap");
                }
            }
        }
    }
}
