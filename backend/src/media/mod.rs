//! Web calls carried by Switchboard itself.
//!
//! Every party — the visitor, the agent, a supervisor — holds one WebRTC peer connection to
//! the server, never to each other. The server terminates each leg with str0m (sans-IO, one
//! UDP socket, one thread: [`engine`]), relays Opus between them without decoding it
//! ([`relay`] says who hears whom), plays hold music from pre-encoded packets ([`hold`]) and
//! records both parties into one two-channel Ogg/Opus file as the call runs ([`recording`],
//! [`opus`]). Signalling (offer/answer) reaches it through [`Media`], a cheap handle the
//! service layer holds; what happens on the wire comes back as [`MediaEvent`]s.

pub mod engine;
pub mod hold;
pub mod opus;
pub mod recording;
pub mod relay;
pub mod tcp;

pub use relay::{Monitor, Party};

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc as async_mpsc, oneshot};

/// A call is keyed by its engagement.
pub type CallId = uuid::Uuid;

/// Where the media socket listens and what address browsers are told to send to.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The UDP address the media socket binds.
    pub listen: SocketAddr,
    /// The address put in the server's ICE candidate when the bound one is not reachable by
    /// browsers (behind NAT, or bound to all interfaces).
    pub public_ip: Option<IpAddr>,
    /// Where each relayed packet's delay (arrival to sent on) is recorded, if anywhere.
    pub relay_delay: Option<prometheus_client::metrics::histogram::Histogram>,
}

/// Why a leg could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("no call is in progress for this engagement")]
    NoCall,
    #[error("the SDP offer was not accepted: {0}")]
    BadOffer(String),
    #[error("the media engine has stopped")]
    Stopped,
    #[error("cannot open the media socket on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--media-public-ip is needed when the media socket listens on {0} (all interfaces): browsers must be told one address")]
    NoAddress(SocketAddr),
}

/// What the engine is asked to do.
pub(crate) enum Command {
    Open {
        call: CallId,
    },
    Record {
        call: CallId,
        on: bool,
    },
    Offer {
        call: CallId,
        party: Party,
        sdp: String,
        reply: oneshot::Sender<Result<String, MediaError>>,
    },
    Hold {
        call: CallId,
        on: bool,
    },
    Monitor {
        call: CallId,
        supervisor: u64,
        mode: Option<Monitor>,
    },
    Leave {
        call: CallId,
        party: Party,
    },
    End {
        call: CallId,
    },
    Stats {
        reply: oneshot::Sender<Stats>,
    },
    Stop,
}

/// What happened on the wire.
#[derive(Debug)]
pub enum MediaEvent {
    /// A leg's ICE and DTLS are up: audio can flow.
    Connected { call: CallId, party: Party },
    /// A leg is gone (the browser closed, its network dropped, or it was replaced).
    Disconnected { call: CallId, party: Party },
    /// Caller and agent were both connected: the recording starts with these header bytes.
    RecordingStarted {
        call: CallId,
        at: SystemTime,
        bytes: Vec<u8>,
    },
    /// The next finished pages of a call's recording (about a second's worth).
    RecordingData { call: CallId, bytes: Vec<u8> },
    /// The call ended: the last pages, and how long the recording is.
    RecordingEnded {
        call: CallId,
        bytes: Vec<u8>,
        duration: Duration,
        counts: recording::Counts,
    },
}

/// Counters since the engine started (and the current calls and legs).
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub calls: u64,
    pub legs: u64,
    pub datagrams_in: u64,
    pub datagrams_out: u64,
    /// Datagrams no leg accepted (stray or late traffic).
    pub datagrams_unknown: u64,
    /// Audio packets received on a leg's main line.
    pub packets_in: u64,
    /// Audio packets sent to legs (relayed and hold music).
    pub packets_out: u64,
}

/// The handle the rest of the server holds. Cheap to clone; the engine stops when the last
/// handle is dropped or [`Media::stop`] is called.
#[derive(Clone)]
pub struct Media {
    commands: mpsc::Sender<Command>,
    advertised: SocketAddr,
}

/// The ICE-TCP listener on the UDP socket's address (`local`; advertised with `ip`), or none
/// if that TCP port is taken (web calls then work over UDP only, said in the log).
fn ice_tcp(local: SocketAddr, ip: IpAddr) -> Option<engine::Tcp> {
    let listener = match std::net::TcpListener::bind(local) {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(%local, error = %e, "no ICE-TCP: the media port is taken for TCP");
            return None;
        }
    };
    let (events, inbox) = mpsc::channel();
    tcp::serve(listener, events).ok()?;
    Some(engine::Tcp {
        inbox,
        local,
        advertised: SocketAddr::new(ip, local.port()),
        out: Default::default(),
    })
}

impl Media {
    /// Binds the socket and starts the engine on its own thread ("media").
    pub fn start(
        config: &MediaConfig,
    ) -> Result<(Media, async_mpsc::UnboundedReceiver<MediaEvent>), MediaError> {
        let bind = |source| MediaError::Bind {
            addr: config.listen,
            source,
        };
        let socket = UdpSocket::bind(config.listen).map_err(bind)?;
        let local = socket.local_addr().map_err(bind)?;
        let ip = match config.public_ip {
            Some(ip) => ip,
            None if local.ip().is_unspecified() => return Err(MediaError::NoAddress(local)),
            None => local.ip(),
        };
        let advertised = SocketAddr::new(ip, local.port());
        let tcp = ice_tcp(local, ip);
        let tcp_port = tcp.as_ref().map(|t| t.local.port());
        let (commands, inbox) = mpsc::channel();
        let (events, events_rx) = async_mpsc::unbounded_channel();
        let engine = engine::Engine::new(
            socket,
            tcp,
            advertised,
            inbox,
            events,
            config.relay_delay.clone(),
        )
        .map_err(bind)?;
        std::thread::Builder::new()
            .name("media".into())
            .spawn(move || engine.run())
            .map_err(bind)?;
        match tcp_port {
            Some(port) => {
                tracing::info!(%local, %advertised, tcp_port = port, "media socket ready (UDP, and TCP on the same port)")
            }
            None => tracing::info!(%local, %advertised, "media socket ready (UDP)"),
        }
        Ok((
            Media {
                commands,
                advertised,
            },
            events_rx,
        ))
    }

    /// The address in the server's ICE candidate.
    pub fn advertised(&self) -> SocketAddr {
        self.advertised
    }

    /// Makes room for a call's legs (nothing changes if it is open already).
    pub fn open(&self, call: CallId) {
        let _ = self.commands.send(Command::Open { call });
    }

    /// Whether the call is recorded: once on, recording starts when caller and agent are both
    /// connected (and goes on until the call ends).
    pub fn record(&self, call: CallId, on: bool) {
        let _ = self.commands.send(Command::Record { call, on });
    }

    /// Sets up (or replaces) a party's leg from the browser's SDP offer; returns the answer.
    pub async fn offer(
        &self,
        call: CallId,
        party: Party,
        sdp: String,
    ) -> Result<String, MediaError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Offer {
                call,
                party,
                sdp,
                reply,
            })
            .map_err(|_| MediaError::Stopped)?;
        answer.await.map_err(|_| MediaError::Stopped)?
    }

    /// Holds or resumes: on hold the caller hears music and the parties nothing of each other.
    pub fn hold(&self, call: CallId, on: bool) {
        let _ = self.commands.send(Command::Hold { call, on });
    }

    /// Adds a supervisor's mode (their leg comes by [`Media::offer`]), changes it, or (None)
    /// removes them.
    pub fn monitor(&self, call: CallId, supervisor: u64, mode: Option<Monitor>) {
        let _ = self.commands.send(Command::Monitor {
            call,
            supervisor,
            mode,
        });
    }

    /// Drops one party's leg (an agent transferred away); the call goes on.
    pub fn leave(&self, call: CallId, party: Party) {
        let _ = self.commands.send(Command::Leave { call, party });
    }

    /// Ends the call: every leg closes and the recording is finished.
    pub fn end(&self, call: CallId) {
        let _ = self.commands.send(Command::End { call });
    }

    pub async fn stats(&self) -> Result<Stats, MediaError> {
        let (reply, stats) = oneshot::channel();
        self.commands
            .send(Command::Stats { reply })
            .map_err(|_| MediaError::Stopped)?;
        stats.await.map_err(|_| MediaError::Stopped)
    }

    /// Stops the engine; calls in progress end (their recordings are finished).
    pub fn stop(&self) {
        let _ = self.commands.send(Command::Stop);
    }
}
