//! The music a held caller hears: Opus packets read once from a clip built into the server
//! (`backend/assets/hold.opus`, made by `scripts/make-hold-audio.py`) and played in a loop,
//! so there is no encoder on the live path.

use super::opus::{self, SLOT_SAMPLES};

const CLIP: &[u8] = include_bytes!("../../assets/hold.opus");

/// The clip's 20 ms packets, in order.
pub struct HoldAudio {
    packets: Vec<Vec<u8>>,
}

impl HoldAudio {
    /// Reads the built-in clip. Packets that are not one 20 ms frame's worth are left out
    /// (the player sends one packet per 20 ms tick).
    pub fn built_in() -> HoldAudio {
        let mut reader = ogg::reading::PacketReader::new(std::io::Cursor::new(CLIP));
        let mut packets = Vec::new();
        let mut index = 0;
        while let Ok(Some(packet)) = reader.read_packet() {
            index += 1;
            if index <= 2 {
                continue; // OpusHead, OpusTags
            }
            let twenty_ms = opus::parse(&packet.data)
                .map(|p| opus::frame_samples(p.toc) * p.frames.len() as u32 == SLOT_SAMPLES)
                .unwrap_or(false);
            if twenty_ms {
                packets.push(packet.data);
            }
        }
        HoldAudio { packets }
    }

    /// The packet to send at tick `n` (the clip loops).
    pub fn packet(&self, n: u64) -> &[u8] {
        &self.packets[(n % self.packets.len() as u64) as usize]
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clip_is_about_four_seconds_of_20ms_packets() {
        let hold = HoldAudio::built_in();
        assert!((190..=200).contains(&hold.len()), "{} packets", hold.len());
        assert_eq!(hold.packet(0), hold.packet(hold.len() as u64));
    }
}
