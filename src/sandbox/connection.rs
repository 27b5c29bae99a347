//! The `close-after-5xx` fault, committed at the connection level: after answering a 5xx,
//! the server closes the connection without saying so (no `Connection: close`), as uvicorn
//! does. The close reaches the client only once it has sent its next request on that
//! connection, the race a keep-alive client loses against such a server; here it loses it
//! every time, so a test of the client's connection discipline is deterministic.
//!
//! [`ClosingListener`] wraps any listener (plain or TLS); each connection it accepts carries
//! a flag ([`Doomed`]) that [`mark_server_errors`] raises when the router answers 5xx.
//! Nothing here judges a request: it only watches statuses go by.
//!
//! The `body-on-no-content` fault lives here too, since a server framework will not send
//! it: after the head of each 204 it writes, the connection sends [`BODY_ON_NO_CONTENT`],
//! bytes HTTP forbids there, which a kept-alive client reads as its next response.

use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's flag: raised once it has answered a 5xx, after which it reads nothing more.
#[derive(Debug, Clone, Default)]
pub(super) struct Doomed(Arc<AtomicBool>);

/// What `body-on-no-content` sends after the head of a 204.
pub(super) const BODY_ON_NO_CONTENT: &[u8] = b"{\"deleted\":true}";

/// Accepts connections from `L`, each wrapped so that it can be closed after a 5xx (and,
/// with `body_after_204`, send a body after each 204's head).
pub(super) struct ClosingListener<L> {
    inner: L,
    body_after_204: bool,
}

impl<L> ClosingListener<L> {
    pub(super) fn new(inner: L, body_after_204: bool) -> ClosingListener<L> {
        ClosingListener {
            inner,
            body_after_204,
        }
    }
}

impl<L: Listener> Listener for ClosingListener<L> {
    type Io = ClosingIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (inner, addr) = self.inner.accept().await;
        let io = ClosingIo {
            inner,
            doomed: Doomed::default(),
            body_after_204: self.body_after_204,
            pending: Vec::new(),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

impl<L: Listener> Connected<IncomingStream<'_, ClosingListener<L>>> for Doomed {
    fn connect_info(stream: IncomingStream<'_, ClosingListener<L>>) -> Doomed {
        stream.io().doomed.clone()
    }
}

/// Middleware: raise the connection's flag when the answer is a 5xx. The response itself
/// goes out whole and unchanged (no `Connection: close`).
pub(super) async fn mark_server_errors(request: Request, next: Next) -> Response {
    let doomed = request.extensions().get::<ConnectInfo<Doomed>>().cloned();
    let response = next.run(request).await;
    if let Some(ConnectInfo(Doomed(flag))) = doomed {
        if response.status().is_server_error() {
            flag.store(true, Ordering::Relaxed);
        }
    }
    response
}

/// A connection that, once doomed, answers the next bytes the client sends with a close: it
/// reads one byte of them (so the rest wait unread and the kernel resets the connection, as
/// for a socket a server has closed) and tells the server the client hung up.
pub(super) struct ClosingIo<I> {
    inner: I,
    doomed: Doomed,
    /// `body-on-no-content`: send [`BODY_ON_NO_CONTENT`] after each 204's head.
    body_after_204: bool,
    /// Bytes to send before anything else (the body after a 204's head).
    pending: Vec<u8>,
}

impl<I: AsyncWrite + Unpin> ClosingIo<I> {
    /// Send the pending bytes first, so they follow the head they belong after.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for ClosingIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.doomed.0.load(Ordering::Relaxed) {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        // The client only sends again once it has read the whole 5xx: whatever arrives now
        // is its next request, and the server is gone.
        let mut byte = [0u8; 1];
        let mut scratch = ReadBuf::new(&mut byte);
        ready!(Pin::new(&mut self.inner).poll_read(cx, &mut scratch))?;
        Poll::Ready(Ok(()))
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for ClosingIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        let n = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        // Unvectored, hyper writes a bodiless answer's head in one buffer.
        let whole_204_head =
            n == buf.len() && buf.starts_with(b"HTTP/1.1 204 ") && buf.ends_with(b"\r\n\r\n");
        if self.body_after_204 && whole_204_head {
            self.pending.extend_from_slice(BODY_ON_NO_CONTENT);
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.body_after_204 {
            let first = bufs
                .iter()
                .find(|b| !b.is_empty())
                .map_or(&[][..], |b| &**b);
            return self.poll_write(cx, first);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        !self.body_after_204 && self.inner.is_write_vectored()
    }
}
