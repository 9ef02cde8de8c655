//! Reopening on SIGHUP, the signal logrotate's `postrotate` scripts usually send. The
//! handler only bumps a counter; sinks compare it with what they saw, once per batch.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

static HANGUPS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: Mutex<bool> = Mutex::new(false);

extern "C" fn on_hangup(_: libc::c_int) {
    HANGUPS.fetch_add(1, Ordering::Relaxed);
}

/// How many SIGHUPs the process has received since the handler was installed.
pub(super) fn hangups() -> u64 {
    HANGUPS.load(Ordering::Relaxed)
}

/// Installs the SIGHUP handler (once per process), replacing the default action, which
/// would end the process.
pub(super) fn install() -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if *installed {
        return Ok(());
    }
    // SAFETY: all-zero bytes are a valid `sigaction`; the handler is async-signal-safe
    // (one atomic add).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_hangup as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut()) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    *installed = true;
    Ok(())
}
