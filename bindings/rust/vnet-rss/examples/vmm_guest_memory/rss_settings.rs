//! The guest: its RSS configurations, as it sends them (struct virtio_net_rss_config) and as the
//! check reads them.

use crate::{ALL_HASH_TYPES, MICROSOFT_KEY, QUEUE_PAIRS};

/// A guest's RSS configuration, as it sends it and as the check reads it.
#[derive(Clone, Debug)]
pub(crate) struct RssSettings {
    pub(crate) key: [u8; 40],
    pub(crate) table: Vec<u16>,
    pub(crate) unclassified_queue: u16,
    pub(crate) max_tx_vq: u16,
}

impl RssSettings {
    /// struct virtio_net_rss_config, le: hash_types, indirection_table_mask, unclassified_queue,
    /// indirection_table[mask + 1], max_tx_vq, hash_key_length, hash_key_data.
    pub(crate) fn command(&self) -> Vec<u8> {
        let mut out = ALL_HASH_TYPES.to_le_bytes().to_vec();
        out.extend_from_slice(&(self.table.len() as u16 - 1).to_le_bytes());
        out.extend_from_slice(&self.unclassified_queue.to_le_bytes());
        for entry in &self.table {
            out.extend_from_slice(&entry.to_le_bytes());
        }
        out.extend_from_slice(&self.max_tx_vq.to_le_bytes());
        out.push(self.key.len() as u8);
        out.extend_from_slice(&self.key);
        out
    }
}

/// Phase 0: 128 entries over four queues, unclassified frames to queue 3. Phase 1: three queue
/// pairs, a new table over them, unclassified frames to queue 2.
pub(crate) fn phase_settings() -> [RssSettings; 2] {
    [
        RssSettings {
            key: MICROSOFT_KEY,
            table: (0..128).map(|entry| entry % QUEUE_PAIRS).collect(),
            unclassified_queue: 3,
            max_tx_vq: QUEUE_PAIRS,
        },
        RssSettings {
            key: MICROSOFT_KEY,
            table: vec![2, 0, 1, 1, 2, 0, 0, 2, 1, 2, 1, 0, 0, 1, 2, 2],
            unclassified_queue: 2,
            max_tx_vq: 3,
        },
    ]
}
