//! A softphone without a sound card: a WebRTC peer (str0m, the same stack as the server, but
//! as a full ICE agent offering like a browser does) on its own loopback UDP socket — or, as
//! a browser behind a UDP-blocking firewall, over one TCP connection to the server's passive
//! ICE-TCP candidate ([`Peer::new_tcp`]) — sending fake Opus frames at the real rate and
//! noting what it hears.
//!
//! Each frame is a valid one-frame Opus packet (TOC byte for 20 ms CELT) whose body carries
//! who sent it, its number and when (microseconds on a clock all peers in the process share),
//! so a receiver knows whom it hears, what it missed and how long the relay took. Used by
//! the media engine's tests and by `voice-bench`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// A frame's length on the wire: about what a browser sends at 32 kbit/s.
const FRAME_BYTES: usize = 80;
const TOC_20MS: u8 = 31 << 3;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn micros_now() -> u64 {
    epoch().elapsed().as_micros() as u64
}

/// A frame from `tag`, number `seq`, sent now.
pub fn frame(tag: u8, seq: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity(FRAME_BYTES);
    data.push(TOC_20MS);
    data.push(tag);
    data.extend_from_slice(&seq.to_be_bytes());
    data.extend_from_slice(&micros_now().to_be_bytes());
    data.resize(FRAME_BYTES, 0x5a);
    data
}

/// What arrived on one of the peer's two lines.
#[derive(Debug, Default, Clone)]
pub struct Heard {
    /// Frames per sender tag (index = tag); anything that is not a test frame counts at 0.
    pub by_tag: [u64; 8],
    /// Send-to-receive times of test frames, in microseconds.
    pub latencies_us: Vec<u64>,
}

impl Heard {
    fn note(&mut self, payload: &[u8]) {
        let tagged = payload.len() == FRAME_BYTES && payload[0] == TOC_20MS && payload[1] < 8;
        if !tagged {
            self.by_tag[0] += 1;
            return;
        }
        self.by_tag[payload[1] as usize] += 1;
        let mut sent = [0u8; 8];
        sent.copy_from_slice(&payload[6..14]);
        self.latencies_us
            .push(micros_now().saturating_sub(u64::from_be_bytes(sent)));
    }

    pub fn total(&self) -> u64 {
        self.by_tag.iter().sum()
    }
}

/// One WebRTC peer: a `Main` line (sendrecv) and an `Extra` line (recvonly), as the
/// browsers' call code sets them up.
/// How a peer's packets travel.
enum Wire {
    Udp(UdpSocket),
    /// ICE-TCP: `None` until the answer names the server's TCP candidate; frames read so far.
    Tcp(Option<TcpStream>, Vec<u8>),
}

pub struct Peer {
    rtc: Rtc,
    wire: Wire,
    local: SocketAddr,
    pending: Option<SdpPendingOffer>,
    main: Mid,
    extra: Mid,
    tag: u8,
    seq: u32,
    rtp: u64,
    connected: bool,
    buf: Vec<u8>,
    /// What the peer heard on `[Main, Extra]`.
    pub heard: [Heard; 2],
    /// Frames sent.
    pub sent: u64,
}

impl Peer {
    /// A peer that will tag its frames `tag` (1–7), and its SDP offer.
    pub fn new(tag: u8) -> (Peer, String) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a loopback UDP socket");
        socket.set_nonblocking(true).expect("non-blocking socket");
        let local = socket.local_addr().expect("its address");
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").expect("a host candidate"));
        let mut change = rtc.sdp_api();
        let main = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let extra = change.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
        let (offer, pending) = change.apply().expect("an offer");
        let peer = Peer {
            rtc,
            wire: Wire::Udp(socket),
            local,
            pending: Some(pending),
            main,
            extra,
            tag,
            seq: 0,
            rtp: 0,
            connected: false,
            buf: vec![0; 2000],
            heard: Default::default(),
            sent: 0,
        };
        (peer, offer.to_sdp_string())
    }

    /// A peer that talks over TCP only (no UDP candidate at all), and its SDP offer: after
    /// the answer it connects to the server's passive TCP candidate.
    pub fn new_tcp(tag: u8) -> (Peer, String) {
        let (mut peer, _) = Peer::new(tag);
        // The same peer without its UDP candidate: a fresh Rtc whose offer has none.
        let mut rtc = Rtc::builder()
            .clear_codecs()
            .enable_opus(true, false)
            .build(Instant::now());
        let mut change = rtc.sdp_api();
        let main = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let extra = change.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
        let (offer, pending) = change.apply().expect("an offer");
        peer.rtc = rtc;
        peer.pending = Some(pending);
        peer.main = main;
        peer.extra = extra;
        peer.wire = Wire::Tcp(None, Vec::new());
        (peer, offer.to_sdp_string())
    }

    /// Takes the server's answer; connectivity checks start on the next [`Peer::poll`]. A TCP
    /// peer connects to the answer's TCP candidate first (and fails if there is none).
    pub fn accept_answer(&mut self, sdp: &str) -> Result<(), String> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
        let pending = self.pending.take().ok_or("no offer is pending")?;
        if let Wire::Tcp(stream, _) = &mut self.wire {
            let server = tcp_candidate(sdp).ok_or("the answer has no TCP candidate")?;
            let connected = TcpStream::connect(server).map_err(|e| e.to_string())?;
            connected.set_nodelay(true).map_err(|e| e.to_string())?;
            connected.set_nonblocking(true).map_err(|e| e.to_string())?;
            self.local = connected.local_addr().map_err(|e| e.to_string())?;
            let candidate = Candidate::builder()
                .tcp()
                .host(self.local)
                .tcptype(TcpType::Active)
                .build()
                .map_err(|e| e.to_string())?;
            self.rtc.add_local_candidate(candidate);
            *stream = Some(connected);
        }
        self.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| e.to_string())
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    pub fn is_alive(&self) -> bool {
        self.rtc.is_alive()
    }

    /// Reads what has arrived and runs due timers; never blocks.
    pub fn poll(&mut self) {
        for (proto, source, packet) in self.receive() {
            let Ok(contents) = packet.as_slice().try_into() else {
                continue;
            };
            let input = Input::Receive(
                Instant::now(),
                Receive {
                    proto,
                    source,
                    destination: self.local,
                    contents,
                },
            );
            if self.rtc.handle_input(input).is_err() {
                self.rtc.disconnect();
            }
            self.drain();
        }
        if self.rtc.is_alive() {
            let _ = self.rtc.handle_input(Input::Timeout(Instant::now()));
        }
        self.drain();
    }

    fn drain(&mut self) {
        while self.rtc.is_alive() {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(_)) => return,
                Ok(Output::Transmit(t)) => match &mut self.wire {
                    Wire::Udp(socket) => {
                        let _ = socket.send_to(&t.contents, t.destination);
                    }
                    Wire::Tcp(Some(stream), _) => {
                        // RFC 4571 framing; loopback takes a frame whole.
                        let mut framed = (t.contents.len() as u16).to_be_bytes().to_vec();
                        framed.extend_from_slice(&t.contents);
                        let _ = stream.write_all(&framed);
                    }
                    Wire::Tcp(None, _) => {}
                },
                Ok(Output::Event(Event::Connected)) => self.connected = true,
                Ok(Output::Event(Event::MediaData(data))) => {
                    let line = usize::from(data.mid == self.extra);
                    self.heard[line].note(&data.data);
                }
                Ok(Output::Event(_)) => {}
                Err(_) => self.rtc.disconnect(),
            }
        }
    }

    /// The packets that arrived: (protocol, from, bytes).
    fn receive(&mut self) -> Vec<(Protocol, SocketAddr, Vec<u8>)> {
        let mut packets = Vec::new();
        match &mut self.wire {
            Wire::Udp(socket) => {
                while let Ok((n, source)) = socket.recv_from(&mut self.buf) {
                    packets.push((Protocol::Udp, source, self.buf[..n].to_vec()));
                }
            }
            Wire::Tcp(Some(stream), pending) => {
                let Ok(server) = stream.peer_addr() else {
                    return packets;
                };
                while let Ok(n) = stream.read(&mut self.buf) {
                    if n == 0 {
                        break;
                    }
                    pending.extend_from_slice(&self.buf[..n]);
                }
                while pending.len() >= 2 {
                    let n = usize::from(u16::from_be_bytes([pending[0], pending[1]]));
                    if pending.len() < 2 + n {
                        break;
                    }
                    packets.push((Protocol::Tcp, server, pending[2..2 + n].to_vec()));
                    pending.drain(..2 + n);
                }
            }
            Wire::Tcp(None, _) => {}
        }
        packets
    }

    /// Sends the next 20 ms frame on the Main line.
    pub fn send_frame(&mut self) {
        if !self.connected {
            return;
        }
        let data = frame(self.tag, self.seq);
        let Some(writer) = self.rtc.writer(self.main) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::Opus)
            .map(|p| p.pt())
        else {
            return;
        };
        let time = MediaTime::new(self.rtp, Frequency::FORTY_EIGHT_KHZ);
        if writer.write(pt, Instant::now(), time, data).is_ok() {
            self.sent += 1;
        }
        self.seq += 1;
        self.rtp += 960;
        self.drain();
    }

    /// Closes the peer connection (the other end sees the leg go).
    pub fn close(&mut self) {
        self.rtc.disconnect();
    }
}

/// Waits up to `timeout` for datagrams on any of the peers' sockets; which have some.
fn readable(peers: &[&mut Peer], timeout: Duration) -> Vec<bool> {
    use std::os::fd::AsRawFd;
    let mut fds: Vec<libc::pollfd> = peers
        .iter()
        .map(|p| libc::pollfd {
            fd: match &p.wire {
                Wire::Udp(socket) => socket.as_raw_fd(),
                Wire::Tcp(Some(stream), _) => stream.as_raw_fd(),
                Wire::Tcp(None, _) => -1,
            },
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = timeout.as_millis().clamp(0, 1000) as libc::c_int;
    // SAFETY: `fds` is a valid, exclusively borrowed array of `fds.len()` pollfd structs.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if ready <= 0 {
        return vec![false; peers.len()];
    }
    fds.iter().map(|f| f.revents & libc::POLLIN != 0).collect()
}

/// Drives peers until `done` says so or `limit` passes: reads what arrives (sleeping in
/// `poll(2)` between datagrams), runs their timers and sends a frame from each `talking` peer
/// every 20 ms — each at its own moment of the 20 ms, as independent browsers do, not all at
/// once. Returns whether `done` was reached.
pub fn run_for(
    peers: &mut [&mut Peer],
    talking: &[bool],
    limit: Duration,
    mut done: impl FnMut(&[&mut Peer]) -> bool,
) -> bool {
    const FRAME: Duration = Duration::from_millis(20);
    let start = Instant::now();
    let deadline = start + limit;
    let count = peers.len().max(1) as u32;
    let mut next: Vec<Instant> = (0..peers.len() as u32)
        .map(|i| start + FRAME * i / count)
        .collect();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        for (i, peer) in peers.iter_mut().enumerate() {
            if now >= next[i] {
                peer.poll();
                if talking[i] {
                    peer.send_frame();
                }
                next[i] += FRAME;
            }
        }
        if done(peers) {
            return true;
        }
        let soonest = next.iter().min().copied().unwrap_or(deadline);
        let wait = soonest
            .min(deadline)
            .saturating_duration_since(Instant::now());
        let ready = readable(peers, wait);
        for (peer, ready) in peers.iter_mut().zip(ready) {
            if ready {
                peer.poll();
            }
        }
        if done(peers) {
            return true;
        }
    }
}

/// The address of the answer's passive TCP candidate.
fn tcp_candidate(sdp: &str) -> Option<SocketAddr> {
    sdp.lines().find_map(|line| {
        let fields: Vec<&str> = line.strip_prefix("a=candidate:")?.split(' ').collect();
        let passive = fields.windows(2).any(|w| w == ["tcptype", "passive"]);
        if fields.get(2)?.eq_ignore_ascii_case("tcp") && passive {
            format!("{}:{}", fields.get(4)?, fields.get(5)?)
                .parse()
                .ok()
        } else {
            None
        }
    })
}

/// The tags the softphones of the voice tests send: the visitor's and the agent's.
pub const CALLER: u8 = 1;
pub const AGENT: u8 = 2;

/// A voice queue ("Web calls") and a flow to it: (the queue, the flow's id).
pub async fn voice_queue_and_flow(
    admin: &crate::api::Api,
) -> (serde_json::Value, serde_json::Value) {
    crate::bench::queue_and_flow(
        admin,
        serde_json::json!({"name": "Web calls", "channel": "voice", "distribution": "longest_idle", "ring_timeout_secs": 30}),
    )
    .await
}

/// Ada, an agent in `queue` (password `ada-agent-password`), not signed in.
pub async fn add_ada(admin: &crate::api::Api, queue: &serde_json::Value) {
    admin
        .post(
            "/v1/agents",
            serde_json::json!({"display_name": "Ada", "email": "ada@switchboard.test", "role": "agent",
                   "password": "ada-agent-password", "queues": [{"queue_id": queue["queue_id"]}]}),
        )
        .await
        .expect(201);
}

/// A web call center: a voice queue, a flow to it, the entry point `web-call` whose chat takes
/// calls, and Ada, a ready agent in the queue.
pub async fn call_center(c: &crate::api::Center) -> crate::api::Api {
    let (queue, flow) = voice_queue_and_flow(&c.admin).await;
    c.admin
        .post(
            "/v1/entry-points",
            serde_json::json!({"entry_id": "web-call", "flow_id": flow, "chat": {"calls": true}}),
        )
        .await
        .expect(201);
    add_ada(&c.admin, &queue).await;
    let ada = c
        .anon()
        .login("ada@switchboard.test", "ada-agent-password")
        .await;
    ada.set_ready().await;
    ada
}

/// A two-stream recording read back: its length from the last granule position, and how
/// many frames each stream holds (each checked to be the right party's: [`CALLER`] on the
/// left, [`AGENT`] on the right).
pub fn read_recording(file: &[u8]) -> (f64, u64, u64) {
    let mut reader = ogg::reading::PacketReader::new(std::io::Cursor::new(file));
    let (mut caller, mut agent, mut granule) = (0, 0, 0);
    let mut index = 0;
    while let Some(packet) = reader.read_packet().expect("a well-formed Ogg file") {
        index += 1;
        if index == 1 {
            assert_eq!(&packet.data[..8], b"OpusHead");
            assert_eq!(packet.data[9], 2, "two channels");
        }
        if index <= 2 {
            continue;
        }
        granule = packet.absgp_page();
        let data = &packet.data;
        // The caller's frame is self-delimited (test frames are short: a one-byte length).
        let caller_len = data[1] as usize;
        if caller_len > 0 {
            assert_eq!(data[2], CALLER, "the left channel holds the caller");
            caller += 1;
        }
        if data.len() > 3 + caller_len {
            assert_eq!(
                data[3 + caller_len],
                AGENT,
                "the right channel holds the agent"
            );
            agent += 1;
        }
    }
    (granule as f64 / 48_000.0, caller, agent)
}

/// A web call's visitor: their chat session and its socket.
pub struct Visitor {
    pub engagement: String,
    pub token: String,
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The types of the frames seen so far.
    pub frames: Vec<String>,
}

impl Visitor {
    /// Presses **Call** at `entry` as `name` (`anon`: the server, no credentials), and opens
    /// the session's socket.
    pub async fn call(anon: &crate::api::Api, entry: &str, name: &str) -> Visitor {
        let session = anon
            .post(
                &format!("/v1/chat/{entry}/calls"),
                serde_json::json!({"name": name}),
            )
            .await
            .expect(201);
        let token = session["session_token"].as_str().unwrap().to_string();
        let engagement = session["engagement_id"].as_str().unwrap().to_string();
        let mut visitor = Visitor::connect(anon, engagement, token).await;
        visitor.next_frame("hello").await;
        visitor
    }

    /// Opens (again) the socket of an existing session, as a reloaded page does.
    pub async fn connect(anon: &crate::api::Api, engagement: String, token: String) -> Visitor {
        let ws = anon.base.replacen("http://", "ws://", 1);
        let url = format!("{ws}/v1/chat/session/socket?access_token={token}");
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the chat socket");
        Visitor {
            engagement,
            token,
            socket,
            frames: Vec::new(),
        }
    }

    /// Waits for the next frame of type `kind` (others are noted); panics after 10 s.
    pub async fn next_frame(&mut self, kind: &str) -> serde_json::Value {
        loop {
            let frame = self.next_any().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Sends `frame` as text.
    pub async fn send(&mut self, frame: serde_json::Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Text(
                frame.to_string().into(),
            ))
            .await
            .expect("the socket takes the frame");
    }

    /// Sends the page's SDP offer; the answer, or the `call_error` message.
    pub async fn offer(&mut self, sdp: &str) -> Result<String, String> {
        self.send(serde_json::json!({"type": "call_offer", "sdp": sdp}))
            .await;
        loop {
            let frame = self.next_any().await;
            match frame["type"].as_str() {
                Some("call_answer") => return Ok(frame["sdp"].as_str().unwrap().to_string()),
                Some("call_error") => return Err(frame["message"].as_str().unwrap().to_string()),
                _ => {}
            }
        }
    }

    async fn next_any(&mut self) -> serde_json::Value {
        use futures_util::StreamExt;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.socket.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => {
                    let frame: serde_json::Value = serde_json::from_str(&t).unwrap();
                    self.frames
                        .push(frame["type"].as_str().unwrap_or("").to_string());
                    return frame;
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("the chat socket: {other:?}; seen {:?}", self.frames),
            }
        }
    }

    /// A new softphone for the visitor, its offer answered on their socket; panics naming
    /// `what` when it is refused.
    pub async fn join(&mut self, what: &str) -> Peer {
        let (mut peer, offer) = Peer::new(CALLER);
        let answer = self
            .offer(&offer)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        peer.accept_answer(&answer).expect("the answer is accepted");
        peer
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The agent's (or a supervisor's) softphone for `call`, its offer answered on their agent
/// socket; panics naming `what` when it is refused.
pub async fn agent_joins(feed: &mut crate::api::Feed, call: &str, what: &str) -> Peer {
    let (mut peer, offer) = Peer::new(AGENT);
    let answer = feed
        .call_offer(call, &offer)
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    peer.accept_answer(&answer).expect("the answer is accepted");
    peer
}

/// Drives `peers` (sending from the `talking` ones) for `time`, off the async runtime's
/// worker (a multi-threaded runtime is needed).
pub fn talk(peers: &mut [&mut Peer], talking: &[bool], time: Duration) {
    tokio::task::block_in_place(|| run_for(peers, talking, time, |_| false));
}

/// The caller and the agent both talk for `time`; each must hear at least `at_least` more of
/// the other's frames on its Main line than before (`when` names the moment in the message).
pub fn hear_each_other(
    caller: &mut Peer,
    agent: &mut Peer,
    time: Duration,
    at_least: u64,
    when: &str,
) {
    let (from_agent, from_caller) = (
        caller.heard[0].by_tag[AGENT as usize],
        agent.heard[0].by_tag[CALLER as usize],
    );
    talk(&mut [caller, agent], &[true, true], time);
    assert!(
        caller.heard[0].by_tag[AGENT as usize] - from_agent >= at_least,
        "{when}: the caller hears the agent: {:?}",
        caller.heard[0]
    );
    assert!(
        agent.heard[0].by_tag[CALLER as usize] - from_caller >= at_least,
        "{when}: the agent hears the caller: {:?}",
        agent.heard[0]
    );
}

/// Drives `peers` until all are connected; panics after 10 s.
pub fn connect_all(peers: &mut [&mut Peer]) {
    let talking = vec![false; peers.len()];
    let connected = tokio::task::block_in_place(|| {
        run_for(peers, &talking, Duration::from_secs(10), |p| {
            p.iter().all(|p| p.is_connected())
        })
    });
    assert!(connected, "every peer connects within 10 s");
}
