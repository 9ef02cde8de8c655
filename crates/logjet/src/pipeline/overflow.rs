//! What a log call does when its thread's queue is full.

use std::time::Duration;

/// The policy for a full queue. Whatever it is, every record is either written or
/// counted as dropped, and a WARNING record reports each run of drops.
///
/// There is no "drop oldest": a caller's queue is read by the backend without locks, so
/// the caller cannot take back records the backend may be reading. A level set with
/// [`Builder::never_drop_at`](crate::Builder::never_drop_at) makes records at or above
/// it wait for room whatever the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Wait for room: nothing is lost, the caller may wait (the default).
    #[default]
    Block,
    /// Wait for room at most this long, then drop the record.
    BlockFor(Duration),
    /// Drop the record at once: the caller never waits.
    DropNewest,
}
