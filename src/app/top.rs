//! `bsaudit top`: follow the audit-log trees, add each look's new lines to a running summary,
//! and show a frame every interval, full screen or as one NDJSON line.
//!
//! The loop waits for the interval, looks at the files when inotify said something changed
//! (or every interval with `--poll` or when no watcher could be set up, and at least every
//! [`RESCAN`] in any case), scans what is new, and renders. The terminal is put back on every
//! way out: `q`, the end of `-n`, SIGTERM, an error, a panic (ratatui's hook).

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};

use crate::codes::ClassMap;
use crate::config::{TopConfig, TopFormat};
use crate::dims::Dims;
use crate::engine::{self, ProgressFn};
use crate::error::Error;
use crate::filter::Filter;
use crate::follow::{Event, Follower, Poll};
use crate::input::discover::{Discovery, InputKind};
use crate::render;
use crate::summary::{FilterScope, Scope, Summary, build::from_tally};
use crate::tally::TallySpec;
use crate::top::{self, FilesStats, Frame, Live, ReadStats, View};

use super::{Outcome, gather, warn};

/// The longest the files go unlooked-at when inotify is quiet (it misses changes on network
/// file systems, and a watched directory can be replaced).
const RESCAN: Duration = Duration::from_secs(10);

/// Most groups one look keeps exactly (service, API, host, code, slice): beyond this the
/// smallest are folded and the window says it is not exact; the totals stay exact.
const MAX_GROUPS: usize = 200_000;

/// Set by SIGTERM, SIGINT and SIGHUP: stop at the next chance, putting the terminal back.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn install_signals() {
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe, and the
        // function pointer lives for the whole program.
        unsafe {
            libc::signal(
                sig,
                on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

/// Runs `top` until `q`, a signal, or the end of `-n`.
pub(super) fn run(c: TopConfig) -> Result<Outcome, Error> {
    let mut session = Session::start(&c)?;
    install_signals();
    match c.format {
        TopFormat::Json => run_json(&c, &mut session),
        TopFormat::Tui => run_tui(&c, &mut session),
    }
}

/// The running state: the follower, the summary, and what the next frame reports.
struct Session<'c> {
    c: &'c TopConfig,
    follower: Follower,
    live: Live,
    scope: Scope,
    filter: Filter,
    dims: Dims,
    classes: ClassMap,
    pool: rayon::ThreadPool,
    watch: Option<Watch>,
    frame: u64,
    last_look: Instant,
    last_frame: Instant,
    /// Since the last frame.
    events: Vec<String>,
    bytes: u64,
    lines: u64,
    files: usize,
    pending_bytes: u64,
}

impl<'c> Session<'c> {
    /// The first look: the files as they are (read from their start with `--from-start`,
    /// `--last` or `--since`), the window placed.
    fn start(c: &'c TopConfig) -> Result<Session<'c>, Error> {
        let mut follower =
            Follower::new(c.common.inputs.clone(), c.common.follow_links, c.from_start);
        let dims = Dims::from_list(&top::DIMS).map_err(Error::Usage)?;
        let slice = top::slice_ns(c.window_ns);
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(n) = c.common.threads {
            pool = pool.num_threads(n);
        }
        let pool = pool
            .build()
            .map_err(|e| Error::Io(format!("cannot start worker threads: {e}")))?;
        // Watch before the first look, so nothing written meanwhile waits for a rescan.
        let watch = if c.poll {
            None
        } else {
            Watch::new(&c.common.inputs)
        };
        let first = follower.poll();
        let found = Discovery {
            files: first.reads.clone(),
            ..Discovery::default()
        };
        let classes = c.table.class_map();
        let spec_for = |filter: Filter| spec(c, &classes, &dims, slice, filter, &found);
        let (delta_tally, filter) = if found.files.is_empty() {
            (None, gather::windowed(&c.common, None)?)
        } else {
            let (t, f) = gather::scan_windowed(&c.common, &found, &spec_for, None)?;
            (Some(t), f)
        };
        let scope = Scope {
            by: top::DIMS.to_vec(),
            errors_only: false,
            bucket_ns: slice,
            max_groups: MAX_GROUPS,
            filter: FilterScope::of(&filter),
        };
        let now = crate::time::wall_clock_ns();
        let mut session = Session {
            c,
            follower,
            live: Live::new(scope.clone(), c.window_ns),
            scope,
            filter,
            dims,
            classes,
            pool,
            watch,
            frame: 0,
            last_look: Instant::now(),
            last_frame: Instant::now(),
            events: Vec::new(),
            bytes: 0,
            lines: 0,
            files: first.files,
            pending_bytes: first.pending_bytes,
        };
        session.note(&first);
        if let Some(mut t) = delta_tally {
            let delta = from_tally(&mut t, &found, &c.common.node, session.scope.clone());
            session.count(&delta);
            session.live.add(&delta, now);
        }
        Ok(session)
    }

    /// Looks at the files if something may have changed, and adds what is new.
    fn look(&mut self, force: bool) -> Result<(), Error> {
        let changed = self.watch.as_ref().is_none_or(Watch::take);
        if !(force || changed || self.last_look.elapsed() >= RESCAN) {
            return Ok(());
        }
        self.last_look = Instant::now();
        let poll = self.follower.poll();
        self.note(&poll);
        self.files = poll.files;
        self.pending_bytes = poll.pending_bytes;
        if poll.reads.is_empty() {
            return Ok(());
        }
        let found = Discovery {
            files: poll.reads,
            ..Discovery::default()
        };
        let slice = self.scope.bucket_ns;
        let spec = spec(
            self.c,
            &self.classes,
            &self.dims,
            slice,
            self.filter.clone(),
            &found,
        );
        let quiet: ProgressFn = Arc::new(|_| {});
        let settings = &self.c.common.scan;
        let mut tally = self
            .pool
            .install(|| engine::scan(&found.files, &spec, settings, &quiet));
        let delta = from_tally(&mut tally, &found, &self.c.common.node, self.scope.clone());
        self.count(&delta);
        self.live.add(&delta, crate::time::wall_clock_ns());
        Ok(())
    }

    fn count(&mut self, delta: &Summary) {
        self.bytes += delta.input.bytes;
        self.lines += delta.input.lines;
        for p in &delta.input.problems {
            self.events.push(format!(
                "problem: {}: {} ({})",
                p.source.path, p.message, p.kind
            ));
        }
    }

    fn note(&mut self, poll: &Poll) {
        for e in &poll.events {
            self.events.push(match e {
                Event::New(p) => format!("new: {p}"),
                Event::Renamed(a, b) => format!("renamed: {a} -> {b}"),
                Event::Restarted(p, why) => format!("restarted: {p}: {why}"),
                Event::Gone(p) => format!("gone: {p} (its records stay counted)"),
                Event::PassedCompressed(p) => {
                    format!("not read: {p} (compressed: a rotated copy of lines already read)")
                }
                Event::Unreadable(p, why) => format!("unreadable: {p}: {why}"),
            });
        }
    }

    /// The frame of now, with what was read since the last one; `advance` starts the next.
    fn frame(&mut self, view: View, advance: bool) -> Frame {
        let secs = self.last_frame.elapsed().as_secs_f64().max(1e-3);
        let frame = self.live.frame(
            self.frame,
            crate::time::wall_clock_ns(),
            view,
            &self.c.table,
            &self.classes,
            FilesStats {
                followed: self.files,
                pending_bytes: self.pending_bytes,
                watch: if self.watch.is_some() {
                    "inotify".to_string()
                } else {
                    "polling".to_string()
                },
                events: self.events.clone(),
            },
            ReadStats {
                bytes: self.bytes,
                lines: self.lines,
                bytes_per_s: self.bytes as f64 / secs,
            },
        );
        if advance {
            self.frame += 1;
            self.last_frame = Instant::now();
            self.events.clear();
            self.bytes = 0;
            self.lines = 0;
        }
        frame
    }

    fn done(&self) -> bool {
        STOP.load(Ordering::SeqCst) || self.c.iterations.is_some_and(|n| self.frame >= n)
    }
}

/// The tally spec of a look: every code, grouped by [`top::DIMS`].
fn spec(
    c: &TopConfig,
    classes: &ClassMap,
    dims: &Dims,
    slice: i64,
    filter: Filter,
    found: &Discovery,
) -> TallySpec {
    TallySpec {
        filter,
        keep_invalid: false,
        dims: Some(dims.clone()),
        errors_only: false,
        classes: classes.clone(),
        max_groups: MAX_GROUPS,
        bucket_ns: slice,
        file_rank: gather::file_rank(found),
        spill_groups: c.common.spill_groups,
    }
}

fn interval(c: &TopConfig) -> Duration {
    Duration::from_nanos(u64::try_from(c.interval_ns).unwrap_or(u64::MAX))
}

/// NDJSON: a frame now, then one per interval.
fn run_json(c: &TopConfig, s: &mut Session) -> Result<Outcome, Error> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut next = Instant::now();
    loop {
        let frame = s.frame(c.view, true);
        if !c.common.quiet {
            for e in frame.files.events.iter().filter(|e| is_problem(e)) {
                warn(&format!("bsaudit top: {e}"));
            }
        }
        render::top::ndjson(&frame, &mut out).map_err(Error::from_output)?;
        out.flush().map_err(Error::from_output)?;
        if s.done() {
            return Ok(Outcome::Clean);
        }
        next += interval(c);
        while Instant::now() < next {
            if STOP.load(Ordering::SeqCst) {
                return Ok(Outcome::Clean);
            }
            std::thread::sleep((next - Instant::now()).min(Duration::from_millis(100)));
        }
        s.look(false)?;
    }
}

fn is_problem(e: &str) -> bool {
    ["restarted:", "unreadable:", "problem:"]
        .iter()
        .any(|p| e.starts_with(p))
}

/// Puts the terminal back when dropped, however the view ends.
struct Screen;

impl Drop for Screen {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// The full-screen view.
fn run_tui(c: &TopConfig, s: &mut Session) -> Result<Outcome, Error> {
    let tty = std::fs::File::open("/dev/tty")
        .map_err(|e| Error::Io(format!("cannot open the terminal: {e}")))?;
    let mut terminal =
        ratatui::try_init().map_err(|e| Error::Io(format!("cannot set up the terminal: {e}")))?;
    let _screen = Screen;
    let mut view = c.view;
    let mut frame = s.frame(view, true);
    let mut history = render::top::History::default();
    history.push(&frame);
    let draw = |terminal: &mut ratatui::DefaultTerminal,
                frame: &Frame,
                history: &render::top::History|
     -> Result<(), Error> {
        terminal
            .draw(|f| render::top::draw(f, frame, history))
            .map(|_| ())
            .map_err(|e| Error::Io(format!("cannot draw: {e}")))
    };
    draw(&mut terminal, &frame, &history)?;
    let mut next = Instant::now() + interval(c);
    loop {
        if s.done() {
            return Ok(Outcome::Clean);
        }
        let wait = next
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(200));
        // Wait on the terminal ourselves: crossterm's poll spins at full speed on a terminal
        // that was closed without a SIGHUP reaching us (a killed tmux), and never says so.
        if tty_wait(&tty, wait) == Tty::Gone {
            return Ok(Outcome::Clean);
        }
        let read_err = |e: io::Error| Error::Io(format!("cannot read the terminal: {e}"));
        while event::poll(Duration::ZERO).map_err(read_err)? {
            match event::read().map_err(read_err)? {
                TermEvent::Key(k) if k.kind == KeyEventKind::Press => match k.code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(Outcome::Clean),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(Outcome::Clean);
                    }
                    KeyCode::Char('g') => {
                        view.grouping = view.grouping.next();
                        frame = s.live_frame(view, &frame);
                        draw(&mut terminal, &frame, &history)?;
                    }
                    KeyCode::Char('a') => {
                        view.all_codes = !view.all_codes;
                        frame = s.live_frame(view, &frame);
                        draw(&mut terminal, &frame, &history)?;
                    }
                    _ => {}
                },
                TermEvent::Resize(..) => draw(&mut terminal, &frame, &history)?,
                _ => {}
            }
        }
        if Instant::now() >= next {
            next += interval(c);
            if next < Instant::now() {
                // A look took longer than the interval: do not try to catch up in a burst.
                next = Instant::now() + interval(c);
            }
            s.look(false)?;
            frame = s.frame(view, true);
            history.push(&frame);
            draw(&mut terminal, &frame, &history)?;
        }
    }
}

/// What waiting on the terminal found.
#[derive(Debug, PartialEq, Eq)]
enum Tty {
    /// Input to read, or the wait ran out.
    Open,
    /// Hung up or closed: nobody is looking.
    Gone,
}

/// Waits up to `wait` for input on the terminal, or for it to hang up.
fn tty_wait(tty: &std::fs::File, wait: Duration) -> Tty {
    use std::os::fd::AsRawFd;
    let mut fd = libc::pollfd {
        fd: tty.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `fd` is one valid pollfd that lives across the call, and the descriptor is
    // owned by `tty`, open for the call's duration.
    let n = unsafe { libc::poll(&mut fd, 1, ms) };
    if n > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        Tty::Gone
    } else {
        Tty::Open
    }
}

impl Session<'_> {
    /// The current frame again with another view, keeping the interval's read figures.
    fn live_frame(&mut self, view: View, shown: &Frame) -> Frame {
        let mut f = self.frame(view, false);
        f.frame = shown.frame;
        f.read = shown.read.clone();
        f.files.events = shown.files.events.clone();
        f
    }
}

/// An inotify watch on the inputs; changes set a flag the loop takes.
struct Watch {
    _watcher: notify::RecommendedWatcher,
    changed: Arc<AtomicBool>,
}

impl Watch {
    /// Watches every input (directories recursively); `None` when that cannot be done (no
    /// inotify, too many watches), and then every interval looks at the files.
    fn new(inputs: &[InputKind]) -> Option<Watch> {
        use notify::Watcher;
        let changed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&changed);
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            // An error may mean missed events: look anyway.
            if res.as_ref().map_or(true, |e| !e.kind.is_access()) {
                flag.store(true, Ordering::SeqCst);
            }
        })
        .ok()?;
        for input in inputs {
            if let InputKind::Path(p) = input {
                watcher.watch(p, notify::RecursiveMode::Recursive).ok()?;
            }
        }
        Some(Watch {
            _watcher: watcher,
            changed,
        })
    }

    /// Whether anything changed since the last call.
    fn take(&self) -> bool {
        self.changed.swap(false, Ordering::SeqCst)
    }
}
