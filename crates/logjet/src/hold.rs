//! How an enabled log call keeps its arguments and field values for the capture: small
//! `Copy` values (numbers, `bool`, `char`, references) are copied, anything else borrowed.
//!
//! The capture borrows what it keeps, and a borrowed variable has to live in memory. When
//! the macros borrowed the caller's variables themselves, the compiler stored them to the
//! stack before the level check, on every call, disabled or not: the benchmark's W3
//! measured 1.1–1.2 ns per disabled call against 0.3–0.5 ns for its loop alone. A copy
//! made inside the enabled branch is what gets borrowed instead, so a disabled call
//! touches none of its arguments.

use std::ops::Deref;

/// A value the macros copy rather than borrow: cheap to copy, nothing to drop.
#[doc(hidden)]
pub trait CopyToHold: Copy {}

macro_rules! copy_to_hold {
    ($($ty:ty),*) => {$(impl CopyToHold for $ty {})*};
}

copy_to_hold!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64, bool, char);

impl<T: ?Sized> CopyToHold for &T {}

/// An argument as written in the call, borrowed, for the choice below.
#[doc(hidden)]
pub struct Hold<'a, T: ?Sized>(pub &'a T);

/// A copy of a [`CopyToHold`] value.
#[doc(hidden)]
pub struct Copied<T>(T);

impl<T> Deref for Copied<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Copies the value: the macros call `(&Hold(&value)).__logjet_hold()`, and method
/// resolution picks this impl, which needs no extra reference, when the type allows it.
#[doc(hidden)]
pub trait HoldCopy<T> {
    fn __logjet_hold(&self) -> Copied<T>;
}

impl<T: CopyToHold> HoldCopy<T> for Hold<'_, T> {
    #[inline(always)]
    fn __logjet_hold(&self) -> Copied<T> {
        Copied(*self.0)
    }
}

/// Keeps the borrow: every other type.
#[doc(hidden)]
pub trait HoldRef<'a, T: ?Sized> {
    fn __logjet_hold(&self) -> &'a T;
}

impl<'a, T: ?Sized> HoldRef<'a, T> for &Hold<'a, T> {
    #[inline(always)]
    fn __logjet_hold(&self) -> &'a T {
        self.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_copy_values_are_copied_and_others_borrowed() {
        let n = 7u64;
        let held = crate::__hold!(n);
        assert!(!std::ptr::eq(&*held, &n));
        assert_eq!(*held, 7);
        let s = String::from("borrowed");
        let held: &String = crate::__hold!(s);
        assert!(std::ptr::eq(held, &s));
        let big = [0u8; 64];
        let held: &[u8; 64] = crate::__hold!(big);
        assert!(std::ptr::eq(held, &big));
    }
}
