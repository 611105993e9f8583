//! ICE-TCP: the media port also listens on TCP, for browsers whose network blocks UDP (RFC
//! 6544, a passive host candidate beside the UDP one). Each connection carries STUN, DTLS
//! and SRTP in RFC 4571 frames (a two-byte length, then the packet). The engine's one thread
//! never blocks on a connection: every connection has a reader thread that hands whole frames
//! to the engine over a channel, and a writer thread fed through a bounded queue (a peer too
//! slow to take its packets loses some, as it would over UDP, instead of stalling every call).
//!
//! A listener bound to loopback takes loopback peers only, as the UDP socket does.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{sync_channel, Receiver, Sender, SyncSender};

/// Packets queued for one connection before new ones are dropped (about a second of audio).
const OUT_QUEUE: usize = 128;
/// The largest frame taken (RFC 4571 allows 65535; media packets are far smaller).
const MAX_FRAME: usize = 4096;

/// What the connections tell the engine.
pub enum TcpEvent {
    /// A peer connected; packets for it go into `out`.
    Opened {
        peer: SocketAddr,
        out: SyncSender<Vec<u8>>,
    },
    /// One packet from `peer`.
    Packet { peer: SocketAddr, bytes: Vec<u8> },
    /// The connection ended.
    Closed { peer: SocketAddr },
}

/// Accepts connections on `listener` for as long as the engine takes events.
pub fn serve(listener: TcpListener, events: Sender<TcpEvent>) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    std::thread::Builder::new()
        .name("media-tcp".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else {
                    continue;
                };
                let Ok(peer) = stream.peer_addr() else {
                    continue;
                };
                if local.ip().is_loopback() && !peer.ip().is_loopback() {
                    continue;
                }
                if open(stream, peer, events.clone()).is_err() {
                    // The engine is gone: so is the media.
                    return;
                }
            }
        })?;
    Ok(())
}

/// Starts the connection's reader and writer.
fn open(stream: TcpStream, peer: SocketAddr, events: Sender<TcpEvent>) -> Result<(), ()> {
    let _ = stream.set_nodelay(true);
    let Ok(writer) = stream.try_clone() else {
        return Ok(());
    };
    let (out, queued) = sync_channel::<Vec<u8>>(OUT_QUEUE);
    events
        .send(TcpEvent::Opened { peer, out })
        .map_err(|_| ())?;
    let _ = std::thread::Builder::new()
        .name("media-tcp-out".into())
        .spawn(move || write_frames(writer, queued));
    let _ = std::thread::Builder::new()
        .name("media-tcp-in".into())
        .spawn(move || {
            read_frames(stream, peer, &events);
            let _ = events.send(TcpEvent::Closed { peer });
        });
    Ok(())
}

fn read_frames(mut stream: TcpStream, peer: SocketAddr, events: &Sender<TcpEvent>) {
    let mut length = [0u8; 2];
    loop {
        if stream.read_exact(&mut length).is_err() {
            return;
        }
        let n = usize::from(u16::from_be_bytes(length));
        if n == 0 || n > MAX_FRAME {
            return;
        }
        let mut bytes = vec![0u8; n];
        if stream.read_exact(&mut bytes).is_err() {
            return;
        }
        if events.send(TcpEvent::Packet { peer, bytes }).is_err() {
            return;
        }
    }
}

fn write_frames(mut stream: TcpStream, queued: Receiver<Vec<u8>>) {
    // Ends when the engine drops the connection's sender (the connection closed or the leg
    // went), or when the peer stops taking data.
    for packet in queued {
        if stream.write_all(&frame(&packet)).is_err() {
            break;
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// `packet` as an RFC 4571 frame.
pub fn frame(packet: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(packet.len() + 2);
    framed.extend_from_slice(&(packet.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
    framed.extend_from_slice(packet);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_a_big_endian_length() {
        assert_eq!(frame(&[7, 8, 9]), vec![0, 3, 7, 8, 9]);
        assert_eq!(frame(&[0; 300])[..2], [1, 44]);
    }

    #[test]
    fn a_connection_hands_whole_frames_to_the_engine_and_takes_its_packets() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (events, inbox) = std::sync::mpsc::channel();
        serve(listener, events).unwrap();
        let mut client = TcpStream::connect(addr).unwrap();
        let Ok(TcpEvent::Opened { peer, out }) = inbox.recv() else {
            panic!("no connection");
        };
        assert_eq!(peer, client.local_addr().unwrap());
        // Two frames written in pieces arrive as two packets.
        let mut wire = frame(b"hello");
        wire.extend(frame(b"world!"));
        client.write_all(&wire[..4]).unwrap();
        client.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        client.write_all(&wire[4..]).unwrap();
        for want in [&b"hello"[..], &b"world!"[..]] {
            match inbox.recv().unwrap() {
                TcpEvent::Packet { bytes, .. } => assert_eq!(bytes, want),
                _ => panic!("expected a packet"),
            }
        }
        out.send(b"back".to_vec()).unwrap();
        let mut got = [0u8; 6];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"\0\x04back");
        drop(client);
        assert!(matches!(inbox.recv().unwrap(), TcpEvent::Closed { .. }));
    }
}
