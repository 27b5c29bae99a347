//! A hostile HTTP/1.1 server on raw TCP (loopback only): it reads each request as a real
//! server would, then answers however the test says, bytes and timing included, which no
//! well-behaved HTTP library would let it do.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A request as the hostile server read it.
pub(super) struct Request {
    /// The value of the `api_key` header, if any.
    pub(super) key: Option<String>,
    /// The request target, e.g. `/v1/auth/sessionlink-v2`.
    pub(super) path: String,
    /// The body as received.
    pub(super) body: Vec<u8>,
}

/// What the connection does after an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Then {
    /// Read the next request on the same connection.
    KeepAlive,
    Close,
    /// Close with a TCP reset instead of an orderly FIN.
    Reset,
}

type Behaviour = dyn Fn(&mut TcpStream, &Request) -> Then + Send + Sync;

/// A running hostile server; it serves until the test process exits.
pub(super) struct Hostile {
    pub(super) addr: SocketAddr,
    /// Requests read so far.
    pub(super) requests: Arc<AtomicU64>,
    /// Requests that carried the `api_key` header.
    pub(super) with_key: Arc<AtomicU64>,
}

impl Hostile {
    pub(super) fn start(
        behaviour: impl Fn(&mut TcpStream, &Request) -> Then + Send + Sync + 'static,
    ) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(AtomicU64::new(0));
        let with_key = Arc::new(AtomicU64::new(0));
        let behaviour: Arc<Behaviour> = Arc::new(behaviour);
        let (counted, keyed) = (requests.clone(), with_key.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (behaviour, counted, keyed) =
                    (behaviour.clone(), counted.clone(), keyed.clone());
                std::thread::spawn(move || serve(stream, &*behaviour, &counted, &keyed));
            }
        });
        Hostile {
            addr,
            requests,
            with_key,
        }
    }

    /// `http://ADDR/v1`, the base URL specgate is pointed at.
    pub(super) fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

fn serve(mut stream: TcpStream, behaviour: &Behaviour, counted: &AtomicU64, keyed: &AtomicU64) {
    // A client that vanishes must not pin this thread for ever.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_nodelay(true);
    while let Some(request) = read_request(&mut stream) {
        counted.fetch_add(1, Ordering::Relaxed);
        if request.key.is_some() {
            keyed.fetch_add(1, Ordering::Relaxed);
        }
        match behaviour(&mut stream, &request) {
            Then::KeepAlive => continue,
            Then::Close => break,
            Then::Reset => return linger_zero(&stream),
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// One request: head up to the blank line, then `Content-Length` bytes of body.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 4096];
    let end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut byte).ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&byte[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut byte).ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&byte[..read]);
    }
    let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
    Some(Request {
        key: header("api_key"),
        path,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A complete response with `Content-Length`.
pub(super) fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// Write `bytes` until the client goes away.
pub(super) fn write_for_ever(stream: &mut TcpStream, bytes: &[u8], pause: Duration) {
    while stream.write_all(bytes).is_ok() {
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// Hold the connection, saying nothing, until the client goes away.
pub(super) fn wait_for_hangup(stream: &mut TcpStream) {
    let mut byte = [0u8; 64];
    while matches!(stream.read(&mut byte), Ok(n) if n > 0) {}
}

/// `SO_LINGER` with a zero timeout, so that closing sends RST.
fn linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket descriptor and a correctly sized `linger` value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}
