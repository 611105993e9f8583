//! The media loop: one UDP socket and one thread carry every leg of every call (and the
//! packets of legs connected over ICE-TCP, which [`super::tcp`] reads and writes for it).
//!
//! str0m is sans-IO, so this loop owns the I/O: it reads a datagram, hands it to the leg
//! whose ICE credentials or address accept it, lets that leg's `Rtc` produce what it must
//! send and the media it received, and forwards the media by the rules in [`super::relay`].
//! Between datagrams it drives the legs' timers, the hold music (one packet per 20 ms) and the
//! recorders (written [`super::recording::LATENESS`] behind, flushed every second).
//!
//! The server is ICE-lite: browsers run the connectivity checks against the host candidates it
//! advertises (`--media-public-ip` or the bound address: UDP, and TCP passive on the same
//! port), so the answer is complete when it is sent and no candidates trickle back.

use super::hold::HoldAudio;
use super::recording::Recorder;
use super::relay::{self, Mixing, Party, Slot};
use super::tcp::TcpEvent;
use super::{CallId, Command, MediaError, MediaEvent, Stats};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{SocketAddr, UdpSocket};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::{Duration, Instant, SystemTime};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaData, MediaTime, Mid};
use str0m::net::{Protocol, Receive, TcpType};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::sync::mpsc::UnboundedSender;

/// The longest the loop sleeps, so commands are picked up promptly.
const IDLE: Duration = Duration::from_millis(10);
const TICK: Duration = Duration::from_millis(20);
const FLUSH: Duration = Duration::from_secs(1);
/// The hold music's packets come from this "sender" (legs are numbered from 1).
const HOLD_SOURCE: u64 = 0;

/// Maps one sender's RTP times onto a leg's outgoing stream, so a change of sender (hold
/// music, a transferred agent, a reloaded caller) continues the stream's clock instead of
/// jumping it.
#[derive(Default)]
struct OutClock {
    source: Option<u64>,
    offset: i64,
    last: Option<u64>,
}

impl OutClock {
    fn map(&mut self, source: u64, time: u64) -> u64 {
        if self.source != Some(source) {
            self.source = Some(source);
            self.offset = match self.last {
                Some(last) => (last + 960) as i64 - time as i64,
                None => 0,
            };
        }
        let out = (time as i64 + self.offset).max(0) as u64;
        self.last = Some(out);
        out
    }
}

struct Leg {
    call: CallId,
    party: Party,
    rtc: Rtc,
    /// The leg's audio m-lines in offer order: `[Main, Extra]`.
    mids: Vec<Mid>,
    out: [OutClock; 2],
    connected: bool,
    next_timeout: Instant,
}

struct Recording {
    recorder: Recorder,
    started: Instant,
    last_flush: Instant,
}

struct Call {
    record: bool,
    parties: BTreeMap<Party, u64>,
    mixing: Mixing,
    recording: Option<Recording>,
    hold_tick: u64,
    next_hold: Option<Instant>,
}

/// The ICE-TCP side of the media port.
pub(super) struct Tcp {
    /// What the connections report.
    pub inbox: Receiver<TcpEvent>,
    /// The listener's address, and the one advertised for it.
    pub local: SocketAddr,
    pub advertised: SocketAddr,
    /// Each open connection's outgoing queue, by peer address.
    pub out: HashMap<SocketAddr, SyncSender<Vec<u8>>>,
}

pub(super) struct Engine {
    socket: UdpSocket,
    tcp: Option<Tcp>,
    local: SocketAddr,
    advertised: SocketAddr,
    commands: Receiver<Command>,
    events: UnboundedSender<MediaEvent>,
    legs: HashMap<u64, Leg>,
    by_addr: HashMap<SocketAddr, u64>,
    calls: HashMap<CallId, Call>,
    next_leg: u64,
    hold: HoldAudio,
    /// Media received on some leg, waiting to be forwarded.
    inbox: VecDeque<(u64, MediaData)>,
    stats: Stats,
    relay_delay: Option<prometheus_client::metrics::histogram::Histogram>,
}

impl Engine {
    pub(super) fn new(
        socket: UdpSocket,
        tcp: Option<Tcp>,
        advertised: SocketAddr,
        commands: Receiver<Command>,
        events: UnboundedSender<MediaEvent>,
        relay_delay: Option<prometheus_client::metrics::histogram::Histogram>,
    ) -> std::io::Result<Engine> {
        let local = socket.local_addr()?;
        Ok(Engine {
            socket,
            tcp,
            local,
            advertised,
            commands,
            events,
            legs: HashMap::new(),
            by_addr: HashMap::new(),
            calls: HashMap::new(),
            next_leg: 1,
            hold: HoldAudio::built_in(),
            inbox: VecDeque::new(),
            stats: Stats::default(),
            relay_delay,
        })
    }

    /// Runs until told to stop or until every handle is dropped.
    pub(super) fn run(mut self) {
        let mut buf = vec![0u8; 2000];
        loop {
            if !self.take_commands() {
                break;
            }
            let now = Instant::now();
            self.on_timers(now);
            let wait = self
                .next_wake(now)
                .saturating_duration_since(Instant::now());
            let _ = self
                .socket
                .set_read_timeout(Some(wait.clamp(Duration::from_micros(500), IDLE)));
            let received = self.socket.recv_from(&mut buf);
            self.take_tcp();
            match received {
                Ok((n, source)) => {
                    let local = self.local;
                    self.on_packet(Instant::now(), Protocol::Udp, source, local, &buf[..n])
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                // ICMP "port unreachable" from a peer that went away surfaces here on Linux.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(e) => {
                    tracing::error!(error = %e, "media socket failed; web calls stop");
                    break;
                }
            }
        }
        for call in self.calls.keys().copied().collect::<Vec<_>>() {
            self.end_call(call);
        }
    }

    /// Applies queued commands; false when the engine should stop.
    fn take_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => return false,
                Ok(command) => self.on_command(command),
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Record { call, on } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.record = on;
                }
                self.start_recording_if_answered(call, Instant::now());
            }
            Command::Open { call } => {
                self.calls.entry(call).or_insert_with(|| Call {
                    record: false,
                    parties: BTreeMap::new(),
                    mixing: Mixing::default(),
                    recording: None,
                    hold_tick: 0,
                    next_hold: None,
                });
            }
            Command::Offer {
                call,
                party,
                sdp,
                reply,
            } => {
                let _ = reply.send(self.accept_offer(call, party, &sdp));
            }
            Command::Hold { call, on } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.mixing.hold = on;
                }
            }
            Command::Monitor {
                call,
                supervisor,
                mode,
            } => {
                if let Some(c) = self.calls.get_mut(&call) {
                    c.mixing.supervisors.retain(|(s, _)| *s != supervisor);
                    if let Some(mode) = mode {
                        c.mixing.supervisors.push((supervisor, mode));
                    } else if let Some(leg) = c.parties.remove(&Party::Supervisor(supervisor)) {
                        self.close_leg(leg);
                    }
                }
            }
            Command::Leave { call, party } => {
                let leg = self
                    .calls
                    .get_mut(&call)
                    .and_then(|c| c.parties.remove(&party));
                if let Some(leg) = leg {
                    self.close_leg(leg);
                }
            }
            Command::End { call } => self.end_call(call),
            Command::Stats { reply } => {
                let mut stats = self.stats;
                stats.calls = self.calls.len() as u64;
                stats.legs = self.legs.len() as u64;
                let _ = reply.send(stats);
            }
            Command::Stop => {}
        }
    }

    fn accept_offer(
        &mut self,
        call: CallId,
        party: Party,
        sdp: &str,
    ) -> Result<String, MediaError> {
        if !self.calls.contains_key(&call) {
            return Err(MediaError::NoCall);
        }
        let offer =
            SdpOffer::from_sdp_string(sdp).map_err(|e| MediaError::BadOffer(e.to_string()))?;
        let now = Instant::now();
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .clear_codecs()
            .enable_opus(true, false)
            .build(now);
        let candidate = Candidate::host(self.advertised, "udp")
            .map_err(|e| MediaError::BadOffer(format!("candidate: {e}")))?;
        rtc.add_local_candidate(candidate);
        if let Some(tcp) = &self.tcp {
            let candidate = Candidate::builder()
                .tcp()
                .host(tcp.advertised)
                .tcptype(TcpType::Passive)
                .build()
                .map_err(|e| MediaError::BadOffer(format!("candidate: {e}")))?;
            rtc.add_local_candidate(candidate);
        }
        let answer = rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| MediaError::BadOffer(e.to_string()))?;
        let mids = audio_mids(sdp);
        if mids.is_empty() {
            return Err(MediaError::BadOffer("the offer has no audio".into()));
        }
        let id = self.next_leg;
        self.next_leg += 1;
        self.legs.insert(
            id,
            Leg {
                call,
                party,
                rtc,
                mids,
                out: Default::default(),
                connected: false,
                next_timeout: now,
            },
        );
        // A party that offers again (a reloaded page, a new device) replaces its old leg.
        let replaced = self
            .calls
            .get_mut(&call)
            .and_then(|c| c.parties.insert(party, id));
        if let Some(old) = replaced {
            self.close_leg(old);
        }
        self.drain(id, now);
        Ok(answer.to_sdp_string())
    }

    /// What the TCP connections reported since the last look.
    fn take_tcp(&mut self) {
        loop {
            let Some(tcp) = self.tcp.as_mut() else {
                return;
            };
            let event = match tcp.inbox.try_recv() {
                Ok(event) => event,
                Err(_) => return,
            };
            match event {
                TcpEvent::Opened { peer, out } => {
                    tcp.out.insert(peer, out);
                }
                TcpEvent::Closed { peer } => {
                    tcp.out.remove(&peer);
                }
                TcpEvent::Packet { peer, bytes } => {
                    let local = tcp.local;
                    self.on_packet(Instant::now(), Protocol::Tcp, peer, local, &bytes);
                }
            }
        }
    }

    /// One packet from `source` (a UDP datagram, or one frame of a TCP connection).
    fn on_packet(
        &mut self,
        now: Instant,
        proto: Protocol,
        source: SocketAddr,
        destination: SocketAddr,
        bytes: &[u8],
    ) {
        self.stats.datagrams_in += 1;
        // A socket bound to loopback talks to loopback peers only: a browser on the same host
        // also checks from its other interfaces' addresses (they arrive here too), and those
        // pairs must not win, so the media never leaves loopback (what tests assert).
        if self.local.ip().is_loopback() && !source.ip().is_loopback() {
            self.stats.datagrams_unknown += 1;
            return;
        }
        let Ok(contents) = bytes.try_into() else {
            return;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto,
                source,
                destination,
                contents,
            },
        );
        let known = self
            .by_addr
            .get(&source)
            .copied()
            .filter(|id| self.legs.get(id).is_some_and(|l| l.rtc.accepts(&input)));
        let leg = known.or_else(|| {
            self.legs
                .iter()
                .find(|(_, l)| l.rtc.accepts(&input))
                .map(|(id, _)| *id)
        });
        let Some(id) = leg else {
            self.stats.datagrams_unknown += 1;
            return;
        };
        self.by_addr.insert(source, id);
        if let Some(l) = self.legs.get_mut(&id) {
            if let Err(e) = l.rtc.handle_input(input) {
                tracing::debug!(error = %e, "media leg failed");
                l.rtc.disconnect();
            }
        }
        self.drain(id, now);
        self.forward_inbox(now);
    }

    /// Everything a leg has to say: datagrams go out, media waits in the inbox.
    fn drain(&mut self, id: u64, now: Instant) {
        loop {
            let Some(leg) = self.legs.get_mut(&id) else {
                return;
            };
            if !leg.rtc.is_alive() {
                leg.next_timeout = now;
                return;
            }
            let output = match leg.rtc.poll_output() {
                Ok(output) => output,
                Err(e) => {
                    tracing::debug!(error = %e, "media leg failed");
                    leg.rtc.disconnect();
                    continue;
                }
            };
            match output {
                Output::Timeout(t) => {
                    leg.next_timeout = t;
                    return;
                }
                Output::Transmit(t) => {
                    self.stats.datagrams_out += 1;
                    if t.proto == Protocol::Tcp {
                        // A full queue drops the packet, as a congested UDP path would.
                        let out = self
                            .tcp
                            .as_ref()
                            .and_then(|tcp| tcp.out.get(&t.destination));
                        if let Some(out) = out {
                            let _ = out.try_send(t.contents.to_vec());
                        }
                    } else {
                        let _ = self.socket.send_to(&t.contents, t.destination);
                    }
                }
                Output::Event(Event::Connected) => {
                    leg.connected = true;
                    let (call, party) = (leg.call, leg.party);
                    if party == Party::Agent {
                        if let Some(c) = self.calls.get_mut(&call) {
                            c.mixing.awaiting_agent = false;
                        }
                    }
                    let _ = self.events.send(MediaEvent::Connected { call, party });
                    self.start_recording_if_answered(call, now);
                }
                Output::Event(Event::IceConnectionStateChange(
                    IceConnectionState::Disconnected,
                )) => {
                    leg.rtc.disconnect();
                }
                Output::Event(Event::MediaData(data)) => self.inbox.push_back((id, data)),
                Output::Event(_) => {}
            }
        }
    }

    fn start_recording_if_answered(&mut self, call: CallId, now: Instant) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        let connected = |p: Party| {
            c.parties
                .get(&p)
                .and_then(|id| self.legs.get(id))
                .is_some_and(|l| l.connected)
        };
        if !c.record
            || c.recording.is_some()
            || !connected(Party::Caller)
            || !connected(Party::Agent)
        {
            return;
        }
        let mut recorder = Recorder::new(rand::random());
        let header = recorder.take();
        c.recording = Some(Recording {
            recorder,
            started: now,
            last_flush: now,
        });
        let _ = self.events.send(MediaEvent::RecordingStarted {
            call,
            at: SystemTime::now(),
            bytes: header,
        });
    }

    fn forward_inbox(&mut self, now: Instant) {
        while let Some((from, data)) = self.inbox.pop_front() {
            self.forward(from, data, now);
        }
    }

    fn forward(&mut self, from: u64, data: MediaData, now: Instant) {
        let Some(leg) = self.legs.get(&from) else {
            return;
        };
        // Only the Main line carries the leg's own voice.
        if leg.mids.first() != Some(&data.mid) {
            return;
        }
        self.stats.packets_in += 1;
        let (call_id, party) = (leg.call, leg.party);
        let Some(call) = self.calls.get_mut(&call_id) else {
            return;
        };
        let rtp = data.time.rebase(Frequency::FORTY_EIGHT_KHZ).numer();
        let (routes, channel) = relay::routes(&call.mixing, party);
        if let (Some(channel), Some(rec)) = (channel, call.recording.as_mut()) {
            let at = samples_since(rec.started, now);
            rec.recorder.push(channel, from, at, rtp, &data.data);
        }
        let targets: Vec<(u64, Slot)> = routes
            .into_iter()
            .filter_map(|(p, slot)| call.parties.get(&p).map(|id| (*id, slot)))
            .collect();
        for (to, slot) in targets {
            self.write(to, slot, from, rtp, &data.data, now);
        }
        if let Some(histogram) = &self.relay_delay {
            histogram.observe(data.network_time.elapsed().as_secs_f64());
        }
    }

    /// Sends one Opus packet on a leg's m-line.
    fn write(&mut self, to: u64, slot: Slot, source: u64, rtp: u64, payload: &[u8], now: Instant) {
        let Some(leg) = self.legs.get_mut(&to) else {
            return;
        };
        let index = match slot {
            Slot::Main => 0,
            Slot::Extra => 1,
        };
        let Some(&mid) = leg.mids.get(index) else {
            return;
        };
        if !leg.connected {
            return;
        }
        let time = leg.out[index].map(source, rtp);
        let Some(writer) = leg.rtc.writer(mid) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::Opus)
            .map(|p| p.pt())
        else {
            return;
        };
        let time = MediaTime::new(time, Frequency::FORTY_EIGHT_KHZ);
        if writer.write(pt, now, time, payload.to_vec()).is_ok() {
            self.stats.packets_out += 1;
        }
        self.drain(to, now);
    }

    fn on_timers(&mut self, now: Instant) {
        let due: Vec<u64> = self
            .legs
            .iter()
            .filter(|(_, l)| l.next_timeout <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            if let Some(l) = self.legs.get_mut(&id) {
                if l.rtc.is_alive() {
                    let _ = l.rtc.handle_input(Input::Timeout(now));
                }
            }
            self.drain(id, now);
        }
        self.forward_inbox(now);
        self.sweep_dead_legs();
        self.play_hold_music(now);
        self.advance_recordings(now);
    }

    fn play_hold_music(&mut self, now: Instant) {
        let mut sends = Vec::new();
        for call in self.calls.values_mut() {
            if !relay::hears_hold_audio(&call.mixing) {
                call.next_hold = None;
                continue;
            }
            let next = call.next_hold.get_or_insert(now);
            while *next <= now {
                if let Some(&caller) = call.parties.get(&Party::Caller) {
                    let rtp = call.hold_tick * 960;
                    sends.push((caller, rtp, self.hold.packet(call.hold_tick).to_vec()));
                }
                call.hold_tick += 1;
                *next += TICK;
            }
        }
        for (to, rtp, packet) in sends {
            self.write(to, Slot::Main, HOLD_SOURCE, rtp, &packet, now);
        }
    }

    fn advance_recordings(&mut self, now: Instant) {
        for (call, c) in self.calls.iter_mut() {
            let Some(rec) = c.recording.as_mut() else {
                continue;
            };
            rec.recorder.advance(samples_since(rec.started, now));
            if now.duration_since(rec.last_flush) >= FLUSH {
                rec.last_flush = now;
                let bytes = rec.recorder.take();
                if !bytes.is_empty() {
                    let _ = self
                        .events
                        .send(MediaEvent::RecordingData { call: *call, bytes });
                }
            }
        }
    }

    fn sweep_dead_legs(&mut self) {
        let dead: Vec<u64> = self
            .legs
            .iter()
            .filter(|(_, l)| !l.rtc.is_alive())
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            if let Some(leg) = self.legs.get(&id) {
                let (call, party) = (leg.call, leg.party);
                if let Some(c) = self.calls.get_mut(&call) {
                    if c.parties.get(&party) == Some(&id) {
                        c.parties.remove(&party);
                        let _ = self.events.send(MediaEvent::Disconnected { call, party });
                    }
                }
            }
            self.remove_leg(id);
        }
    }

    fn close_leg(&mut self, id: u64) {
        if let Some(leg) = self.legs.get_mut(&id) {
            leg.rtc.disconnect();
        }
        self.remove_leg(id);
    }

    fn remove_leg(&mut self, id: u64) {
        if let Some(leg) = self.legs.remove(&id) {
            // A connected agent who goes (a transfer, a closed widget) leaves the caller
            // waiting for the next one, with hold music.
            if leg.party == Party::Agent && leg.connected {
                if let Some(c) = self.calls.get_mut(&leg.call) {
                    if !c.parties.contains_key(&Party::Agent) {
                        c.mixing.awaiting_agent = true;
                    }
                }
            }
        }
        self.by_addr.retain(|_, leg| *leg != id);
    }

    fn end_call(&mut self, call: CallId) {
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        for leg in c.parties.values() {
            self.close_leg(*leg);
        }
        if let Some(rec) = c.recording {
            let seconds = Instant::now().duration_since(rec.started);
            let (bytes, counts) = rec
                .recorder
                .finish(samples_since(rec.started, Instant::now()));
            let _ = self.events.send(MediaEvent::RecordingEnded {
                call,
                bytes,
                duration: seconds,
                counts,
            });
        }
    }

    fn next_wake(&self, now: Instant) -> Instant {
        let mut wake = now + IDLE;
        for leg in self.legs.values() {
            wake = wake.min(leg.next_timeout);
        }
        for call in self.calls.values() {
            if let Some(next) = call.next_hold {
                wake = wake.min(next);
            }
        }
        wake
    }
}

/// The mids of the offer's audio m-lines that are not rejected (port 0), in order: the first
/// is the leg's Main line, the second its Extra line.
fn audio_mids(sdp: &str) -> Vec<Mid> {
    let mut mids = Vec::new();
    let mut audio = false;
    for line in sdp.lines() {
        if let Some(m) = line.strip_prefix("m=") {
            let mut parts = m.split_whitespace();
            audio = parts.next() == Some("audio") && parts.next() != Some("0");
        } else if let Some(mid) = line.strip_prefix("a=mid:") {
            if audio {
                mids.push(Mid::from(mid.trim()));
            }
        }
    }
    mids
}

/// 48 kHz samples from `start` to `now`.
fn samples_since(start: Instant, now: Instant) -> u64 {
    (now.saturating_duration_since(start).as_micros() as u64 * 48) / 1000
}
