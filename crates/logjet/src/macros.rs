//! The logging macros. A disabled call costs one relaxed atomic load and a compare, and
//! evaluates none of its arguments.

/// Logs at a given level: `log!(Level::INFO, "fmt {}", arg; key = value, ...)`, or through
/// a logger: `log!(logger: my_logger, Level::INFO, ...)`.
///
/// Fields follow the `;`. `key = value` records a typed value (integers, floats, bools,
/// strings, bytes, `Option`, errors); `key = %value` records its `Display`, `key = ?value`
/// its `Debug`. Keys are identifiers or string literals; a variable alone (`user_id`,
/// `%user`, `?request`) is recorded under its own name.
///
/// Without a logger, the record goes to the global instance under a logger named after
/// the module path (`my_app::db` logs as `my_app.db`).
///
/// A message whose placeholders are all bare `{}` (`"user {} logged in", id`) costs the
/// least: its integer, float, bool and string arguments are copied into the record and
/// the backend thread formats the text. Any other message (`{id}`, `{0}`, `{:?}`,
/// `{:>8}`) is formatted on the calling thread. The text is the same either way.
#[macro_export]
macro_rules! log {
    (logger: $logger:expr, $level:expr, $fmt:literal $(, $arg:expr)* $(,)? $(; $($fields:tt)*)?) => {{
        let __logjet_logger: &$crate::Logger = &$logger;
        let __logjet_level: $crate::Level = $level;
        if __logjet_logger.enabled(__logjet_level) {
            let __logjet_site = $crate::__callsite!();
            $crate::__capture!(
                $crate::Logger::__log, [__logjet_logger], __logjet_site, __logjet_level,
                $fmt $(, $arg)*; $($($fields)*)?
            );
        }
    }};
    ($level:expr, $fmt:literal $(, $arg:expr)* $(,)? $(; $($fields:tt)*)?) => {{
        let __logjet_level: $crate::Level = $level;
        let __logjet_site = $crate::__callsite!();
        if __logjet_site.enabled(__logjet_level.as_u8()) {
            $crate::__capture!(
                $crate::__private::log_global, [], __logjet_site, __logjet_level,
                $fmt $(, $arg)*; $($($fields)*)?
            );
        }
    }};
}

/// An enabled call's capture: `$submit($receiver, site, level, message, fields)`, once
/// for either form of the message (see `__with_message!`), with the field values held
/// (see `__hold_fields!`).
#[doc(hidden)]
#[macro_export]
macro_rules! __capture {
    ($submit:path, [$($receiver:expr)?], $site:ident, $level:ident, $fmt:literal $(, $arg:expr)*; $($fields:tt)*) => {
        $crate::__with_message!(
            |__logjet_message| $crate::__hold_fields!(
                (submit $submit, [$($receiver)?], $site, $level, __logjet_message) [] $($fields)*
            ),
            $fmt $(, $arg)*
        )
    };
}

/// Parses `key = value`, `key = %value`, `key = ?value` lists (a variable alone, `user_id`,
/// `%user`, `?request`, is its own key), evaluates each value once, in order, and holds
/// it (copied if small and `Copy`, else borrowed: see the `hold` module); then hands a
/// closure that encodes the held values to `__with_fields!($ctx; closure)`. `[...]`
/// accumulates `(kind, key, held)`; each level's `__logjet_field` is a binding of its own.
#[doc(hidden)]
#[macro_export]
macro_rules! __hold_fields {
    (($($ctx:tt)*) [$(($kind:ident, $key:expr, $held:ident))*]) => {
        $crate::__with_fields!($($ctx)*; |__logjet_enc: &mut $crate::__private::Encoder<'_>| {
            $($crate::__encode_held!(__logjet_enc, $kind, $key, $held);)*
        })
    };
    ($ctx:tt [$($held:tt)*] $key:ident = % $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] display, ::std::stringify!($key), $value; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:ident = ? $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] debug, ::std::stringify!($key), $value; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:ident = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] typed, ::std::stringify!($key), $value; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] % $key:ident $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] display, ::std::stringify!($key), $key; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] ? $key:ident $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] debug, ::std::stringify!($key), $key; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:ident $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] typed, ::std::stringify!($key), $key; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:literal = % $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] display, $key, $value; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:literal = ? $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] debug, $key, $value; $($($rest)*)?)
    };
    ($ctx:tt [$($held:tt)*] $key:literal = $value:expr $(, $($rest:tt)*)?) => {
        $crate::__hold_fields!(@hold $ctx [$($held)*] typed, $key, $value; $($($rest)*)?)
    };
    // A `match` keeps the value's temporaries alive until the record is captured.
    (@hold $ctx:tt [$($held:tt)*] $kind:ident, $key:expr, $value:expr; $($rest:tt)*) => {
        match $crate::__hold!($value) {
            __logjet_field => $crate::__hold_fields!($ctx [$($held)* ($kind, $key, __logjet_field)] $($rest)*),
        }
    };
}

/// What the encoded fields are for: a record to submit, or `Fields` to build.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_fields {
    (submit $submit:path, [$($receiver:expr)?], $site:ident, $level:ident, $message:ident; $encode:expr) => {
        $submit($($receiver,)? $site, $level, $message, $encode)
    };
    (build; $encode:expr) => {
        $crate::Fields::build($encode)
    };
}

/// Holds one value: a copy if it is small and `Copy`, else a borrow (see the `hold` module).
#[doc(hidden)]
#[macro_export]
macro_rules! __hold {
    ($value:expr) => {{
        #[allow(unused_imports)]
        use $crate::__private::{HoldCopy as _, HoldRef as _};
        (&$crate::__private::Hold(&$value)).__logjet_hold()
    }};
}

/// Encodes one held field value by its kind.
#[doc(hidden)]
#[macro_export]
macro_rules! __encode_held {
    ($enc:ident, typed, $key:expr, $held:ident) => {
        $enc.field_static($key, &*$held)
    };
    ($enc:ident, display, $key:expr, $held:ident) => {
        $enc.field_static($key, &$crate::DisplayValue(&*$held))
    };
    ($enc:ident, debug, $key:expr, $held:ident) => {
        $enc.field_static($key, &$crate::DebugValue(&*$held))
    };
}

/// Calls `$submit` with the message: a template whose arguments are captured in binary
/// when it has only bare `{}` placeholders (see the `message` module), or else
/// `format_args!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_message {
    (|$message:ident| $submit:expr, $fmt:literal) => {
        $crate::__with_message!(@submit |$message| $submit, $crate::__private::Message::Formatted(::std::format_args!($fmt)))
    };
    (|$message:ident| $submit:expr, $fmt:literal $(, $arg:expr)+) => {
        if const { $crate::__private::is_positional_template($fmt, [$(::std::stringify!($arg)),+].len()) } {
            $crate::__with_message!(@bind |$message| $submit, $fmt, [] $($arg,)+)
        } else {
            $crate::__with_message!(@submit |$message| $submit, $crate::__private::Message::Formatted(::std::format_args!($fmt $(, $arg)+)))
        }
    };
    // Each argument is evaluated here, in the caller's function (so `?` and `.await` work),
    // once, and held for the capture (see `__hold!`); each level's `__logjet_arg` is a
    // binding of its own.
    (@bind |$message:ident| $submit:expr, $fmt:literal, [$($bound:ident)*] $head:expr, $($tail:expr,)*) => {
        match $crate::__hold!($head) {
            __logjet_arg => $crate::__with_message!(@bind |$message| $submit, $fmt, [$($bound)* __logjet_arg] $($tail,)*),
        }
    };
    // The capture picks, per argument, the first of: a type the backend renders itself, any
    // `Display` type (formatted now), anything else (only reachable in the branch that a
    // message with other placeholders never takes, where it must still type-check).
    (@bind |$message:ident| $submit:expr, $fmt:literal, [$($bound:ident)*]) => {
        $crate::__with_message!(@submit |$message| $submit, $crate::__private::Message::Template(
            $fmt,
            &|__logjet_args: &mut $crate::__private::ArgEncoder<'_, '_>| {
                #[allow(unused_imports)]
                use $crate::__private::{CaptureAny as _, CaptureDisplay as _, CaptureTyped as _};
                $((&&&$crate::__private::Arg(&*$bound)).__logjet_capture(__logjet_args);)*
            },
        ))
    };
    // A `match` keeps the message's temporaries alive until the record is captured.
    (@submit |$message:ident| $submit:expr, $value:expr) => {
        match $value {
            $message => $submit,
        }
    };
}

/// Logs at TRACE (5). See [`log!`] for the syntax.
#[macro_export]
macro_rules! trace {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::TRACE, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::TRACE, $($rest)+) };
}

/// Logs at DEBUG (10). See [`log!`] for the syntax.
#[macro_export]
macro_rules! debug {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::DEBUG, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::DEBUG, $($rest)+) };
}

/// Logs at INFO (20). See [`log!`] for the syntax.
///
/// ```
/// let user = 42;
/// logjet::info!("user {user} logged in"; user_id = user, ip = "10.0.0.1", latency_ms = 3.5);
/// ```
#[macro_export]
macro_rules! info {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::INFO, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::INFO, $($rest)+) };
}

/// Logs at WARNING (30). See [`log!`] for the syntax.
#[macro_export]
macro_rules! warning {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::WARNING, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::WARNING, $($rest)+) };
}

/// Logs at WARNING (30); the same as [`warning!`].
#[macro_export]
macro_rules! warn {
    ($($rest:tt)+) => { $crate::warning!($($rest)+) };
}

/// Logs at ERROR (40): written at once, not at the next flush interval. See [`log!`].
#[macro_export]
macro_rules! error {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::ERROR, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::ERROR, $($rest)+) };
}

/// Logs at CRITICAL (50). See [`log!`] for the syntax.
#[macro_export]
macro_rules! critical {
    (logger: $logger:expr, $($rest:tt)+) => { $crate::log!(logger: $logger, $crate::Level::CRITICAL, $($rest)+) };
    ($($rest:tt)+) => { $crate::log!($crate::Level::CRITICAL, $($rest)+) };
}

/// Builds [`Fields`](crate::Fields) for `bind` and `context`: `fields!(request_id = id, user = %name)`.
#[macro_export]
macro_rules! fields {
    ($($fields:tt)*) => {
        $crate::__hold_fields!((build) [] $($fields)*)
    };
}

/// The static call site of the invocation it expands in.
#[doc(hidden)]
#[macro_export]
macro_rules! __callsite {
    () => {{
        fn __logjet_here() {}
        static __LOGJET_CALLSITE: $crate::__private::Callsite = $crate::__private::Callsite::new(
            ::std::module_path!(),
            ::std::file!(),
            ::std::line!(),
            || ::std::any::type_name_of_val(&__logjet_here),
        );
        &__LOGJET_CALLSITE
    }};
}
