//! Exact `--by` grouping in bounded memory: when a tally holds too many groups it writes them,
//! sorted by key, to an anonymous temporary file (a run) and starts afresh. At the end the
//! runs and what is still in memory are merged by key, every key's stats summed exactly,
//! and the `--max-groups` best kept ([`TopK`]): the same groups whatever the thread count or
//! the order things were merged in, each with its exact count.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::sync::Arc;

use crate::summary::Key;

use super::group::GroupStats;

/// Groups held in memory across all threads before tallies spill; each tally gets its share.
pub const SPILL_TOTAL_GROUPS: usize = 32 * 1024;

/// Bytes of `--by` groups held in memory across all threads before tallies spill.
pub const SPILL_TOTAL_BYTES: usize = 32 << 20;

/// Fewest bytes of groups a tally holds before it spills.
pub const SPILL_MIN_BYTES: usize = 2 << 20;

/// Fewest groups a tally holds before it spills, however many threads there are.
pub const SPILL_MIN_GROUPS: usize = 4096;

/// Most runs a tally keeps before it merges them into one, so that the final merge holds a
/// bounded number of open files and read buffers.
pub const MAX_RUNS: usize = 32;

/// Read buffer of each run during a merge.
const READ_BUFFER: usize = 64 << 10;

/// Merges `runs` into one run, summing the stats of equal keys.
pub fn compact(runs: &[Run]) -> io::Result<Run> {
    let file = tempfile::tempfile()?;
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut groups = 0u64;
    let mut failed = None;
    let mut buf = Vec::new();
    merge_sorted(runs, Vec::new(), |k, g| {
        if failed.is_some() {
            return;
        }
        buf.clear();
        let written = serde_json::to_writer(&mut buf, &(&k, &g))
            .map_err(io::Error::other)
            .and_then(|()| out.write_all(&(buf.len() as u32).to_le_bytes()))
            .and_then(|()| out.write_all(&buf));
        match written {
            Ok(()) => groups += 1,
            Err(e) => failed = Some(e),
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    out.flush()?;
    drop(out);
    Ok(Run {
        file: Arc::new(file),
        groups,
    })
}

/// A run on disk: groups sorted by key, each a length-prefixed JSON record (self-describing,
/// as the summary's own types need; spilling happens only for very many groups).
#[derive(Clone, Debug)]
pub struct Run {
    file: Arc<File>,
    /// Groups in the run.
    pub groups: u64,
}

/// Writes sorted `(key, stats)` entries to a new run.
pub fn write_run(entries: &[(&Key, &GroupStats)]) -> io::Result<Run> {
    let file = tempfile::tempfile()?;
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut buf = Vec::new();
    for entry in entries {
        buf.clear();
        serde_json::to_writer(&mut buf, entry).map_err(io::Error::other)?;
        out.write_all(&(buf.len() as u32).to_le_bytes())?;
        out.write_all(&buf)?;
    }
    out.flush()?;
    drop(out);
    Ok(Run {
        file: Arc::new(file),
        groups: entries.len() as u64,
    })
}

/// Reads a run back, in key order.
pub struct RunReader {
    input: BufReader<File>,
    left: u64,
    buf: Vec<u8>,
}

impl RunReader {
    /// Opens a run from its start.
    pub fn open(run: &Run) -> io::Result<RunReader> {
        let mut file = run.file.try_clone()?;
        file.rewind()?;
        Ok(RunReader {
            input: BufReader::with_capacity(READ_BUFFER, file),
            left: run.groups,
            buf: Vec::new(),
        })
    }

    /// The next entry, `None` at the end.
    pub fn next_entry(&mut self) -> io::Result<Option<(Key, GroupStats)>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len)?;
        self.buf.resize(u32::from_le_bytes(len) as usize, 0);
        self.input.read_exact(&mut self.buf)?;
        serde_json::from_slice(&self.buf)
            .map(Some)
            .map_err(io::Error::other)
    }
}

/// One sorted source of a merge: a run on disk or entries in memory.
enum Source {
    Run(RunReader),
    Memory(std::vec::IntoIter<(Key, GroupStats)>),
}

impl Source {
    fn next_entry(&mut self) -> io::Result<Option<(Key, GroupStats)>> {
        match self {
            Source::Run(r) => r.next_entry(),
            Source::Memory(it) => Ok(it.next()),
        }
    }
}

/// Merges sorted runs and sorted in-memory entries, calling `each` once per distinct key with
/// that key's summed stats, in key order.
pub fn merge_sorted(
    runs: &[Run],
    memory: Vec<(Key, GroupStats)>,
    mut each: impl FnMut(Key, GroupStats),
) -> io::Result<()> {
    let mut sources: Vec<Source> = runs
        .iter()
        .map(|r| RunReader::open(r).map(Source::Run))
        .collect::<io::Result<_>>()?;
    sources.push(Source::Memory(memory.into_iter()));
    // Min-heap of each source's next key.
    let mut heads: BinaryHeap<std::cmp::Reverse<(Key, usize)>> = BinaryHeap::new();
    let mut pending: Vec<Option<GroupStats>> = Vec::with_capacity(sources.len());
    for (i, s) in sources.iter_mut().enumerate() {
        match s.next_entry()? {
            Some((k, g)) => {
                heads.push(std::cmp::Reverse((k, i)));
                pending.push(Some(g));
            }
            None => pending.push(None),
        }
    }
    let mut current: Option<(Key, GroupStats)> = None;
    while let Some(std::cmp::Reverse((key, i))) = heads.pop() {
        let stats = pending[i].take().unwrap_or_default();
        match &mut current {
            Some((k, g)) if *k == key => *g += &stats,
            _ => {
                if let Some((k, g)) = current.take() {
                    each(k, g);
                }
                current = Some((key, stats));
            }
        }
        if let Some((k, g)) = sources[i].next_entry()? {
            heads.push(std::cmp::Reverse((k, i)));
            pending[i] = Some(g);
        }
    }
    if let Some((k, g)) = current {
        each(k, g);
    }
    Ok(())
}

/// The `k` best groups (most records, ties by key), with everything else folded.
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Cand>,
    /// Stats of every group not kept.
    pub folded: GroupStats,
    /// How many groups were not kept.
    pub folded_keys: u64,
}

/// A candidate; a greater one is a worse one, so the heap's top is the first to go.
struct Cand(u64, Key, GroupStats);

impl PartialEq for Cand {
    fn eq(&self, o: &Cand) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Cand {}

impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Cand) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Cand {
    fn cmp(&self, o: &Cand) -> Ordering {
        o.0.cmp(&self.0).then_with(|| self.1.cmp(&o.1))
    }
}

impl TopK {
    /// Keeps at most `k` groups.
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::new(),
            folded: GroupStats::default(),
            folded_keys: 0,
        }
    }

    /// Offers one group (each key once).
    pub fn offer(&mut self, key: Key, stats: GroupStats) {
        self.heap.push(Cand(stats.count(), key, stats));
        if self.heap.len() > self.k
            && let Some(Cand(_, _, worst)) = self.heap.pop()
        {
            self.folded += &worst;
            self.folded_keys += 1;
        }
    }

    /// The kept groups, in no particular order.
    pub fn into_kept(self) -> Vec<(Key, GroupStats)> {
        self.heap.into_iter().map(|Cand(_, k, g)| (k, g)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Part;

    fn stats(n: u64) -> GroupStats {
        let mut g = GroupStats::default();
        for i in 0..n {
            g.latency.record(i);
        }
        g
    }

    #[test]
    fn runs_merge_by_key_and_top_k_is_exact() {
        let key = |i: u64| vec![Part::Num(i)];
        let run = |e: Vec<(Key, GroupStats)>| {
            let view: Vec<(&Key, &GroupStats)> = e.iter().map(|(k, g)| (k, g)).collect();
            write_run(&view).expect("run")
        };
        let a = run(vec![
            (key(1), stats(2)),
            (key(3), stats(1)),
            (key(5), stats(4)),
        ]);
        let b = run(vec![(key(3), stats(2)), (key(4), stats(1))]);
        let memory = vec![(key(1), stats(1)), (key(6), stats(3))];
        let mut seen = Vec::new();
        let mut top = TopK::new(2);
        merge_sorted(&[a, b], memory, |k, g| {
            seen.push((k.clone(), g.count()));
            top.offer(k, g);
        })
        .expect("merge");
        assert_eq!(
            seen,
            [
                (key(1), 3),
                (key(3), 3),
                (key(4), 1),
                (key(5), 4),
                (key(6), 3)
            ]
        );
        let mut kept: Vec<(Key, u64)> = top
            .into_kept()
            .into_iter()
            .map(|(k, g)| (k, g.count()))
            .collect();
        kept.sort();
        // 5 has 4; of the three with 3, key 1 wins the tie.
        assert_eq!(kept, [(key(1), 3), (key(5), 4)]);
    }
}
