//! Just enough of the Opus packet format (RFC 6716 §3) to record calls without decoding them:
//! a packet's frames and their duration, and the self-delimiting framing (Appendix B) that
//! Ogg's multistream packets need for every stream but the last (RFC 7845 §5.1.1).

/// Samples per second of every Opus stream on the wire (RTP clock and Ogg granule).
pub const SAMPLE_RATE: u32 = 48_000;
/// The frame length the recorder's timeline is cut into: 20 ms, browsers' default.
pub const SLOT_SAMPLES: u32 = 960;
/// A TOC byte for a 20 ms CELT fullband mono frame: the filler's config when a stream has not
/// sent anything yet.
pub const FILLER_TOC: u8 = 31 << 3;
/// The largest frame RFC 6716 allows.
const MAX_FRAME: usize = 1275;

/// Why a payload is not a well-formed Opus packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("empty packet")]
    Empty,
    #[error("frame lengths do not add up to the packet")]
    Lengths,
    #[error("a code 3 packet without its frame count")]
    Count,
    #[error("more than 120 ms in one packet")]
    TooLong,
}

/// A packet split into its TOC byte and frames (each possibly empty: DTX or lost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frames<'a> {
    pub toc: u8,
    pub frames: Vec<&'a [u8]>,
}

/// The duration of one frame of this TOC's configuration, in 48 kHz samples.
pub fn frame_samples(toc: u8) -> u32 {
    let config = toc >> 3;
    match config {
        // SILK: 10, 20, 40, 60 ms.
        0..=11 => [480, 960, 1920, 2880][(config % 4) as usize],
        // Hybrid: 10, 20 ms.
        12..=15 => [480, 960][(config % 2) as usize],
        // CELT: 2.5, 5, 10, 20 ms.
        _ => [120, 240, 480, 960][(config % 4) as usize],
    }
}

/// Reads a frame length (1 or 2 bytes, §3.2.1) at the start of `data`: (length, bytes used).
fn read_length(data: &[u8]) -> Result<(usize, usize), Malformed> {
    match data {
        [] => Err(Malformed::Lengths),
        [b, ..] if *b < 252 => Ok((*b as usize, 1)),
        [b, c, ..] => Ok((*c as usize * 4 + *b as usize, 2)),
        [_] => Err(Malformed::Lengths),
    }
}

/// Appends a frame length in the §3.2.1 coding.
fn write_length(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len <= MAX_FRAME);
    if len < 252 {
        out.push(len as u8);
    } else {
        let first = 252 + (len & 3);
        out.push(first as u8);
        out.push(((len - first) >> 2) as u8);
    }
}

/// Splits a packet into its frames (§3.2: codes 0–3, padding dropped).
pub fn parse(packet: &[u8]) -> Result<Frames<'_>, Malformed> {
    let (&toc, rest) = packet.split_first().ok_or(Malformed::Empty)?;
    let frames = match toc & 3 {
        0 => vec![rest],
        1 => {
            if rest.len() % 2 != 0 {
                return Err(Malformed::Lengths);
            }
            let (a, b) = rest.split_at(rest.len() / 2);
            vec![a, b]
        }
        2 => {
            let (n1, used) = read_length(rest)?;
            let body = &rest[used..];
            if n1 > body.len() {
                return Err(Malformed::Lengths);
            }
            let (a, b) = body.split_at(n1);
            vec![a, b]
        }
        _ => code3(rest)?,
    };
    if frames.iter().any(|f| f.len() > MAX_FRAME) {
        return Err(Malformed::Lengths);
    }
    if frame_samples(toc) as usize * frames.len() > 5760 {
        return Err(Malformed::TooLong);
    }
    Ok(Frames { toc, frames })
}

/// A code 3 packet: a count byte (VBR flag, padding flag, frame count), padding lengths,
/// then the frames (equal in size, or each length given but the last).
fn code3(rest: &[u8]) -> Result<Vec<&[u8]>, Malformed> {
    let (&count, mut body) = rest.split_first().ok_or(Malformed::Count)?;
    let vbr = count & 0x80 != 0;
    let padded = count & 0x40 != 0;
    let m = (count & 0x3f) as usize;
    if m == 0 {
        return Err(Malformed::Count);
    }
    let mut padding = 0usize;
    if padded {
        loop {
            let (&p, tail) = body.split_first().ok_or(Malformed::Lengths)?;
            body = tail;
            padding += if p == 255 { 254 } else { p as usize };
            if p != 255 {
                break;
            }
        }
    }
    let mut lengths = Vec::with_capacity(m);
    if vbr {
        for _ in 0..m - 1 {
            let (len, used) = read_length(body)?;
            body = &body[used..];
            lengths.push(len);
        }
    }
    let data_len = body.len().checked_sub(padding).ok_or(Malformed::Lengths)?;
    let body = &body[..data_len];
    if vbr {
        let given: usize = lengths.iter().sum();
        lengths.push(data_len.checked_sub(given).ok_or(Malformed::Lengths)?);
    } else {
        if data_len % m != 0 {
            return Err(Malformed::Lengths);
        }
        lengths.resize(m, data_len / m);
    }
    let mut frames = Vec::with_capacity(m);
    let mut at = 0;
    for len in lengths {
        frames.push(&body[at..at + len]);
        at += len;
    }
    Ok(frames)
}

/// One frame as a single-frame (code 0) packet; `self_delimited` adds the frame's length after
/// the TOC byte, as every stream but the last of a multistream packet needs (Appendix B).
pub fn single_frame(out: &mut Vec<u8>, toc: u8, frame: &[u8], self_delimited: bool) {
    out.push(toc & !3);
    if self_delimited {
        write_length(out, frame.len());
    }
    out.extend_from_slice(frame);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_durations_follow_the_toc_table() {
        assert_eq!(frame_samples(31 << 3), 960); // CELT FB 20 ms
        assert_eq!(frame_samples(28 << 3), 120); // CELT FB 2.5 ms
        assert_eq!(frame_samples(1 << 3), 960); // SILK NB 20 ms
        assert_eq!(frame_samples(3 << 3), 2880); // SILK NB 60 ms
        assert_eq!(frame_samples(15 << 3), 960); // Hybrid FB 20 ms
        assert_eq!(frame_samples(12 << 3), 480); // Hybrid SWB 10 ms
    }

    #[test]
    fn codes_zero_to_three_split_into_frames() {
        let toc = 31 << 3;
        assert_eq!(
            parse(&[toc, 1, 2, 3]).unwrap().frames,
            vec![&[1u8, 2, 3][..]]
        );
        assert_eq!(parse(&[toc]).unwrap().frames, vec![&[0u8; 0][..]]);
        assert_eq!(
            parse(&[toc | 1, 1, 2, 3, 4]).unwrap().frames,
            vec![&[1u8, 2][..], &[3, 4][..]]
        );
        assert_eq!(parse(&[toc | 1, 1, 2, 3]), Err(Malformed::Lengths));
        assert_eq!(
            parse(&[toc | 2, 1, 9, 7, 7]).unwrap().frames,
            vec![&[9u8][..], &[7, 7][..]]
        );
        assert_eq!(parse(&[toc | 2, 5, 9]), Err(Malformed::Lengths));
        // CBR, 3 frames of 2 bytes.
        assert_eq!(
            parse(&[toc | 3, 3, 1, 1, 2, 2, 3, 3]).unwrap().frames.len(),
            3
        );
        // VBR with padding: lengths 1, 2, rest 1; then 2 bytes of padding.
        let vbr = [toc | 3, 0x80 | 0x40 | 3, 2, 1, 2, 9, 8, 8, 7, 0, 0];
        assert_eq!(
            parse(&vbr).unwrap().frames,
            vec![&[9u8][..], &[8, 8][..], &[7][..]]
        );
        assert_eq!(parse(&[toc | 3, 0]), Err(Malformed::Count));
        assert_eq!(parse(&[]), Err(Malformed::Empty));
        // 7 × 20 ms = 140 ms is more than a packet may hold.
        assert_eq!(parse(&[toc | 3, 7]), Err(Malformed::TooLong));
    }

    #[test]
    fn two_byte_lengths_round_trip() {
        for len in [0usize, 1, 251, 252, 253, 255, 256, 1000, 1275] {
            let frame = vec![0x55; len];
            let mut out = Vec::new();
            single_frame(&mut out, 31 << 3 | 1, &frame, true);
            assert_eq!(out[0], 31 << 3, "the TOC becomes code 0");
            let (read, used) = read_length(&out[1..]).unwrap();
            assert_eq!(read, len);
            assert_eq!(out.len(), 1 + used + len);
            // The same frame as a code 2 packet's first frame parses back.
            let mut code2 = vec![31 << 3 | 2];
            write_length(&mut code2, len);
            code2.extend_from_slice(&frame);
            code2.push(1);
            assert_eq!(parse(&code2).unwrap().frames[0].len(), len);
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            let _ = parse(&data);
        }
    }
}
