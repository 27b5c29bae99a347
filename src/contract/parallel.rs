//! Loading case files on two threads while handing them over one at a time, in file order:
//! a large import's load-back (parsing each case, inlining and compiling its schemas) was
//! most of its time on one core of two. The caller sees exactly the sequence, errors
//! included, a loop over the files would give it. Also [`map_in_order`], for judging loaded
//! operations each on their own (whether a plan can be made for each) on as many threads.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// How many files may be loaded ahead of the one handed over: each holds its response
/// schemas until the caller lets go of them, so loading far ahead would hold them all.
const AHEAD: usize = 4;

/// What both threads share: the next file to load, the next to hand over, and the loaded
/// ones waiting, by index.
struct Shared<T> {
    next: usize,
    handed: usize,
    waiting: Vec<Option<T>>,
    stop: bool,
}

/// The files and their loads in flight.
struct Loading<'a, T, L> {
    files: &'a [PathBuf],
    load: &'a L,
    shared: Mutex<Shared<T>>,
    changed: Condvar,
}

/// `load` each of `files`, on this thread and one other, and hand each result to `take` in
/// file order; stop at the first `Err` `take` returns, and return it.
pub(super) fn load_in_order<T: Send, E>(
    files: &[PathBuf],
    load: impl Fn(&std::path::Path) -> T + Sync,
    mut take: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let loading = Loading {
        files,
        load: &load,
        shared: Mutex::new(Shared {
            next: 0,
            handed: 0,
            waiting: (0..files.len()).map(|_| None).collect(),
            stop: false,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        spawn(scope, || while loading.load_one(false) {});
        let handed = loading.hand_over(&mut take);
        loading.lock().stop = true;
        loading.changed.notify_all();
        handed
    })
}

/// The stack of each thread started here: a main thread's under the usual limit (8 MiB), not
/// a spawned thread's default 2 MiB. Schemas are walked recursively, and a debug build
/// importing an AWS document (`amazonaws.com/chime-sdk-messaging` of the corpus test)
/// overflowed 2 MiB where the main thread had done the same work; it needs 3 MiB.
const STACK_SIZE: usize = 8 << 20;

/// `work` on a thread of `scope` with a stack of [`STACK_SIZE`].
fn spawn<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    work: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn_scoped(scope, work)
        // As `Scope::spawn` does: the system refusing a thread is not something to go on from.
        .expect("failed to spawn thread")
}

/// How many threads [`map_in_order`] runs on at most: memory grows with each, as each holds
/// what it is working on.
const MAP_THREADS: usize = 8;

/// `f` of each of `items`, in their order, computed on this thread and up to
/// [`MAP_THREADS`]` - 1` others (as many as the machine runs at once), each taking the next
/// item left: the items' costs differ by orders of magnitude, so none is dealt out ahead.
pub(crate) fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAP_THREADS)
        .min(items.len());
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| spawn(scope, work)).collect();
        let mut done = work();
        for other in others {
            // A panic in `f` is this caller's panic, as it would be on one thread.
            done.extend(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
        }
        done
    });
    done.sort_unstable_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, r)| r).collect()
}

impl<T, L: Fn(&std::path::Path) -> T> Loading<'_, T, L> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared<T>> {
        // A panic on the other thread ends the scope with it; the state is still whole.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Load the next file, if one is within reach; `false` when none is left (or the
    /// caller stopped). The helper waits for room; the handing thread (`handing`) never
    /// waits here, it waits for the file it needs instead.
    fn load_one(&self, handing: bool) -> bool {
        let mut shared = self.lock();
        loop {
            if shared.stop || shared.next >= self.files.len() {
                return false;
            }
            if shared.next < shared.handed + AHEAD {
                break;
            }
            if handing {
                return true;
            }
            shared = self.changed.wait(shared).unwrap_or_else(|e| e.into_inner());
        }
        let index = shared.next;
        shared.next += 1;
        drop(shared);
        let loaded = (self.load)(&self.files[index]);
        self.lock().waiting[index] = Some(loaded);
        self.changed.notify_all();
        true
    }

    /// Hand each loaded file to `take` in order, loading files too while the next is not
    /// ready.
    fn hand_over<E>(&self, take: &mut impl FnMut(T) -> Result<(), E>) -> Result<(), E> {
        for index in 0..self.files.len() {
            let loaded = self.wait_for(index);
            take(loaded)?;
        }
        Ok(())
    }

    /// The load of file `index`: taken when ready, else this thread loads another file (or
    /// waits for the helper's).
    fn wait_for(&self, index: usize) -> T {
        loop {
            {
                let mut shared = self.lock();
                if let Some(loaded) = shared.waiting[index].take() {
                    shared.handed = index + 1;
                    drop(shared);
                    self.changed.notify_all();
                    return loaded;
                }
                // Its load is under way on the other thread, and none other may start.
                let full = shared.next >= (shared.handed + AHEAD).min(self.files.len());
                if shared.next > index && full {
                    let _ready = self.changed.wait(shared);
                    continue;
                }
            }
            self.load_one(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(count: usize) -> Vec<PathBuf> {
        (0..count).map(|i| PathBuf::from(format!("{i}"))).collect()
    }

    #[test]
    fn every_file_is_handed_over_once_in_order() {
        let mut seen = Vec::new();
        let load = |file: &std::path::Path| file.display().to_string();
        let took = load_in_order(&files(50), load, |name| {
            seen.push(name);
            Ok::<_, ()>(())
        });
        assert_eq!(took, Ok(()));
        let wanted: Vec<String> = (0..50).map(|i| i.to_string()).collect();
        assert_eq!(seen, wanted);
    }

    #[test]
    fn a_map_keeps_the_order_of_its_items_whatever_each_costs() {
        let items: Vec<u64> = (0..200).collect();
        // Early items take longest, so the threads finish out of order.
        let mapped = map_in_order(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_micros((200 - i) * 20));
            i * 3
        });
        let wanted: Vec<u64> = items.iter().map(|i| i * 3).collect();
        assert_eq!(mapped, wanted);
        assert!(map_in_order(&[] as &[u64], |&i| i).is_empty());
    }

    #[test]
    fn the_first_error_stops_the_handing_over() {
        let mut seen = 0;
        let load = |file: &std::path::Path| file.display().to_string();
        let took = load_in_order(&files(50), load, |name| {
            seen += 1;
            match name == "7" {
                true => Err(name),
                false => Ok(()),
            }
        });
        assert_eq!(took, Err("7".to_owned()));
        assert_eq!(seen, 8);
    }
}
