//! One stable sort for the whole worker. The standard library's sorts are
//! generic: every element type and comparison compiles a sort of its own
//! (some fifteen functions each), which cost the worker over 120 KB of code
//! across its thirty-odd call sites. Here the comparison is called through
//! `&dyn Fn`, so one sort of indices is compiled once, and each call site
//! only adds the small code that moves its elements into place. Same
//! result as `slice::sort_by`: stable, `O(n log n)`.

use std::cmp::Ordering;

/// The order of `0..n` sorted by `cmp` (stable). Not generic on purpose.
fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|a, b| cmp(*a, *b));
    idx
}

/// Puts `v[order[i]]` at `i`, following each cycle of the permutation.
fn apply<T>(v: &mut [T], order: &[usize]) {
    let mut placed = vec![false; v.len()];
    for start in 0..v.len() {
        if placed[start] {
            continue;
        }
        let mut i = start;
        while order[i] != start {
            v.swap(i, order[i]);
            placed[i] = true;
            i = order[i];
        }
        placed[i] = true;
    }
}

/// Sorts `v` stably by `cmp`.
pub fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let o = order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    apply(v, &o);
}

/// Sorts `v` stably by `key`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably.
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The same as the standard library's stable sort, ties included.
        #[test]
        fn like_the_standard_sort(v in prop::collection::vec((0u8..8, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            super::sort_by_key(&mut ours, |x| x.0);
            let mut std = v.clone();
            std.sort_by_key(|x| x.0);
            prop_assert_eq!(ours, std);
            let mut all = v.clone();
            super::sort(&mut all);
            let mut std = v;
            std.sort();
            prop_assert_eq!(all, std);
        }
    }
}
