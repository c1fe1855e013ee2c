//! Work split over the machine's cores: the one pattern behind the column readers, encoders,
//! rankers and generators that run "a share of the items on each core, results in order".

/// `f` of every item, on all cores, in the items' order. Each core gets one contiguous share
/// (so per-item work should be similar); with one core or one item it runs on this thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(per)
            .map(|share| scope.spawn(move || share.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(part) => part,
                // A worker's panic is the caller's panic, with its message.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// [`map`] for work that can fail: the first error (in item order) is returned.
pub fn try_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    map(items, f).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_and_the_first_error() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(
            map(&items, |x| x * 2),
            (0..1000).map(|x| x * 2).collect::<Vec<_>>()
        );
        assert_eq!(map(&[] as &[u32], |x| *x), Vec::<u32>::new());
        let failed = try_map(&items, |&x| if x % 300 == 299 { Err(x) } else { Ok(x) });
        assert_eq!(failed, Err(299));
    }
}
