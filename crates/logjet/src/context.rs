//! Scoped context: fields added to every record logged on the current thread while a
//! guard lives (or a closure runs).

use std::cell::RefCell;
use std::marker::PhantomData;

use crate::encode::Encoder;
use crate::fields::Fields;

thread_local! {
    /// The encoded fields of every active scope on this thread, outermost first.
    static CONTEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Removes its scope's fields when dropped. Not `Send`: a scope belongs to its thread.
#[must_use = "the context ends when the guard is dropped"]
pub struct ContextGuard {
    restore_len: usize,
    _not_send: PhantomData<*const ()>,
}

/// Adds `fields` to every record logged on this thread until the guard is dropped.
/// Scopes nest; an inner scope's value for a key wins over an outer one's.
///
/// ```
/// let _request = logjet::context(logjet::fields!(request_id = 42));
/// logjet::info!("handled"); // carries request_id = 42
/// ```
pub fn context(fields: Fields) -> ContextGuard {
    let restore_len = CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        let len = c.len();
        c.extend_from_slice(fields.encoded());
        len
    });
    ContextGuard {
        restore_len,
        _not_send: PhantomData,
    }
}

/// Runs `f` with `fields` added to every record it logs on this thread.
pub fn with_context<R>(fields: Fields, f: impl FnOnce() -> R) -> R {
    let _guard = context(fields);
    f()
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|c| c.borrow_mut().truncate(self.restore_len));
    }
}

/// Copies the thread's current context fields into a record being encoded.
#[inline(always)]
pub(crate) fn append_to(enc: &mut Encoder<'_>) {
    let _ = CONTEXT.try_with(|c| {
        if let Ok(c) = c.try_borrow() {
            if !c.is_empty() {
                enc.raw_fields(&c);
            }
        }
    });
}
