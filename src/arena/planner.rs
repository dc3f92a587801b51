//! Offset assignment: every buffer gets an offset in the arena for its lifetime.
//!
//! A request is (bytes, first step, last step); two requests conflict when their step
//! intervals overlap. Placement is first-fit: buffers are taken in some order, and each is
//! put at the lowest aligned offset that does not overlap any already-placed buffer it
//! conflicts with. The order decides the result, so three orders are tried and the smallest
//! extent kept:
//! - by size, largest first (as TFLite Micro's `GreedyMemoryPlanner`);
//! - by first use, earliest first — which on a chain of ops lays consecutive buffers
//!   alternately low and high, reaching the chain's lower bound max(in + out);
//! - by lifetime, longest first — which keeps a patch stage's output and residual skips out
//!   of the way of the many short-lived tiles.

/// Offsets are multiples of this, as in TFLite Micro.
pub const ALIGNMENT: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub size: usize,
    pub first: usize,
    pub last: usize,
    /// An earlier request this one must start at the same offset as (an in-place op's
    /// output over its input); the two may overlap during the step they share.
    pub pinned: Option<usize>,
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
    /// Longest-lived first: buffers that span many steps (a stage output, a skip) settle low.
    LongestFirst,
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

/// The first request of the group of requests pinned to one offset that `i` belongs to.
fn group_root(requests: &[Request], mut i: usize) -> usize {
    while let Some(j) = requests[i].pinned {
        i = j;
    }
    i
}

/// For each request, the others whose lifetimes overlap it (found once, by start step).
fn conflict_lists(requests: &[Request]) -> Vec<Vec<usize>> {
    let mut by_first: Vec<usize> = (0..requests.len()).collect();
    by_first.sort_by_key(|&i| requests[i].first);
    let mut lists = vec![Vec::new(); requests.len()];
    for (n, &i) in by_first.iter().enumerate() {
        for &j in &by_first[n + 1..] {
            if requests[j].first > requests[i].last {
                break;
            }
            lists[i].push(j);
            lists[j].push(i);
        }
    }
    lists
}

/// The lowest aligned offset where every one of `members` fits beside the `placed` requests
/// it conflicts with.
fn lowest_fit(
    requests: &[Request],
    conflicts: &[Vec<usize>],
    offsets: &[usize],
    placed: &[bool],
    members: &[usize],
) -> usize {
    let busy: Vec<Vec<(usize, usize)>> = members
        .iter()
        .map(|&m| {
            let mut b: Vec<(usize, usize)> = conflicts[m]
                .iter()
                .filter(|&&j| placed[j])
                .map(|&j| (offsets[j], offsets[j] + requests[j].size))
                .collect();
            b.sort_unstable();
            b
        })
        .collect();
    let mut candidate = 0;
    'search: loop {
        for (&m, busy) in members.iter().zip(&busy) {
            let end = candidate + requests[m].size;
            if let Some(&(_, e)) = busy.iter().find(|&&(s, e)| s < end && candidate < e) {
                candidate = align(e);
                continue 'search;
            }
        }
        return candidate;
    }
}

fn extent_of(requests: &[Request], offsets: &[usize]) -> usize {
    requests.iter().zip(offsets).map(|(r, o)| o + r.size).max().unwrap_or(0)
}

/// First-fit placement of `requests` taken in `order`; a pinned group is placed whole when
/// its first member comes up, at the lowest offset where every member fits. Then the
/// highest groups are lifted out and dropped again as low as they fit, while that helps.
pub fn place_in_order(requests: &[Request], order: &[usize]) -> (Vec<usize>, usize) {
    place_with(requests, &conflict_lists(requests), order)
}

fn place_with(requests: &[Request], conflicts: &[Vec<usize>], order: &[usize]) -> (Vec<usize>, usize) {
    let roots: Vec<usize> = (0..requests.len()).map(|i| group_root(requests, i)).collect();
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); requests.len()];
    for (i, &r) in roots.iter().enumerate() {
        groups[r].push(i);
    }
    let mut offsets = vec![0; requests.len()];
    let mut placed = vec![false; requests.len()];
    for &i in order {
        if placed[i] {
            continue;
        }
        let members = &groups[roots[i]];
        let at = lowest_fit(requests, conflicts, &offsets, &placed, members);
        for &m in members {
            offsets[m] = at;
            placed[m] = true;
        }
    }
    let mut extent = extent_of(requests, &offsets);
    for _ in 0..4 {
        let mut tops: Vec<usize> = (0..requests.len()).filter(|&r| roots[r] == r).collect();
        tops.sort_by_key(|&r| std::cmp::Reverse(groups[r].iter().map(|&m| offsets[m] + requests[m].size).max()));
        for r in tops {
            let members = &groups[r];
            for &m in members {
                placed[m] = false;
            }
            let at = lowest_fit(requests, conflicts, &offsets, &placed, members).min(offsets[r]);
            for &m in members {
                offsets[m] = at;
                placed[m] = true;
            }
        }
        let now = extent_of(requests, &offsets);
        if now >= extent {
            break;
        }
        extent = now;
    }
    (offsets, extent)
}

/// The order in which `strategy` takes the requests.
pub fn order(requests: &[Request], strategy: Strategy) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    match strategy {
        Strategy::LargestFirst => order.sort_by_key(|&i| (std::cmp::Reverse(requests[i].size), requests[i].first)),
        Strategy::FirstUse => order.sort_by_key(|&i| (requests[i].first, std::cmp::Reverse(requests[i].size))),
        Strategy::LongestFirst => order.sort_by_key(|&i| {
            let r = &requests[i];
            (std::cmp::Reverse(r.last - r.first), std::cmp::Reverse(r.size), r.first)
        }),
    }
    order
}

/// Places every request, keeping the strategy with the smaller extent.
pub fn place(requests: &[Request]) -> Placement {
    let conflicts = conflict_lists(requests);
    [Strategy::LargestFirst, Strategy::FirstUse, Strategy::LongestFirst]
        .into_iter()
        .map(|strategy| {
            let (offsets, extent) = place_with(requests, &conflicts, &order(requests, strategy));
            Placement { offsets, extent, strategy }
        })
        .min_by_key(|p| p.extent)
        .expect("several strategies")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_requests_share_an_offset_and_avoid_the_rest() {
        let reqs = vec![
            Request { size: 64, first: 0, last: 2, pinned: None },
            Request { size: 32, first: 0, last: 5, pinned: None },
            Request { size: 48, first: 2, last: 4, pinned: Some(0) },
            Request { size: 40, first: 3, last: 4, pinned: None },
        ];
        for strategy in [Strategy::LargestFirst, Strategy::FirstUse, Strategy::LongestFirst] {
            let (offsets, _) = place_in_order(&reqs, &order(&reqs, strategy));
            assert_eq!(offsets[2], offsets[0]);
            let overlaps =
                |a: usize, b: usize| offsets[a] < offsets[b] + reqs[b].size && offsets[b] < offsets[a] + reqs[a].size;
            assert!(!overlaps(2, 1) && !overlaps(2, 3) && !overlaps(0, 1) && !overlaps(1, 3));
        }
    }

    fn chain(sizes: &[usize]) -> Vec<Request> {
        sizes.iter().enumerate().map(|(i, &size)| Request { size, first: i, last: i + 1, pinned: None }).collect()
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
            Request { size: 100, first: 0, last: 3, pinned: None },
            Request { size: 50, first: 1, last: 2, pinned: None },
            Request { size: 70, first: 2, last: 4, pinned: None },
            Request { size: 10, first: 4, last: 5, pinned: None },
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
