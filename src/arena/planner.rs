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
//!
//! No placement needs fewer bytes than the most any step holds ([`lower_bound`]); an order
//! that reaches it cannot be beaten by a later one, so the later ones are not tried.
//!
//! Indices here are positions in the request list: made from `0..requests.len()` within
//! this module (orders, conflict lists, groups), never read from a model, so indexing the
//! per-request vectors by them is in bounds. What does come from the plan (`pinned`, the
//! steps) is checked where it is used.

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
/// Only a pin to an earlier request is followed, so the walk ends even on a malformed plan.
fn group_root(requests: &[Request], mut i: usize) -> usize {
    while let Some(j) = requests.get(i).and_then(|r| r.pinned).filter(|&j| j < i) {
        i = j;
    }
    i
}

/// For each request, the others whose lifetimes overlap it (found once, by start step).
#[allow(clippy::indexing_slicing)] // request positions (see the module's note)
fn conflict_lists(requests: &[Request]) -> Lists {
    let mut by_first: Vec<usize> = (0..requests.len()).collect();
    by_first.sort_by_key(|&i| requests[i].first);
    // Each overlapping pair once, then both ways into one flat list per request.
    let mut pairs = Vec::new();
    for (n, &i) in by_first.iter().enumerate() {
        for &j in by_first.iter().skip(n + 1) {
            if requests[j].first > requests[i].last {
                break;
            }
            pairs.push((i, j));
        }
    }
    Lists::new(requests.len(), pairs.iter().flat_map(|&(i, j)| [(i, j), (j, i)]))
}

/// A list of request positions for each request, in one allocation: the planner builds
/// these for every plan it places, and a `Vec` per request dominated its time.
struct Lists {
    /// List `i` is `items[start[i]..start[i + 1]]`.
    start: Vec<usize>,
    items: Vec<usize>,
}

impl Lists {
    /// Lists of `n` requests from `(list, item)` pairs; each list keeps its items' order.
    #[allow(clippy::indexing_slicing)] // request positions (see the module's note)
    fn new(n: usize, pairs: impl Iterator<Item = (usize, usize)> + Clone) -> Lists {
        let mut start = vec![0; n + 1];
        for (list, _) in pairs.clone() {
            start[list + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut items = vec![0; start[n]];
        for (list, item) in pairs {
            items[fill[list]] = item;
            fill[list] += 1;
        }
        Lists { start, items }
    }

    #[allow(clippy::indexing_slicing)] // request positions (see the module's note)
    fn get(&self, i: usize) -> &[usize] {
        &self.items[self.start[i]..self.start[i + 1]]
    }
}

/// The lowest aligned offset where every one of `members` fits beside the `placed` requests
/// it conflicts with.
#[allow(clippy::indexing_slicing)] // request positions (see the module's note)
fn lowest_fit(requests: &[Request], conflicts: &Lists, offsets: &[usize], placed: &[bool], members: &[usize]) -> usize {
    // Each member in turn moves the candidate up to where it fits; done when every member
    // fits at the same candidate.
    let (mut candidate, mut settled) = (0, 0);
    for &m in members.iter().cycle() {
        if settled == members.len() {
            break;
        }
        let busy =
            conflicts.get(m).iter().filter(|&&j| placed[j]).map(|&j| (offsets[j], offsets[j] + requests[j].size));
        let at = first_gap(busy, requests[m].size, candidate);
        settled = if at == candidate { settled + 1 } else { 1 };
        candidate = at;
    }
    candidate
}

/// The lowest aligned offset from `from` where `size` bytes overlap none of the `busy`
/// ranges, in any order. A gap overlapping a range can only move past its end (anywhere
/// lower overlaps it too), so jumping there skips no fit; a pass without a jump has found
/// it. Most lists are short, and this needs no sorting (which dominated the planner).
fn first_gap(busy: impl Iterator<Item = (usize, usize)> + Clone, size: usize, from: usize) -> usize {
    let mut at = from;
    loop {
        let before = at;
        for (start, end) in busy.clone() {
            if start < at + size && at < end {
                at = align(end);
            }
        }
        if at == before {
            return at;
        }
    }
}

/// The most bytes any step holds: a lower bound on the extent of any placement.
pub fn lower_bound(requests: &[Request]) -> usize {
    held_bytes(requests).into_iter().max().unwrap_or(0)
}

/// The bytes each step holds: requests alive at one step cannot share bytes unless they are
/// pinned to one offset, and a pinned group takes at least its largest live member.
#[allow(clippy::indexing_slicing)] // request positions (see the module's note); steps are checked
pub fn held_bytes(requests: &[Request]) -> Vec<usize> {
    let (roots, groups) = pinned_groups(requests);
    held_bytes_grouped(requests, &roots, &groups)
}

/// [`held_bytes`] with the requests' pinned groups already found.
#[allow(clippy::indexing_slicing)] // request positions (see the module's note); steps are checked
fn held_bytes_grouped(requests: &[Request], roots: &[usize], groups: &Lists) -> Vec<usize> {
    let steps = requests.iter().map(|r| r.last + 1).max().unwrap_or(0);
    // Lone requests add their size over their lifetime (a difference array); pinned groups
    // add, step by step, their largest live member.
    let mut change = vec![0isize; steps + 1];
    let mut held = vec![0usize; steps];
    for r in (0..requests.len()).filter(|&r| roots[r] == r) {
        let members = groups.get(r);
        if let [only] = members {
            let q = &requests[*only];
            // `steps` covers every request's last step, so these exist.
            if let Some(c) = change.get_mut(q.first) {
                *c += q.size as isize;
            }
            if let Some(c) = change.get_mut(q.last + 1) {
                *c -= q.size as isize;
            }
            continue;
        }
        let first = members.iter().map(|&m| requests[m].first).min().unwrap_or(requests[r].first);
        let last = members.iter().map(|&m| requests[m].last).max().unwrap_or(requests[r].last);
        for (s, h) in held.iter_mut().enumerate().take(last + 1).skip(first) {
            let widest = members.iter().map(|&m| &requests[m]).filter(|q| q.first <= s && s <= q.last);
            *h += widest.map(|q| q.size).max().unwrap_or(0);
        }
    }
    let mut lone = 0isize;
    for (h, c) in held.iter_mut().zip(&change) {
        lone += c;
        *h += lone as usize;
    }
    held
}

/// For each request its group's first request, and for each first request its group (the
/// others' lists are empty).
fn pinned_groups(requests: &[Request]) -> (Vec<usize>, Lists) {
    let roots: Vec<usize> = (0..requests.len()).map(|i| group_root(requests, i)).collect();
    let groups = Lists::new(requests.len(), roots.iter().copied().zip(0..requests.len()));
    (roots, groups)
}

fn extent_of(requests: &[Request], offsets: &[usize]) -> usize {
    requests.iter().zip(offsets).map(|(r, o)| o + r.size).max().unwrap_or(0)
}

/// First-fit placement of `requests` taken in `order`; a pinned group is placed whole when
/// its first member comes up, at the lowest offset where every member fits. Then the
/// highest groups are lifted out and dropped again as low as they fit, while that helps.
pub fn place_in_order(requests: &[Request], order: &[usize]) -> (Vec<usize>, usize) {
    place_with(&Problem::new(requests), order)
}

/// The requests with what every placement of them needs: who conflicts with whom, and the
/// pinned groups (found once per plan, not once per strategy).
struct Problem<'a> {
    requests: &'a [Request],
    conflicts: Lists,
    roots: Vec<usize>,
    groups: Lists,
}

impl Problem<'_> {
    fn new(requests: &[Request]) -> Problem<'_> {
        let (roots, groups) = pinned_groups(requests);
        Problem { requests, conflicts: conflict_lists(requests), roots, groups }
    }
}

#[allow(clippy::indexing_slicing)] // request positions (see the module's note)
fn place_with(problem: &Problem, order: &[usize]) -> (Vec<usize>, usize) {
    let Problem { requests, conflicts, roots, groups } = problem;
    let mut offsets = vec![0; requests.len()];
    let mut placed = vec![false; requests.len()];
    for &i in order {
        if placed[i] {
            continue;
        }
        let members = groups.get(roots[i]);
        let at = lowest_fit(requests, conflicts, &offsets, &placed, members);
        for &m in members {
            offsets[m] = at;
            placed[m] = true;
        }
    }
    let mut extent = extent_of(requests, &offsets);
    for _ in 0..4 {
        // The groups by their top, highest first (the first group first among equals).
        let mut tops: Vec<(std::cmp::Reverse<usize>, usize)> = (0..requests.len())
            .filter(|&r| roots[r] == r)
            .map(|r| {
                (std::cmp::Reverse(groups.get(r).iter().map(|&m| offsets[m] + requests[m].size).max().unwrap_or(0)), r)
            })
            .collect();
        tops.sort_unstable();
        for (_, r) in tops {
            let members = groups.get(r);
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
#[allow(clippy::indexing_slicing)] // request positions (see the module's note)
pub fn order(requests: &[Request], strategy: Strategy) -> Vec<usize> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    // The position last in each key keeps equals in request order, as a stable sort would.
    match strategy {
        Strategy::LargestFirst => {
            order.sort_unstable_by_key(|&i| (std::cmp::Reverse(requests[i].size), requests[i].first, i))
        }
        Strategy::FirstUse => {
            order.sort_unstable_by_key(|&i| (requests[i].first, std::cmp::Reverse(requests[i].size), i))
        }
        Strategy::LongestFirst => order.sort_unstable_by_key(|&i| {
            let r = &requests[i];
            (std::cmp::Reverse(r.last - r.first), std::cmp::Reverse(r.size), r.first, i)
        }),
    }
    order
}

/// Places every request, keeping the strategy with the smaller extent (the first of equals).
pub fn place(requests: &[Request]) -> Placement {
    let problem = Problem::new(requests);
    let bound = held_bytes_grouped(requests, &problem.roots, &problem.groups).into_iter().max().unwrap_or(0);
    let run = |strategy: Strategy| {
        let (offsets, extent) = place_with(&problem, &order(requests, strategy));
        Placement { offsets, extent, strategy }
    };
    let mut best = run(Strategy::LargestFirst);
    for strategy in [Strategy::FirstUse, Strategy::LongestFirst] {
        if best.extent <= bound {
            break;
        }
        let next = run(strategy);
        if next.extent < best.extent {
            best = next;
        }
    }
    best
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // tests index the requests they wrote
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
