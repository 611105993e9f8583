//! A call's recording as it happens: one Ogg/Opus file (RFC 7845) with two channels, the
//! caller on the left and the agent on the right, written from the packets the two parties
//! send each other — never decoded, never re-encoded.
//!
//! The trick is Opus *multistream* (channel mapping family 1 with two uncoupled mono streams):
//! each Ogg packet holds one 20 ms frame of each party, the caller's in self-delimiting framing.
//! The two legs run on their own RTP clocks, so each is laid on the recording's wall-clock
//! timeline (20 ms slots since the call connected): its first packet anchors it, its RTP
//! timestamps place the rest, so silence (DTX, mute, hold: no packets) still takes its time.
//! A slot a party sent nothing for holds an empty frame, which a decoder plays as silence.
//! Slots are written [`LATENESS`] after they end, so jitter does not lose frames; every
//! [`PAGE_SLOTS`] slots a page is closed, so a crash loses at most the last second or so.
//!
//! Pure: time comes in as 48 kHz samples since the recording started, bytes go out as
//! finished Ogg pages (`take`), for the caller to append wherever the file is kept.

use super::opus::{self, FILLER_TOC, SLOT_SAMPLES};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};
use std::collections::BTreeMap;

/// How long after a slot ends it is written: frames later than this are dropped.
pub const LATENESS: u64 = 10 * SLOT_SAMPLES as u64;
/// Slots per Ogg page (one second).
pub const PAGE_SLOTS: u64 = 50;
/// Decoder start-up samples to discard (RFC 7845 §4.2): a typical encoder's look-ahead.
const PRE_SKIP: u16 = 312;
/// How far a leg's RTP clock may run from the wall clock before it is anchored again
/// (a new source after a reload or transfer re-anchors at once).
const MAX_DRIFT: i64 = 15 * SLOT_SAMPLES as i64;

/// Which channel of the file a party's audio goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The left channel: the visitor, the customer.
    Caller = 0,
    /// The right channel: whichever agent is connected.
    Agent = 1,
}

/// What the recorder saw, for metrics and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Frames written into their slot.
    pub frames: u64,
    /// Frames that arrived after their slot was written.
    pub late: u64,
    /// Payloads that were not Opus, or frames not 20 ms long (recorded as silence).
    pub unusable: u64,
}

#[derive(Default)]
struct Track {
    /// Which sender the anchor belongs to (a leg id); another sender re-anchors.
    source: Option<u64>,
    /// `slot start = rtp + offset`, in samples.
    offset: i64,
    /// The last TOC byte seen, so empty frames keep the stream's configuration.
    toc: Option<u8>,
    pending: BTreeMap<u64, Vec<u8>>,
}

/// One call's recording in progress.
pub struct Recorder {
    writer: PacketWriter<'static, Vec<u8>>,
    serial: u32,
    tracks: [Track; 2],
    next_slot: u64,
    counts: Counts,
}

impl Recorder {
    /// Starts the file: its two header pages are ready in [`Recorder::take`] at once.
    pub fn new(serial: u32) -> Recorder {
        let mut writer = PacketWriter::new(Vec::new());
        let page = PacketWriteEndInfo::EndPage;
        // Writing into a Vec cannot fail.
        let _ = writer.write_packet(opus_head(), serial, page, 0);
        let _ = writer.write_packet(opus_tags(), serial, page, 0);
        Recorder {
            writer,
            serial,
            tracks: Default::default(),
            next_slot: 0,
            counts: Counts::default(),
        }
    }

    /// A packet a party sent (`rtp`: its RTP timestamp, extended to 64 bits) arriving at
    /// `now` (samples since the recording started). `source` tells senders apart.
    pub fn push(&mut self, channel: Channel, source: u64, now: u64, rtp: u64, payload: &[u8]) {
        let Ok(packet) = opus::parse(payload) else {
            self.counts.unusable += 1;
            return;
        };
        let frame_samples = opus::frame_samples(packet.toc);
        if frame_samples != SLOT_SAMPLES {
            self.counts.unusable += packet.frames.len() as u64;
            return;
        }
        let track = &mut self.tracks[channel as usize];
        let anchored = (rtp as i64).wrapping_add(track.offset);
        let drift = anchored - now as i64;
        let drifted = !(-MAX_DRIFT - LATENESS as i64..=MAX_DRIFT).contains(&drift);
        if track.source != Some(source) || drifted {
            track.source = Some(source);
            track.offset = now as i64 - rtp as i64;
        }
        track.toc = Some(packet.toc & !3);
        for (i, frame) in packet.frames.iter().enumerate() {
            let start = rtp as i64 + track.offset + (i as i64 * SLOT_SAMPLES as i64);
            let slot = (start.max(0) as u64 + SLOT_SAMPLES as u64 / 2) / SLOT_SAMPLES as u64;
            if slot < self.next_slot {
                self.counts.late += 1;
                continue;
            }
            track.pending.entry(slot).or_insert_with(|| frame.to_vec());
        }
    }

    /// Writes every slot that ended at least [`LATENESS`] before `now`.
    pub fn advance(&mut self, now: u64) {
        while (self.next_slot + 1) * SLOT_SAMPLES as u64 + LATENESS <= now {
            self.write_slot(PacketWriteEndInfo::NormalPacket);
        }
    }

    /// Finished pages since the last call: append them to the file.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.writer.inner_mut())
    }

    /// Ends the file at `now`: every slot up to then is written (late frames are not waited
    /// for) and the last page closes the stream. Returns the remaining bytes.
    pub fn finish(mut self, now: u64) -> (Vec<u8>, Counts) {
        let end_slot = now.div_ceil(SLOT_SAMPLES as u64).max(1);
        while self.next_slot + 1 < end_slot {
            self.write_slot(PacketWriteEndInfo::NormalPacket);
        }
        self.write_slot(PacketWriteEndInfo::EndStream);
        let counts = self.counts;
        (self.take(), counts)
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The file's length so far in seconds (what a player will show once it is finished).
    pub fn seconds(&self) -> f64 {
        (self.next_slot * SLOT_SAMPLES as u64).saturating_sub(PRE_SKIP as u64) as f64
            / opus::SAMPLE_RATE as f64
    }

    fn write_slot(&mut self, end: PacketWriteEndInfo) {
        let slot = self.next_slot;
        let mut packet = Vec::with_capacity(256);
        for (index, track) in self.tracks.iter_mut().enumerate() {
            let last_stream = index == 1;
            let toc = track.toc.unwrap_or(FILLER_TOC);
            // Frames that can no longer be written (before this slot) are dropped.
            while let Some(entry) = track.pending.first_entry() {
                if *entry.key() >= slot {
                    break;
                }
                entry.remove();
                self.counts.late += 1;
            }
            match track.pending.remove(&slot) {
                Some(frame) => {
                    self.counts.frames += 1;
                    opus::single_frame(&mut packet, toc, &frame, !last_stream);
                }
                None => opus::single_frame(&mut packet, toc, &[], !last_stream),
            }
        }
        self.next_slot += 1;
        let end = match end {
            PacketWriteEndInfo::NormalPacket if self.next_slot.is_multiple_of(PAGE_SLOTS) => {
                PacketWriteEndInfo::EndPage
            }
            other => other,
        };
        let granule = self.next_slot * SLOT_SAMPLES as u64;
        let _ = self.writer.write_packet(packet, self.serial, end, granule);
    }
}

/// The identification header (RFC 7845 §5.1): two channels, mapping family 1, two streams,
/// none coupled, stream 0 → left, stream 1 → right.
fn opus_head() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(2); // channels
    head.extend_from_slice(&PRE_SKIP.to_le_bytes());
    head.extend_from_slice(&opus::SAMPLE_RATE.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.extend_from_slice(&[1, 2, 0, 0, 1]); // family, streams, coupled, mapping
    head
}

/// The comment header (§5.2): who wrote the file and what the channels are.
fn opus_tags() -> Vec<u8> {
    let vendor = b"Switchboard";
    let comments: [&[u8]; 1] = [b"CHANNELS=left: caller, right: agent"];
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for comment in comments {
        tags.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        tags.extend_from_slice(comment);
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use ogg::reading::PacketReader;

    const TOC: u8 = 31 << 3;

    fn packets(file: &[u8]) -> Vec<ogg::Packet> {
        let mut reader = PacketReader::new(std::io::Cursor::new(file));
        let mut out = Vec::new();
        while let Some(p) = reader.read_packet().unwrap() {
            out.push(p);
        }
        out
    }

    /// Splits a recorded multistream packet back into (caller frame, agent frame).
    fn streams(packet: &[u8]) -> (Vec<u8>, Vec<u8>) {
        assert_eq!(packet[0] & 3, 0);
        let len = packet[1] as usize; // test frames are short
        let caller = packet[2..2 + len].to_vec();
        let rest = &packet[2 + len..];
        assert_eq!(rest[0] & 3, 0);
        (caller, rest[1..].to_vec())
    }

    #[test]
    fn headers_describe_two_uncoupled_mono_streams() {
        let mut rec = Recorder::new(7);
        let file = rec.take();
        let (bytes, _) = rec.finish(0);
        let all = [file, bytes].concat();
        let p = packets(&all);
        assert_eq!(&p[0].data[..8], b"OpusHead");
        assert_eq!(p[0].data[9], 2, "two channels");
        assert_eq!(&p[0].data[18..], &[1, 2, 0, 0, 1]);
        assert_eq!(&p[1].data[..8], b"OpusTags");
        assert!(p[2].last_in_stream());
    }

    #[test]
    fn each_party_lands_in_its_slot_and_silence_keeps_time() {
        let mut rec = Recorder::new(1);
        let mut file = rec.take();
        // The caller talks for 10 slots from the start; the agent starts 5 slots later with a
        // different RTP origin, sends 2 slots, goes silent (DTX) for 3 and sends 1 more.
        for i in 0..10u64 {
            let now = i * 960 + 100;
            rec.push(
                Channel::Caller,
                1,
                now,
                50_000 + i * 960,
                &[TOC, i as u8 + 1],
            );
            if i == 5 || i == 6 || i == 9 {
                rec.push(
                    Channel::Agent,
                    2,
                    now,
                    7_000_000 + (i - 5) * 960,
                    &[TOC, 100 + i as u8],
                );
            }
            rec.advance(now);
            file.extend(rec.take());
        }
        let (tail, counts) = rec.finish(20 * 960);
        file.extend(tail);
        assert_eq!(
            counts,
            Counts {
                frames: 13,
                late: 0,
                unusable: 0
            }
        );
        let p = packets(&file);
        let audio: Vec<_> = p[2..].iter().map(|p| streams(&p.data)).collect();
        assert_eq!(audio.len(), 20, "20 slots for 400 ms");
        for (i, (caller, agent)) in audio.iter().enumerate() {
            let want_caller = if i < 10 { vec![i as u8 + 1] } else { vec![] };
            assert_eq!(caller, &want_caller, "caller slot {i}");
            let want_agent = match i {
                5 | 6 | 9 => vec![100 + i as u8],
                _ => vec![],
            };
            assert_eq!(agent, &want_agent, "agent slot {i}");
        }
        assert_eq!(p.last().unwrap().absgp_page(), 20 * 960);
    }

    #[test]
    fn a_new_sender_re_anchors_and_late_frames_are_counted() {
        let mut rec = Recorder::new(1);
        rec.push(Channel::Caller, 1, 0, 1_000, &[TOC, 1]);
        rec.advance(60 * 960);
        // The same sender's frame for slot 45 arrives after slot 49 was written.
        rec.push(Channel::Caller, 1, 60 * 960, 1_000 + 45 * 960, &[TOC, 2]);
        // After a reload the caller's new leg starts its own RTP clock: anchored at now.
        rec.push(Channel::Caller, 9, 60 * 960, 5, &[TOC, 3]);
        let (_, counts) = rec.finish(62 * 960);
        assert_eq!(counts.frames, 2);
        assert_eq!(counts.late, 1);
    }

    #[test]
    fn multi_frame_packets_are_split_and_odd_sizes_are_silence() {
        let mut rec = Recorder::new(1);
        // A code 1 packet: two 20 ms frames in one.
        rec.push(Channel::Agent, 1, 0, 0, &[TOC | 1, 5, 6]);
        // A 10 ms frame cannot fill a 20 ms slot on its own.
        rec.push(Channel::Caller, 2, 0, 0, &[30 << 3, 1]);
        rec.push(Channel::Caller, 2, 0, 0, &[]);
        let (_, counts) = rec.finish(3 * 960);
        assert_eq!(
            counts,
            Counts {
                frames: 2,
                late: 0,
                unusable: 2
            }
        );
    }

    #[test]
    fn pages_close_every_second() {
        let mut rec = Recorder::new(1);
        let headers = rec.take();
        rec.advance(PAGE_SLOTS * 960 + LATENESS);
        let page = rec.take();
        assert!(
            !page.is_empty(),
            "a full second is on disk before the call ends"
        );
        assert!(rec.seconds() >= 0.99);
        let p = packets(&[headers, page].concat());
        assert_eq!(p.len(), 2 + PAGE_SLOTS as usize);
    }
}
