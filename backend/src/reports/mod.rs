//! Reports' pure core: the projection of the event log into report rows and 15-minute
//! buckets ([`projection`]), the figures computed from buckets ([`figures`]), local-time
//! intervals ([`intervals`]) and the CSV form of a row ([`csv`]). No I/O: the projector and
//! the API (`service::reports`) load and store; tests and the benchmark drive this directly.

pub mod csv;
pub mod figures;
pub mod intervals;
pub mod projection;
