//! Files (recordings, transcripts) behind one interface: the `object_store` crate, with a local
//! folder as the embedded default (`--data-dir`) and any S3-compatible store by URL
//! (`--blob-store-url s3://bucket/prefix`, built with the `s3` feature) in production.
//!
//! Uploads stream to the store in parts, never held whole in memory, and are cut off at the
//! size limit; downloads stream back, whole or one byte range. A file is always written
//! before the database row that points at it commits, so a row never names a missing file.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use std::ops::Range;
use std::sync::Arc;

/// What can go wrong with a file.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload is empty")]
    Empty,
    #[error("reading the upload failed: {0}")]
    Upload(String),
    #[error("the requested range is outside the file ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error("the file is missing from the blob store")]
    Missing,
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    #[error("blob store configuration: {0}")]
    Config(String),
}

/// A handle to the blob store. Cheap to clone.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

/// A file read back: its total size, the range sent, and the bytes.
pub struct Download {
    pub size: u64,
    pub range: Range<u64>,
    pub body: futures_util::stream::BoxStream<'static, Result<Bytes, object_store::Error>>,
}

impl Blobs {
    /// Files under `data_dir/blobs`, or in the store at `url` when given.
    pub fn open(data_dir: &std::path::Path, url: Option<&str>) -> Result<Blobs, BlobError> {
        match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => {
                let dir = data_dir.join("blobs");
                std::fs::create_dir_all(&dir).map_err(|e| {
                    BlobError::Config(format!("cannot create {}: {e}", dir.display()))
                })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(&dir)?;
                Ok(Blobs {
                    store: Arc::new(local),
                    prefix: Path::default(),
                })
            }
            Some(url) => {
                let parsed =
                    url::Url::parse(url).map_err(|e| BlobError::Config(format!("{url}: {e}")))?;
                let (store, prefix) = object_store::parse_url_opts(
                    &parsed,
                    std::env::vars().filter(|(k, _)| k.starts_with("AWS_")),
                )
                .map_err(|e| {
                    BlobError::Config(format!(
                        "{url}: {e} (S3 needs a server built with --features s3)"
                    ))
                })?;
                Ok(Blobs {
                    store: Arc::from(store),
                    prefix,
                })
            }
        }
    }

    fn path(&self, key: &str) -> Path {
        let mut path = self.prefix.clone();
        for part in key.split('/') {
            path = path.join(part);
        }
        path
    }

    /// Stream `body` into `key`, at most `limit` bytes; returns the size written. On any
    /// failure the partial upload is aborted and nothing is left behind.
    pub async fn put_stream<S, E>(&self, key: &str, body: S, limit: u64) -> Result<u64, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let upload = self.store.put_multipart(&self.path(key)).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut body = body;
        let mut size: u64 = 0;
        let result: Result<(), BlobError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| BlobError::Upload(e.to_string()))?;
                size += chunk.len() as u64;
                if size > limit {
                    return Err(BlobError::TooLarge { limit });
                }
                writer.wait_for_capacity(4).await?;
                writer.put(chunk);
            }
            if size == 0 {
                return Err(BlobError::Empty);
            }
            Ok(())
        }
        .await;
        match result {
            Ok(()) => {
                writer.finish().await?;
                Ok(size)
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// Write a small file whole.
    pub async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<u64, BlobError> {
        let size = bytes.len() as u64;
        self.store.put(&self.path(key), bytes.into()).await?;
        Ok(size)
    }

    /// Read `key`, whole or the byte range `range` (inclusive start, exclusive end; an end
    /// past the file is cut to its size).
    pub async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<Download, BlobError> {
        let path = self.path(key);
        let meta = match self.store.head(&path).await {
            Ok(m) => m,
            Err(object_store::Error::NotFound { .. }) => return Err(BlobError::Missing),
            Err(e) => return Err(e.into()),
        };
        let size = meta.size;
        let range = match range {
            None => 0..size,
            Some(r) => r
                .resolve(size)
                .ok_or(BlobError::RangeNotSatisfiable { size })?,
        };
        if range.is_empty() {
            return Ok(Download {
                size,
                range,
                body: futures_util::stream::empty().boxed(),
            });
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(range.clone())),
            ..GetOptions::default()
        };
        let result = self.store.get_opts(&path, options).await?;
        Ok(Download {
            size,
            range,
            body: result.into_stream(),
        })
    }

    pub async fn delete(&self, key: &str) {
        let _ = self.store.delete(&self.path(key)).await;
    }

    /// The keys under `prefix` (a folder, without the trailing `/`), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let base = self.prefix.as_ref().len();
        let mut keys: Vec<String> = self
            .store
            .list(Some(&self.path(prefix)))
            .map_ok(|meta| {
                let full = meta.location.as_ref();
                full[if base == 0 { 0 } else { base + 1 }..].to_string()
            })
            .try_collect()
            .await?;
        keys.sort();
        Ok(keys)
    }

    /// Writes the files `parts`, in order, as one file `key` (streamed, never whole in
    /// memory); returns its size. The parts stay: delete them once the file is recorded.
    pub async fn concat(&self, key: &str, parts: &[String]) -> Result<u64, BlobError> {
        let upload = self.store.put_multipart(&self.path(key)).await?;
        let mut writer = WriteMultipart::new(upload);
        let mut size: u64 = 0;
        let copied = async {
            for part in parts {
                let mut body = self.get(part, None).await?.body;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk?;
                    size += chunk.len() as u64;
                    writer.wait_for_capacity(4).await?;
                    writer.put(chunk);
                }
            }
            Ok::<(), BlobError>(())
        }
        .await;
        match copied {
            Ok(()) => {
                writer.finish().await?;
                Ok(size)
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }
}

/// One HTTP byte range (`Range: bytes=…`); several ranges are not supported (the whole file
/// is sent instead, which RFC 9110 allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=a-b` (inclusive) or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Parse a `Range` header (syntax by `http-range-header`, the parser tower-http's file
    /// service uses); `None` for anything but one well-formed byte range.
    pub fn parse(header: &str) -> Option<ByteRange> {
        use http_range_header::{EndPosition, StartPosition};
        let parsed = http_range_header::parse_range_header(header.trim()).ok()?;
        let [range] = parsed.ranges.as_slice() else {
            return None;
        };
        match (range.start, range.end) {
            (StartPosition::FromLast(n), _) => Some(ByteRange::Suffix(n)),
            (StartPosition::Index(start), EndPosition::LastByte) => {
                Some(ByteRange::From { start, end: None })
            }
            (StartPosition::Index(start), EndPosition::Index(end)) => {
                (end >= start).then_some(ByteRange::From {
                    start,
                    end: Some(end),
                })
            }
        }
    }

    /// The half-open range within a file of `size` bytes, or `None` if it is unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<Range<u64>> {
        match self {
            ByteRange::Suffix(n) if size > 0 => Some(size.saturating_sub(n)..size),
            ByteRange::Suffix(_) => None,
            ByteRange::From { start, .. } if start >= size => None,
            // `end` may be u64::MAX (`bytes=0-18446744073709551615`): saturate, never wrap.
            ByteRange::From { start, end } => {
                Some(start..end.map_or(size, |e| e.saturating_add(1).min(size)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(
            ByteRange::parse("bytes=0-99").unwrap().resolve(1000),
            Some(0..100)
        );
        assert_eq!(
            ByteRange::parse("bytes=900-").unwrap().resolve(1000),
            Some(900..1000)
        );
        assert_eq!(
            ByteRange::parse("bytes=-100").unwrap().resolve(1000),
            Some(900..1000)
        );
        assert_eq!(
            ByteRange::parse("bytes=-5000").unwrap().resolve(1000),
            Some(0..1000)
        );
        assert_eq!(
            ByteRange::parse("bytes=990-5000").unwrap().resolve(1000),
            Some(990..1000)
        );
        assert_eq!(ByteRange::parse("bytes=1000-").unwrap().resolve(1000), None);
        for bad in [
            "bytes=5-1",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,5-6",
            "bytes=-0",
            "bytes=-",
        ] {
            assert_eq!(ByteRange::parse(bad), None, "{bad}");
        }
    }

    fn header_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let bound = prop_oneof![
            Just(0u64),
            Just(1u64),
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just(i64::MAX as u64),
            0u64..2_000,
            any::<u64>(),
        ];
        prop_oneof![
            (bound.clone(), bound.clone()).prop_map(|(a, b)| format!("bytes={a}-{b}")),
            bound.clone().prop_map(|a| format!("bytes={a}-")),
            bound.clone().prop_map(|n| format!("bytes=-{n}")),
            (bound.clone(), bound.clone(), bound)
                .prop_map(|(a, b, c)| format!("bytes={a}-{b},{c}-")),
            Just("bytes=18446744073709551616-".to_string()),
            Just("bytes=-18446744073709551616".to_string()),
            "[ -~]{0,30}",
        ]
    }

    proptest::proptest! {
        /// Whatever the header, a range either is refused (416 / whole file) or names a
        /// non-empty slice inside the file: huge, reversed, multiple and suffix ranges alike.
        #[test]
        fn resolved_ranges_stay_inside_the_file(header in header_strategy(), size in proptest::prop_oneof![proptest::strategy::Just(0u64), 0u64..5_000, proptest::prelude::any::<u64>()]) {
            if let Some(range) = ByteRange::parse(&header) {
                if let Some(r) = range.resolve(size) {
                    proptest::prop_assert!(r.start < r.end, "{header} on {size}: {r:?}");
                    proptest::prop_assert!(r.end <= size, "{header} on {size}: {r:?}");
                    if let ByteRange::From { start, end } = range {
                        proptest::prop_assert_eq!(r.start, start);
                        if let Some(end) = end {
                            proptest::prop_assert_eq!(r.end - 1, end.min(size - 1));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_largest_end_is_the_file_end() {
        assert_eq!(
            ByteRange::parse("bytes=0-18446744073709551615")
                .unwrap()
                .resolve(798),
            Some(0..798)
        );
        assert_eq!(
            ByteRange::parse("bytes=5-18446744073709551615")
                .unwrap()
                .resolve(798),
            Some(5..798)
        );
        assert_eq!(ByteRange::parse("bytes=18446744073709551616-"), None);
    }

    #[tokio::test]
    async fn files_stream_in_and_out_with_ranges_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path(), None).unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let chunks: Vec<Result<Bytes, std::io::Error>> = data
            .chunks(7000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let size = blobs
            .put_stream("rec/a.wav", futures_util::stream::iter(chunks), 1_000_000)
            .await
            .unwrap();
        assert_eq!(size, 200_000);
        let read = |d: Download| async move {
            let parts: Vec<Bytes> = d.body.map(|b| b.unwrap()).collect().await;
            parts.concat()
        };
        let whole = blobs.get("rec/a.wav", None).await.unwrap();
        assert_eq!(whole.size, 200_000);
        assert_eq!(read(whole).await, data);
        let part = blobs
            .get("rec/a.wav", ByteRange::parse("bytes=100-199"))
            .await
            .unwrap();
        assert_eq!(part.range, 100..200);
        assert_eq!(read(part).await, data[100..200].to_vec());

        let too_big: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from(vec![0u8; 600]))];
        assert!(matches!(
            blobs
                .put_stream("rec/b.wav", futures_util::stream::iter(too_big), 500)
                .await,
            Err(BlobError::TooLarge { limit: 500 })
        ));
        assert!(matches!(
            blobs.get("rec/b.wav", None).await,
            Err(BlobError::Missing)
        ));
        assert!(matches!(
            blobs
                .get("rec/a.wav", ByteRange::parse("bytes=300000-"))
                .await,
            Err(BlobError::RangeNotSatisfiable { size: 200_000 })
        ));
    }
}
