//! Interning and keyed tables for the hot path: byte strings to small ids, keys to values
//! with a one-entry cache for runs of the same key.

use rustc_hash::FxHashMap;

use super::group::GroupStats;

/// Byte strings to small dense ids, with a one-entry cache for runs of the same name.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    names: Vec<Box<[u8]>>,
    ids: FxHashMap<Box<[u8]>, u32>,
    last: Option<u32>,
}

impl Interner {
    /// The id of `name`, adding it if new.
    #[inline(always)]
    pub fn intern(&mut self, name: &[u8]) -> u32 {
        if let Some(last) = self.last
            && self.names.get(last as usize).is_some_and(|n| same(n, name))
        {
            return last;
        }
        self.intern_slow(name)
    }

    /// [`Interner::intern`] past the one-entry cache.
    #[inline(never)]
    fn intern_slow(&mut self, name: &[u8]) -> u32 {
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.into());
                self.ids.insert(name.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// The name of an id.
    pub fn name(&self, id: u32) -> &[u8] {
        &self.names[id as usize]
    }

    /// Every name, in id order.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.names.iter().map(|n| &n[..])
    }

    /// Adds every name of `other`; returns, for each id of `other`, its id here.
    pub(crate) fn absorb(&mut self, other: &Interner) -> Vec<u32> {
        other.names.iter().map(|n| self.intern(n)).collect()
    }
}

/// Whether two names are equal; names of up to 16 bytes (service names) are compared in two
/// overlapping words in place, which costs less than the call to `memcmp` that `==` makes.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
    let half = |s: &[u8], at: usize| s.get(at..at + 4).and_then(|w| <[u8; 4]>::try_from(w).ok());
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => a == b,
    }
}

/// Values by key, in insertion order, with a one-entry cache: log lines come in long runs of
/// one service and code (and bucket), which then skip the hash lookup.
#[derive(Clone, Debug)]
pub struct GroupTable<K, V = GroupStats> {
    index: FxHashMap<K, u32>,
    entries: Vec<(K, V)>,
    last: Option<(K, u32)>,
}

impl<K, V> Default for GroupTable<K, V> {
    fn default() -> Self {
        GroupTable {
            index: FxHashMap::default(),
            entries: Vec::new(),
            last: None,
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash, V: Default> GroupTable<K, V> {
    /// The value of `key`, created empty if new.
    #[inline(always)]
    pub fn get_or_insert(&mut self, key: K) -> &mut V {
        let at = match self.last {
            Some((k, at)) if k == key => at,
            _ => self.find_or_add(key),
        };
        &mut self.entries[at as usize].1
    }

    /// The index of `key` past the one-entry cache, added if new.
    #[inline(never)]
    fn find_or_add(&mut self, key: K) -> u32 {
        let next = self.entries.len() as u32;
        let at = *self.index.entry(key).or_insert(next);
        if at == next {
            self.entries.push((key, V::default()));
        }
        self.last = Some((key, at));
        at
    }

    /// The value of `key`; a new key is added only while there are fewer than `cap` keys.
    #[inline]
    pub fn get_or_insert_capped(&mut self, key: K, cap: usize) -> Option<&mut V> {
        let known = matches!(self.last, Some((k, _)) if k == key) || self.index.contains_key(&key);
        if !known && self.entries.len() >= cap {
            return None;
        }
        Some(self.get_or_insert(key))
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&at| &self.entries[at as usize].1)
    }

    /// Every (key, value), in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Every value, in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Every (key, value), in insertion order, by value.
    pub fn into_entries(self) -> Vec<(K, V)> {
        self.entries
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a, K, V> IntoIterator for &'a GroupTable<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word compare is plain equality, at every length around its cases.
        #[test]
        fn same_is_equality(a in proptest::collection::vec(0u8..3, 0..20),
                            b in proptest::collection::vec(0u8..3, 0..20)) {
            proptest::prop_assert_eq!(same(&a, &b), a == b);
            proptest::prop_assert!(same(&a, &a));
        }
    }

    #[test]
    fn interning_gives_dense_ids() {
        let mut names = Interner::default();
        assert_eq!(names.intern(b"BLOBNODE"), 0);
        assert_eq!(names.intern(b"PROXY"), 1);
        assert_eq!(names.intern(b"BLOBNODE"), 0);
        assert_eq!(names.intern(b"BLOBNODF"), 2);
        assert_eq!(names.name(2), b"BLOBNODF");
    }
}
