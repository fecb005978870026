//! A SIGBUS guard for memory-mapped windows, so that a file truncated while it is mapped
//! cannot kill the process.
//!
//! Reading a page of a mapping that lies past the end of its file raises SIGBUS, whose
//! default action ends the process without a word (exit 135). A closed log can be truncated
//! at any time (copytruncate rotation, an operator making room), so the age of a file is no
//! promise. Mapping stays, because it is much faster than `pread` for closed files (README,
//! "Reliability"), but every mapping the scanner reads is registered here while it is read:
//! a SIGBUS at an address inside a registered mapping replaces the rest of that mapping with
//! zero pages (so the read goes on, over zeros), flags the mapping, and returns. The engine
//! then throws away what it counted from that mapping and reads the file again with `pread`,
//! which sees the truncation as a short read and reports the file as shrunk. A SIGBUS
//! anywhere else gets the handler that was there before (the default: the process ends).

use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use memmap2::Mmap;

/// Mappings that can be registered at once: one per scanning thread is in use.
const SLOTS: usize = 512;

/// One registered mapping: the address range the scanner reads, and whether it faulted.
struct Slot {
    claimed: AtomicBool,
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // only used to build the array below
const EMPTY: Slot = Slot {
    claimed: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static REGISTRY: [Slot; SLOTS] = [EMPTY; SLOTS];

/// The page size, read once when the handler is installed.
static PAGE: AtomicUsize = AtomicUsize::new(4096);

/// The action SIGBUS had before ours; `None` if ours could not be installed.
static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

/// Installs the handler once; false when that failed (mapping is then not safe to use).
fn installed() -> bool {
    PREVIOUS
        .get_or_init(|| {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            if let Ok(page) = usize::try_from(page)
                && page.is_power_of_two()
            {
                PAGE.store(page, Ordering::Relaxed);
            }
            // SAFETY: a zeroed sigaction is a valid value to fill in (no handler, empty mask).
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
            // On the alternate stack when the thread has one (Rust's threads do), so a fault
            // near the end of a stack is still handled.
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            // SAFETY: a zeroed sigaction to receive the old action.
            let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: both pointers are to valid sigaction values; `on_sigbus` has the
            // signature SA_SIGINFO asks for and only does async-signal-safe work.
            let rc = unsafe {
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(libc::SIGBUS, &action, &mut previous)
            };
            (rc == 0).then_some(previous)
        })
        .is_some()
}

/// The SIGBUS handler: zero pages over the rest of a registered mapping, or the previous
/// action for any other fault. Only atomics, `mmap` and `sigaction` happen here: Linux's
/// `mmap` is a plain system call (no locks in the C library), and `sigaction` is
/// async-signal-safe.
extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler; for SIGBUS the
    // fault address is set.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &REGISTRY {
        let start = slot.start.load(Ordering::Acquire);
        let len = slot.len.load(Ordering::Acquire);
        if start == 0 || addr < start || addr - start >= len {
            continue;
        }
        let from = addr & !(page - 1);
        let to = (start + len).div_ceil(page) * page;
        // SAFETY: [from, to) lies inside the mapping registered in this slot (memmap2 maps
        // whole pages around the range it returns), which the thread that faulted is reading
        // and nobody unmaps until that thread is done with it. Replacing those pages with
        // private zero pages only changes what that reader sees, and it discards it.
        let zeros = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                to - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if zeros != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
        break;
    }
    // Not ours (or the pages could not be replaced): restore the previous action and return;
    // the access faults again and gets it, as if this handler had never been there.
    if let Some(Some(previous)) = PREVIOUS.get() {
        // SAFETY: `previous` is the action sigaction returned at install time.
        unsafe { libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut()) };
    }
}

/// A mapping registered with the guard for as long as it lives.
pub struct GuardedMap {
    map: Mmap,
    slot: usize,
}

/// Registers `map`; `None` when no guard can be had (handler not installed, every slot in
/// use): the caller must then read without a mapping.
pub fn protect(map: Mmap) -> Option<GuardedMap> {
    if map.is_empty() || !installed() {
        return None;
    }
    let slot = REGISTRY.iter().position(|s| {
        s.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })?;
    let s = &REGISTRY[slot];
    s.faulted.store(false, Ordering::Relaxed);
    s.len.store(map.len(), Ordering::Release);
    s.start.store(map.as_ptr() as usize, Ordering::Release);
    Some(GuardedMap { map, slot })
}

impl GuardedMap {
    /// Whether a read hit a page past the end of the file: the bytes from there on are zeros
    /// and what was counted from this mapping must be thrown away.
    pub fn faulted(&self) -> bool {
        REGISTRY[self.slot].faulted.load(Ordering::Acquire)
    }
}

impl Deref for GuardedMap {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        // Unregister before the mapping goes (the field drops after this).
        let s = &REGISTRY[self.slot];
        s.start.store(0, Ordering::Release);
        s.len.store(0, Ordering::Release);
        s.claimed.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use memmap2::MmapOptions;

    /// The case the guard exists for: a mapped file truncated under the reader. Without the
    /// guard this test process would die of SIGBUS.
    #[test]
    fn truncation_under_a_mapping_reads_zeros_and_is_flagged() {
        let mut file = tempfile::tempfile().expect("tempfile");
        let data = vec![b'x'; 64 * 1024];
        std::io::Write::write_all(&mut file, &data).expect("write");
        // SAFETY: the test owns the file; truncating it is what is tested.
        let map = unsafe { MmapOptions::new().map(&file) }.expect("map");
        let guarded = protect(map).expect("guard");
        assert!(!guarded.faulted());
        assert_eq!(guarded[100], b'x');
        file.set_len(4096).expect("truncate");
        let tail: usize = guarded[8192..]
            .iter()
            // SAFETY: a valid reference; volatile so the reads are not folded away.
            .map(|b| usize::from(unsafe { std::ptr::read_volatile(b) }))
            .sum();
        assert_eq!(tail, 0, "pages past the end read as zeros");
        assert!(guarded.faulted());
        assert_eq!(guarded[100], b'x', "pages before the fault are untouched");
    }

    #[test]
    fn slots_are_released() {
        let mut file = tempfile::tempfile().expect("tempfile");
        std::io::Write::write_all(&mut file, b"abc\n").expect("write");
        for _ in 0..SLOTS * 2 {
            // SAFETY: the test owns the file and does not change it.
            let map = unsafe { MmapOptions::new().map(&file) }.expect("map");
            let g = protect(map).expect("a free slot");
            assert_eq!(&g[..], b"abc\n");
        }
    }
}
