//! Majority judgment (Balinski & Laraki): every voter grades every option on one fixed scale;
//! an option's *majority grade* is its median grade (the lower median for an even number of
//! grades), and the option with the best majority grade wins.
//!
//! Ties are broken the standard way: remove one median grade from each tied option and
//! compare the new medians, again and again until they differ. With `n` grades sorted in
//! ascending order and `m = (n - 1) / 2`, the medians removed are those at positions
//! `m, m-1, m+1, m-2, m+2, ...` (odd `n`) or `m, m+1, m-1, m+2, ...` (even `n`): the same
//! positions for every option, since every voter grades every option. Comparing the two
//! sorted lists at those positions is therefore the whole tie-break, and because a sorted
//! list of at most six distinct grades is piecewise constant, the first position where two
//! options differ is found from their cumulative counts in a few steps, whatever the number
//! of votes.

use std::cmp::Ordering;

/// The scale, worst to best. Grades are stored by index.
pub const GRADES: usize = 6;
pub const GRADES_FR: [&str; GRADES] = [
    "À rejeter",
    "Insuffisant",
    "Passable",
    "Assez bien",
    "Bien",
    "Très bien",
];
pub const GRADES_EN: [&str; GRADES] = [
    "To reject",
    "Poor",
    "Fair",
    "Good",
    "Very good",
    "Excellent",
];

/// How many voters gave each grade to one option.
pub type Distribution = [u64; GRADES];

fn total(d: &Distribution) -> u64 {
    d.iter().fold(0u64, |s, &c| s.saturating_add(c))
}

/// The grade at position `i` (0-based) of the option's grades sorted in ascending order.
fn grade_at(d: &Distribution, i: u64) -> usize {
    let mut below = 0u64;
    for (grade, &count) in d.iter().enumerate() {
        below = below.saturating_add(count);
        if i < below {
            return grade;
        }
    }
    GRADES - 1
}

/// The majority grade: the lower median; `None` without any grade.
pub fn majority_grade(d: &Distribution) -> Option<usize> {
    let n = total(d);
    (n > 0).then(|| grade_at(d, (n - 1) / 2))
}

/// Positions where the sorted grades of `a` or `b` may change value: the first and last
/// position of every grade's block.
fn boundaries(a: &Distribution, b: &Distribution) -> Vec<u64> {
    let mut points = Vec::with_capacity(4 * GRADES);
    for d in [a, b] {
        let mut start = 0u64;
        for &count in d {
            if count > 0 {
                points.push(start);
                points.push(start + count - 1);
            }
            start += count;
        }
    }
    points
}

/// Compares two options by majority judgment, `Greater` when `a` ranks better. Both must
/// have the same number of grades (every voter grades every option); if they do not, the
/// shorter is compared as if padded with "À rejeter", the convention for a missing grade.
pub fn compare(a: &Distribution, b: &Distribution) -> Ordering {
    let (mut a, mut b) = (*a, *b);
    let (na, nb) = (total(&a), total(&b));
    if na < nb {
        a[0] += nb - na;
    } else {
        b[0] += na - nb;
    }
    let n = na.max(nb);
    if n == 0 {
        return Ordering::Equal;
    }
    let m = (n - 1) / 2;
    // Where the sorted lists may first differ, walking away from the median on each side:
    // the median itself, or a block boundary of either list.
    let points = boundaries(&a, &b);
    let differs = |i: u64| grade_at(&a, i) != grade_at(&b, i);
    // Lower side: positions m, m-1, ..., 0; distance d = m - i.
    let lower = std::iter::once(m)
        .chain(points.iter().copied().filter(|&p| p <= m))
        .filter(|&i| differs(i))
        .max()
        .map(|i| m - i);
    // Upper side: positions from `first_up` upwards; odd n starts at m+1 with distance 1,
    // even n at m+1 with distance 0 (see the module documentation).
    let first_up = m + 1;
    let lower_first_at = if n % 2 == 1 { 1 } else { 0 };
    let upper = std::iter::once(first_up)
        .chain(points.iter().copied().filter(|&p| p > m))
        .filter(|&i| i < n && differs(i))
        .min()
        .map(|i| i - first_up + lower_first_at);
    // At equal distance the lower position is compared first.
    let decisive = match (lower, upper) {
        (Some(l), Some(u)) if l <= u => m - l,
        (Some(_), Some(u)) | (None, Some(u)) => u + first_up - lower_first_at,
        (Some(l), None) => m - l,
        (None, None) => return Ordering::Equal,
    };
    grade_at(&a, decisive).cmp(&grade_at(&b, decisive))
}

/// The options' places, best first: `ranks[i]` is option `i`'s place (1 = winner); tied
/// options share a place.
pub fn ranks(distributions: &[Distribution]) -> Vec<usize> {
    distributions
        .iter()
        .map(|d| {
            1 + distributions
                .iter()
                .filter(|other| compare(other, d) == Ordering::Greater)
                .count()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tie-break as its definition says: sort, remove medians one by one, compare.
    fn naive(a: &Distribution, b: &Distribution) -> Ordering {
        let expand = |d: &Distribution| -> Vec<usize> {
            d.iter()
                .enumerate()
                .flat_map(|(g, &c)| std::iter::repeat_n(g, c as usize))
                .collect()
        };
        let (mut x, mut y) = (expand(a), expand(b));
        while !x.is_empty() && !y.is_empty() {
            let (mx, my) = (x.remove((x.len() - 1) / 2), y.remove((y.len() - 1) / 2));
            if mx != my {
                return mx.cmp(&my);
            }
        }
        Ordering::Equal
    }

    fn check(a: Distribution, b: Distribution, expected: Ordering) {
        assert_eq!(compare(&a, &b), expected, "{a:?} vs {b:?}");
        assert_eq!(compare(&b, &a), expected.reverse(), "{b:?} vs {a:?}");
        assert_eq!(naive(&a, &b), expected, "naive {a:?} vs {b:?}");
    }

    #[test]
    fn the_majority_grade_is_the_lower_median() {
        assert_eq!(majority_grade(&[0, 0, 1, 0, 0, 0]), Some(2));
        assert_eq!(majority_grade(&[1, 0, 0, 0, 0, 1]), Some(0));
        assert_eq!(majority_grade(&[1, 1, 1, 1, 0, 0]), Some(1));
        assert_eq!(majority_grade(&[0; 6]), None);
    }

    #[test]
    fn known_tie_breaks() {
        // Different majority grades: the better one wins whatever the rest.
        check([0, 0, 0, 3, 0, 0], [0, 0, 2, 0, 0, 1], Ordering::Greater);
        // Same majority grade "Assez bien"; A has more grades above it (Balinski–Laraki's
        // gauge: p > q for A, p < q for B).
        check([0, 0, 1, 2, 2, 0], [0, 2, 0, 2, 1, 0], Ordering::Greater);
        // Identical distributions tie.
        check([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], Ordering::Equal);
        // Even count: medians at positions 1, 2, 0, 3 of the sorted grades.
        // A = [1,2,2,5], B = [0,2,2,5]: equal until position 0 (third removal).
        check([0, 1, 2, 0, 0, 1], [1, 0, 2, 0, 0, 1], Ordering::Greater);
        // A = [2,2,2,3], B = [2,2,2,4]: only the last removal decides.
        check([0, 0, 3, 1, 0, 0], [0, 0, 3, 0, 1, 0], Ordering::Less);
        // Odd count: positions 2, 1, 3, 0, 4. A = [0,3,3,3,5], B = [1,3,3,3,4]: position 0
        // (fourth removal) decides for B before position 4 would favour A.
        check([1, 0, 0, 3, 0, 1], [0, 1, 0, 3, 1, 0], Ordering::Less);
        // Many votes, one difference far from the median.
        check(
            [0, 0, 0, 1000, 0, 1],
            [0, 0, 0, 1000, 1, 0],
            Ordering::Greater,
        );
        check([1, 0, 0, 1000, 0, 0], [0, 1, 0, 1000, 0, 0], Ordering::Less);
    }

    #[test]
    fn agrees_with_the_definition_on_many_distributions() {
        // A small deterministic generator: every pair of distributions with up to 7 votes
        // drawn from it.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5000 {
            let n = next() % 8;
            let mut a = [0u64; GRADES];
            let mut b = [0u64; GRADES];
            for _ in 0..n {
                a[(next() % 6) as usize] += 1;
                b[(next() % 6) as usize] += 1;
            }
            assert_eq!(compare(&a, &b), naive(&a, &b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn ranks_share_places_on_ties() {
        let ranks = ranks(&[[0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 0, 0]]);
        assert_eq!(ranks, vec![2, 1, 2]);
    }
}
