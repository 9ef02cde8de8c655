//! Reopening on SIGHUP, the signal logrotate's `postrotate` scripts usually send. The
//! handler only bumps a counter (and hands the signal on to the handler that was there
//! before); sinks compare the counter with what they saw, once per batch.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

static HANGUPS: AtomicU64 = AtomicU64::new(0);
static INSTALLED: Mutex<bool> = Mutex::new(false);
/// The handler installed before ours (0: none to call), and whether it takes three
/// arguments (`SA_SIGINFO`).
static PREVIOUS: AtomicUsize = AtomicUsize::new(0);
static PREVIOUS_SIGINFO: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hangup(
    signum: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    HANGUPS.fetch_add(1, Ordering::Relaxed);
    let previous = PREVIOUS.load(Ordering::Acquire);
    if previous == 0 {
        return;
    }
    // SAFETY: `previous` is the handler the process had installed for this signal,
    // called the way its flags say it expects.
    unsafe {
        if PREVIOUS_SIGINFO.load(Ordering::Relaxed) {
            let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                std::mem::transmute(previous);
            handler(signum, info, context);
        } else {
            let handler: extern "C" fn(libc::c_int) = std::mem::transmute(previous);
            handler(signum);
        }
    }
}

/// How many SIGHUPs the process has received since the handler was installed.
pub(super) fn hangups() -> u64 {
    HANGUPS.load(Ordering::Relaxed)
}

/// Installs the SIGHUP handler (once per process). A handler the process had installed
/// is kept and called after ours; the default action (ending the process) and `SIG_IGN`
/// are replaced.
pub(super) fn install() -> io::Result<()> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if *installed {
        return Ok(());
    }
    // SAFETY: all-zero bytes are a valid `sigaction`; the handler is async-signal-safe
    // (atomics, and whatever the previous handler does).
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old) != 0 {
            return Err(io::Error::last_os_error());
        }
        if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
            PREVIOUS_SIGINFO.store(old.sa_flags & libc::SA_SIGINFO != 0, Ordering::Relaxed);
            PREVIOUS.store(old.sa_sigaction, Ordering::Release);
        }
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_hangup
            as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART | libc::SA_SIGINFO;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut()) != 0 {
            PREVIOUS.store(0, Ordering::Release);
            return Err(io::Error::last_os_error());
        }
    }
    *installed = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    static EARLIER: AtomicU64 = AtomicU64::new(0);

    extern "C" fn earlier(_: libc::c_int) {
        EARLIER.fetch_add(1, Ordering::Relaxed);
    }

    #[test]
    fn chains_to_the_handler_installed_before() {
        // SAFETY: installs a handler that only bumps an atomic, then raises the signal.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = earlier as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            assert_eq!(
                libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut()),
                0
            );
            install().unwrap();
            let before = hangups();
            assert_eq!(libc::raise(libc::SIGHUP), 0);
            assert_eq!(hangups(), before + 1);
        }
        assert_eq!(EARLIER.load(Ordering::Relaxed), 1);
    }
}
