//! How upstream orders merged lists: items named by the patch (or by `$setElementOrder`)
//! follow that order, items only on the server keep theirs, and the two are interleaved by
//! their positions in the live list. Upstream sorts with Go's `sort.SliceStable` and a
//! comparison that is not a strict order when an item is missing from the reference list;
//! [`go_stable_sort`] reproduces Go's algorithm so results match upstream even then.

use serde_json::Value;

use super::{
    DELETE, DIRECTIVE, ElementKind, GO_MAP, SET_ELEMENT_ORDER, SmpError, err_bad_arg_type,
    err_no_merge_key, find_by_key, go_v,
};

/// Splits `merged` into the items present in `by` and the others.
pub(super) fn partition_primitives(merged: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    merged.into_iter().partition(|item| by.contains(item))
}

/// Splits `merged` into the maps whose merge key value appears in `by` and the others.
pub(super) fn partition_maps(
    merged: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut present = Vec::with_capacity(merged.len());
    let mut others = Vec::with_capacity(merged.len());
    for item in merged {
        let Value::Object(map) = &item else {
            return Err(err_bad_arg_type(GO_MAP, &item));
        };
        let Some(key_value) = map.get(merge_key) else {
            return Err(err_no_merge_key(map, merge_key));
        };
        if find_by_key(by, merge_key, key_value)?.is_some() {
            present.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((present, others))
}

/// Sorts the patched items by `patch_order` and the server-only items by `server_order`,
/// then interleaves them.
pub(super) fn normalize_element_order(
    patched: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: ElementKind,
) -> Result<Vec<Value>, SmpError> {
    let patched = normalize_slice_order(patched, patch_order, merge_key, kind)?;
    let server_only = normalize_slice_order(server_only, server_order, merge_key, kind)?;
    Ok(merge_sorted(
        server_only,
        patched,
        server_order,
        merge_key,
        kind,
    ))
}

/// The identity an item is looked up by: its merge key value for maps, itself otherwise.
fn identity<'a>(item: &'a Value, merge_key: &str, kind: ElementKind) -> Option<&'a Value> {
    match kind {
        ElementKind::Map => item.as_object().and_then(|m| m.get(merge_key)),
        ElementKind::Scalar => Some(item),
    }
}

fn index_of(list: &[Value], item: &Value, merge_key: &str, kind: ElementKind) -> Option<usize> {
    let wanted = identity(item, merge_key, kind);
    list.iter()
        .position(|candidate| identity(candidate, merge_key, kind) == wanted)
}

fn normalize_slice_order(
    mut items: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: ElementKind,
) -> Result<Vec<Value>, SmpError> {
    let mut deletions = Vec::new();
    if kind == ElementKind::Map {
        for item in items.iter().chain(order.iter()) {
            let Value::Object(map) = item else {
                return Err(err_bad_arg_type(GO_MAP, item));
            };
            if !map.contains_key(merge_key) {
                return Err(err_no_merge_key(map, merge_key));
            }
        }
        let (kept, deleted): (Vec<Value>, Vec<Value>) = items
            .into_iter()
            .partition(|item| !is_delete_directive(item));
        items = kept;
        deletions = deleted;
    }
    go_stable_sort(&mut items, |a, b| {
        match (
            index_of(order, a, merge_key, kind),
            index_of(order, b, merge_key, kind),
        ) {
            (Some(ia), Some(ib)) => ia < ib,
            // Upstream's comparison answers "less" whenever either item is not found.
            _ => true,
        }
    });
    items.extend(deletions);
    Ok(items)
}

fn is_delete_directive(item: &Value) -> bool {
    item.get(DIRECTIVE).and_then(Value::as_str) == Some(DELETE)
}

/// Interleaves server-only items (`left`) into patched items (`right`): a server-only item
/// goes first only when both are in the live list and it comes earlier there.
fn merge_sorted(
    left: Vec<Value>,
    right: Vec<Value>,
    server_order: &[Value],
    merge_key: &str,
    kind: ElementKind,
) -> Vec<Value> {
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (
                    index_of(server_order, l, merge_key, kind),
                    index_of(server_order, r, merge_key, kind),
                ),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        let next = if take_left { left.next() } else { right.next() };
        merged.extend(next);
    }
    merged
}

/// Checks a patch list against its `$setElementOrder` list: every item of the patch (other
/// than directives) must appear in the order list, in the same relative order.
pub(super) fn validate_against_order(
    patch: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<(), SmpError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let mut items: Vec<&Value> = Vec::with_capacity(patch.len());
    for item in patch {
        if !merge_key.is_empty() {
            if !item.is_object() {
                return Err(err_bad_arg_type(GO_MAP, item));
            }
            if is_delete_directive(item) {
                continue;
            }
        }
        items.push(item);
    }
    let (mut p, mut o) = (0, 0);
    while p < items.len() && o < order.len() {
        if items[p].get(DIRECTIVE).is_some() {
            p += 1;
            continue;
        }
        if merge_key_equal(items[p], &order[o], merge_key)? {
            p += 1;
        }
        o += 1;
    }
    if p < items.len() && o >= order.len() {
        return Err(SmpError::internal(format!(
            "the order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER} list:\n{}",
            go_v(&Value::Array(patch.to_vec())),
            go_v(&Value::Array(order.to_vec()))
        )));
    }
    Ok(())
}

fn merge_key_equal(left: &Value, right: &Value, merge_key: &str) -> Result<bool, SmpError> {
    if merge_key.is_empty() {
        return Ok(left == right);
    }
    let key_of = |item: &Value| -> Result<Value, SmpError> {
        let Value::Object(map) = item else {
            return Err(err_bad_arg_type(GO_MAP, item));
        };
        map.get(merge_key)
            .cloned()
            .ok_or_else(|| err_no_merge_key(map, merge_key))
    };
    Ok(key_of(left)? == key_of(right)?)
}

/// Go's `sort.SliceStable`: insertion sort over blocks of 20, then in-place symmetric merges.
pub(super) fn go_stable_sort<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = items.len();
    let mut block = 20;
    let (mut a, mut b) = (0, block);
    while b <= n {
        insertion_sort(items, a, b, &less);
        a = b;
        b += block;
    }
    insertion_sort(items, a, n, &less);
    while block < n {
        let (mut a, mut b) = (0, 2 * block);
        while b <= n {
            sym_merge(items, a, a + block, b, &less);
            a = b;
            b += 2 * block;
        }
        let m = a + block;
        if m < n {
            sym_merge(items, a, m, n, &less);
        }
        block *= 2;
    }
}

fn insertion_sort<T>(items: &mut [T], a: usize, b: usize, less: &impl Fn(&T, &T) -> bool) {
    for i in a + 1..b {
        let mut j = i;
        while j > a && less(&items[j], &items[j - 1]) {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Merges the sorted runs `a..m` and `m..b` (the SymMerge algorithm Go uses).
fn sym_merge<T>(items: &mut [T], a: usize, m: usize, b: usize, less: &impl Fn(&T, &T) -> bool) {
    if m - a == 1 {
        // Binary search for the first element of m..b not less than items[a].
        let (mut i, mut j) = (m, b);
        while i < j {
            let h = (i + j) / 2;
            if less(&items[h], &items[a]) {
                i = h + 1;
            } else {
                j = h;
            }
        }
        for k in a..i.saturating_sub(1) {
            items.swap(k, k + 1);
        }
        return;
    }
    if b - m == 1 {
        let (mut i, mut j) = (a, m);
        while i < j {
            let h = (i + j) / 2;
            if !less(&items[m], &items[h]) {
                i = h + 1;
            } else {
                j = h;
            }
        }
        let mut k = m;
        while k > i {
            items.swap(k, k - 1);
            k -= 1;
        }
        return;
    }
    let mid = (a + b) / 2;
    let n = mid + m;
    let (mut start, mut r) = if m > mid { (n - b, mid) } else { (a, m) };
    let p = n - 1;
    while start < r {
        let c = (start + r) / 2;
        if !less(&items[p - c], &items[c]) {
            start = c + 1;
        } else {
            r = c;
        }
    }
    let end = n - start;
    if start < m && m < end {
        rotate(items, start, m, end);
    }
    if a < start && start < mid {
        sym_merge(items, a, start, mid, less);
    }
    if mid < end && end < b {
        sym_merge(items, mid, end, b, less);
    }
}

/// Swaps the blocks `a..m` and `m..b` the way Go does (a sequence of block swaps).
fn rotate<T>(items: &mut [T], a: usize, m: usize, b: usize) {
    let mut i = m - a;
    let mut j = b - m;
    while i != j {
        if i > j {
            swap_range(items, m - i, m, j);
            i -= j;
        } else {
            swap_range(items, m - i, m + j - i, i);
            j -= i;
        }
    }
    swap_range(items, m - i, m, i);
}

fn swap_range<T>(items: &mut [T], a: usize, b: usize, n: usize) {
    for k in 0..n {
        items.swap(a + k, b + k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_stable_sort_sorts_consistently_ordered_input_stably() {
        // 45 items exercise the block merges as well as insertion sort.
        let mut items: Vec<(u32, usize)> = (0..45).map(|i| ((i * 7 % 5) as u32, i)).collect();
        let mut want = items.clone();
        want.sort_by_key(|&(k, _)| k);
        go_stable_sort(&mut items, |a, b| a.0 < b.0);
        assert_eq!(items, want);
    }

    #[test]
    fn go_stable_sort_moves_unranked_items_first_like_go() {
        // `None` stands for an item missing from the reference list: upstream's comparison
        // calls it less than anything, and anything less than it.
        let less = |a: &(Option<u32>, char), b: &(Option<u32>, char)| match (a.0, b.0) {
            (Some(x), Some(y)) => x < y,
            _ => true,
        };
        let mut items = vec![(Some(0), 'a'), (None, 'b'), (Some(1), 'c')];
        go_stable_sort(&mut items, less);
        assert_eq!(items, vec![(None, 'b'), (Some(0), 'a'), (Some(1), 'c')]);
        // Each unranked item bubbles to the front past everything, reversing their order.
        let mut items = vec![(None, 'a'), (Some(1), 'b'), (None, 'c')];
        go_stable_sort(&mut items, less);
        assert_eq!(items, vec![(None, 'c'), (Some(1), 'b'), (None, 'a')]);
    }
}
