//! The process's memory. glibc's allocator keeps what a thread freed for that thread's arena
//! and seldom hands it back to the system: after one large read (a yearly report holds tens of
//! thousands of rows) the process would stay at its peak. So the allocator is tuned once at
//! start, and large reads run a few at a time and give their memory back when done.

/// Tunes glibc's allocator. Call once, before any thread starts.
///
/// * Two arenas instead of eight per core: with the blocking threads that run database work,
///   more arenas held the server at about twice its working set under load.
/// * A fixed mmap threshold: a block of 128 KiB or more (a report's row vector, a response
///   body) is mapped on its own and unmapped when freed. glibc otherwise raises the threshold
///   after each such free, up to 32 MiB, and keeps later large blocks in its heap.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}

/// Hands the free pages of the allocator's heaps back to the system (after a large read).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release() {
    // SAFETY: malloc_trim only returns free memory; it is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release() {}

/// How many large reads run at once: one per core, at most four. More would not finish
/// sooner (each is busy on a core) but would hold their memory side by side.
pub fn large_reads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4))
}
