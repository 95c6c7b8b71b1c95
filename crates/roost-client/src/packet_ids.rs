//! [`PacketIds`]: the packet identifiers of the client's unacknowledged requests.
//!
//! One set for PUBLISH (QoS 1 and 2), SUBSCRIBE and UNSUBSCRIBE, since the spec forbids reusing an
//! identifier until its exchange is complete [MQTT-2.2.1-3]. A bitmap of at most 8 KiB, grown
//! as identifiers are first used (a connection that never publishes at QoS 1 or 2 holds none of
//! it): allocation and release cost no heap traffic once it has grown, and identifiers rotate so a
//! late acknowledgement of a finished exchange is unlikely to match a new one.

/// Identifiers 1..=65535 in use; 0 is never handed out.
pub(crate) struct PacketIds {
    /// Word `i` holds identifiers `64 * i ..`; words past the end are all free.
    used: Vec<u64>,
    next: u16,
    in_use: usize,
}

impl PacketIds {
    pub(crate) fn new() -> Self {
        PacketIds {
            used: Vec::new(),
            next: 1,
            in_use: 0,
        }
    }

    /// A free identifier, now in use; `None` when all 65,535 are taken.
    pub(crate) fn allocate(&mut self) -> Option<u16> {
        if self.in_use == usize::from(u16::MAX) {
            return None;
        }
        loop {
            let id = self.next;
            self.next = if id == u16::MAX { 1 } else { id + 1 };
            if !self.is_used(id) {
                self.set(id, true);
                self.in_use += 1;
                return Some(id);
            }
        }
    }

    /// Gives `id` back; releasing a free identifier does nothing.
    pub(crate) fn release(&mut self, id: u16) {
        if id != 0 && self.is_used(id) {
            self.set(id, false);
            self.in_use -= 1;
        }
    }

    fn is_used(&self, id: u16) -> bool {
        self.used
            .get(usize::from(id / 64))
            .is_some_and(|word| word & (1 << (id % 64)) != 0)
    }

    fn set(&mut self, id: u16, used: bool) {
        let index = usize::from(id / 64);
        if index >= self.used.len() {
            self.used.resize(index + 1, 0);
        }
        let word = &mut self.used[index];
        if used {
            *word |= 1 << (id % 64);
        } else {
            *word &= !(1 << (id % 64));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_rotate() {
        let mut ids = PacketIds::new();
        assert_eq!(ids.allocate(), Some(1));
        assert_eq!(ids.allocate(), Some(2));
        ids.release(1);
        assert_eq!(
            ids.allocate(),
            Some(3),
            "a released id is not reused at once"
        );
    }

    #[test]
    fn all_65535_ids_then_none_then_the_released_one() {
        let mut ids = PacketIds::new();
        for expected in 1..=u16::MAX {
            assert_eq!(ids.allocate(), Some(expected));
        }
        assert_eq!(ids.allocate(), None);
        ids.release(777);
        assert_eq!(ids.allocate(), Some(777));
        assert_eq!(ids.allocate(), None);
    }

    #[test]
    fn the_bitmap_grows_only_as_far_as_identifiers_are_used() {
        let mut ids = PacketIds::new();
        assert_eq!(ids.used.capacity(), 0, "an unused set allocates nothing");
        for _ in 0..100 {
            ids.allocate();
        }
        assert_eq!(ids.used.len(), 2, "ids 1..=100 fit in two words");
        ids.release(5000);
        assert_eq!(ids.used.len(), 2, "releasing a free id does not grow it");
    }

    #[test]
    fn releasing_zero_or_a_free_id_changes_nothing() {
        let mut ids = PacketIds::new();
        ids.release(0);
        ids.release(5);
        assert_eq!(ids.in_use, 0);
    }
}
