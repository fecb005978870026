//! `--state FILE` on `summarize` and `report`: scan only what is new since the last run, merge
//! it into the remembered per-file summaries, and write the state back atomically.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::config::{Common, StateOpts};
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::filter::Filter;
use crate::input::discover::{Discovery, InputFile, InputKind};
use crate::input::resume;
use crate::render;
use crate::state::{self, Action, FileState, State};
use crate::summary::{Scope, Summary, build::from_tally};
use crate::tally::TallySpec;

use super::{warn, with_pool};

/// Scans `found` incrementally against the state at `opts.path` and returns the summary of
/// everything counted so far (plus the unterminated tails as they are now).
pub(super) fn gather_incremental(
    common: &Common,
    opts: &StateOpts,
    found: &Discovery,
    spec: &dyn Fn(Filter) -> TallySpec,
    scope: Scope,
) -> Result<Summary, Error> {
    if common.window_is_relative() {
        return Err(Error::Usage(
            "--state cannot be used with a window relative to the newest record (--last, \
             --since 1h): use absolute times, or none"
                .to_string(),
        ));
    }
    let filter = super::gather::windowed(common, None)?;
    let mut st = load(&opts.path, opts.reset, &common.node, &scope)?;
    let mut by_id: HashMap<(u64, u64), FileState> = std::mem::take(&mut st.files)
        .into_iter()
        .map(|f| ((f.dev, f.ino), f))
        .collect();
    let mut tails = Summary::empty(scope.clone());
    let scan = |input: &InputFile, range: Option<(u64, u64)>| -> Result<Summary, Error> {
        let mut input = input.clone();
        if let Some((_, end)) = range {
            input.len = end;
        }
        input.range = range;
        input.newest_in_dir = true;
        let one = Discovery {
            files: vec![input],
            ..Discovery::default()
        };
        let mut spec = spec(filter.clone());
        spec.file_rank = vec![0];
        let quiet: ProgressFn = Arc::new(|_| {});
        let mut tally = with_pool(common.threads, || {
            engine::scan(&one.files, &spec, &common.scan, &quiet)
        })?;
        Ok(from_tally(&mut tally, &one, &common.node, scope.clone()))
    };
    for f in &found.files {
        let (InputKind::Path(path), Some(id)) = (&f.kind, f.id) else {
            return Err(Error::Usage(
                "--state reads files, not standard input".to_string(),
            ));
        };
        let name = render::sanitize(&f.display);
        let now = match resume::look(path) {
            Ok(l) => l,
            Err(e) => {
                warn(&format!(
                    "{name}: {}; not read",
                    crate::input::discover::io_reason(&e)
                ));
                continue;
            }
        };
        let prev = by_id.remove(&(id.dev, id.ino));
        let head_now = prev
            .as_ref()
            .and_then(|p| resume::head_hash(path, p.head_len).ok())
            .filter(|&(_, len)| prev.as_ref().is_some_and(|p| p.head_len == len))
            .map(|(h, _)| h);
        let action = state::decide(prev.as_ref(), &now, head_now);
        let (mut summary, from) = match (action, prev) {
            (Action::Keep, Some(p)) => (p.summary, now.size),
            (Action::Replace, _) => {
                warn(&format!(
                    "{name}: compressed file changed: read again whole"
                ));
                (scan(f, None)?, now.size)
            }
            (Action::Append(from), Some(p)) => (p.summary, from),
            (Action::Restart(why), Some(p)) => {
                warn(&format!("{name}: {why}"));
                st.retire(&p.summary);
                (Summary::empty(scope.clone()), 0)
            }
            _ => (Summary::empty(scope.clone()), 0),
        };
        let mut offset = from;
        if !now.compressed && from < now.size {
            let cut = resume::line_end(path, from, now.size)
                .map_err(|e| Error::Io(format!("{name}: {e}")))?;
            if cut > from {
                summary += &scan(f, Some((from, cut)))?;
            }
            if now.size > cut {
                tails += &scan(f, Some((cut, now.size)))?;
            }
            offset = cut;
        } else if now.compressed && from == 0 {
            summary = scan(f, None)?;
            offset = now.size;
        }
        // Each scan of it names it once more: one name (per path it had) is enough.
        summary.input.files = 1;
        summary.input.sources.dedup();
        summary.input.problems.dedup();
        st.files.push(FileState {
            path: f.display.clone(),
            dev: id.dev,
            ino: id.ino,
            size: now.size,
            head_hash: now.head_hash,
            head_len: now.head_len,
            mtime_ns: now.mtime_ns,
            compressed: now.compressed,
            offset,
            tail_len: now.size.saturating_sub(offset),
            summary,
        });
    }
    let mut gone: Vec<FileState> = by_id.into_values().collect();
    gone.sort_by(|a, b| a.path.cmp(&b.path));
    for g in gone {
        warn(&format!(
            "{}: gone since the last run; its {} records are kept",
            render::sanitize(&g.path),
            g.summary.input.records
        ));
        st.retire(&g.summary);
    }
    let mut total = Summary::empty(scope);
    if let Some(r) = &st.retired {
        total += r;
    }
    for f in &st.files {
        total += &f.summary;
    }
    total += &tails;
    total.input.files = st.files.len() as u64;
    total.input.sources.dedup();
    total.input.problems.dedup();
    total.input.files_ignored = found.ignored.len() as u64;
    save(&opts.path, &st)?;
    Ok(total)
}

fn load(path: &Path, reset: bool, node: &str, scope: &Scope) -> Result<State, Error> {
    let name = path.display();
    let bytes = match std::fs::read(path) {
        Ok(b) if !reset => b,
        Ok(_) => return Ok(State::new(node, scope.clone())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(State::new(node, scope.clone()));
        }
        Err(e) => return Err(Error::Io(format!("cannot read state {name}: {e}"))),
    };
    let st = State::from_bytes(&bytes)
        .map_err(|e| Error::Usage(format!("{name}: {e}: use --reset to start over")))?;
    if &st.scope != scope || st.node != node {
        return Err(Error::Usage(format!(
            "{name}: the state was made with other options (--by, --all, --bucket, \
             --max-groups, filters or --node): use the same ones, or --reset to start over"
        )));
    }
    Ok(st)
}

fn save(path: &Path, st: &State) -> Result<(), Error> {
    let bytes = st
        .to_bytes()
        .map_err(|e| Error::Io(format!("cannot encode state: {e}")))?;
    crate::summary::file::write_atomic(path, &bytes)
        .map_err(|e| Error::Io(format!("cannot write state {}: {e}", path.display())))
}
