//! Owned, pre-encoded fields: what `bind` and scoped context attach to records. They are
//! encoded once, when created, and copied as bytes into each record.

use crate::encode::Encoder;
use crate::value::{ToField, Value};

/// A set of key-value fields, encoded once. Build it with [`fields!`](crate::fields!).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields {
    encoded: Vec<u8>,
}

impl Fields {
    /// No fields.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Fields written by `build` (what [`fields!`](crate::fields!) expands to).
    #[doc(hidden)]
    pub fn build(build: impl FnOnce(&mut Encoder<'_>)) -> Fields {
        let mut encoded = Vec::new();
        build(&mut Encoder::fields_only(&mut encoded));
        Fields { encoded }
    }

    /// Adds a field with a static key.
    pub fn with(mut self, key: &'static str, value: impl ToField) -> Fields {
        Encoder::fields_only(&mut self.encoded).field_static(key, &value);
        self
    }

    /// Adds a field whose key is only known at run time.
    pub fn with_dynamic(mut self, key: &str, value: Value<'_>) -> Fields {
        Encoder::fields_only(&mut self.encoded).field(key, &value);
        self
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.encoded.is_empty()
    }

    pub(crate) fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The fields, as records will show them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Value<'_>)> {
        crate::encode::FieldIter::new(&self.encoded)
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{MAX_VALUE_BYTES, TRUNCATION_MARKER};

    #[test]
    fn a_cut_value_leaves_the_other_fields_intact() {
        let long = "x".repeat(MAX_VALUE_BYTES + 100);
        // A copied key first: its length's low byte is where a record's flags would be.
        let fields = Fields::build(|enc| {
            enc.field("ab", &1u64);
            enc.field_static("second", long.as_str());
        })
        .with("third", 3u64);
        let read: Vec<(&str, Value<'_>)> = fields.iter().collect();
        assert_eq!(read.len(), 3);
        assert_eq!(read[0], ("ab", Value::U64(1)));
        assert_eq!(read[2], ("third", Value::U64(3)));
        let Value::Str(cut) = read[1].1 else {
            panic!("{:?}", read[1]);
        };
        assert_eq!(read[1].0, "second");
        assert!(cut.ends_with(TRUNCATION_MARKER) && cut.len() < long.len());
    }
}
