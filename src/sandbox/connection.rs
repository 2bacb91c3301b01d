//! TCP connections the server can drop on purpose: the "dropped connection" fault, and the
//! header and idle timeouts.
//!
//! Each accepted stream carries a shared kill switch that handlers reach through axum's
//! connect-info. Once a handler throws it, every further read or write on the socket fails, so
//! hyper abandons the response and closes the socket: the client sees its request vanish with no
//! status line, as when a load balancer drops a connection.
//!
//! Timeouts: while no request of the connection is being handled (a request's head or body is
//! still arriving, or the connection idles between requests), a read that waits longer than the
//! idle timeout fails, and hyper closes the connection. So a client that sends half a header (or
//! half a body) and stalls is dropped after that long; a handler that is running (a statement waiting out its
//! latency) is never cut off. Every connection is served on its own task, so a stalled one never
//! holds up another.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;

/// What a stream and its handlers share.
#[derive(Debug, Default)]
struct Shared {
    killed: AtomicBool,
    /// Requests of this connection being handled now.
    busy: AtomicUsize,
}

/// A TCP listener whose streams can be killed.
#[derive(Debug)]
pub struct KillableListener {
    inner: TcpListener,
    idle_timeout: Duration,
}

impl KillableListener {
    /// Streams whose reads fail after `idle_timeout` without a request being handled.
    pub fn new(inner: TcpListener, idle_timeout: Duration) -> Self {
        Self {
            inner,
            idle_timeout,
        }
    }
}

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, address)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        KillableStream {
                            inner: stream,
                            shared: Arc::new(Shared::default()),
                            idle_timeout: self.idle_timeout,
                            idle: None,
                        },
                        address,
                    );
                }
                Err(error) => {
                    tracing::debug!(%error, "failed to accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream with a kill switch and an idle timeout.
#[derive(Debug)]
pub struct KillableStream {
    inner: TcpStream,
    shared: Arc<Shared>,
    idle_timeout: Duration,
    /// Armed while a read waits and no request is being handled.
    idle: Option<Pin<Box<Sleep>>>,
}

impl KillableStream {
    fn check(&self) -> io::Result<()> {
        if self.shared.killed.load(Ordering::SeqCst) {
            Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "connection dropped by the sandbox fault injector",
            ))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check()?;
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(context, buffer) {
            Poll::Ready(result) => {
                this.idle = None;
                Poll::Ready(result)
            }
            Poll::Pending if this.shared.busy.load(Ordering::SeqCst) > 0 => {
                this.idle = None;
                Poll::Pending
            }
            Poll::Pending => {
                let timeout = this.idle_timeout;
                let idle = this
                    .idle
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                match idle.as_mut().poll(context) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no complete request within the sandbox's idle timeout",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_write(context, buffer)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(context)
    }
}

/// What a handler knows about its connection: the peer and the kill switch.
#[derive(Debug, Clone)]
pub struct Connection {
    pub peer: SocketAddr,
    shared: Arc<Shared>,
}

impl Connection {
    /// Drops the connection: the response being written is never sent.
    pub fn kill(&self) {
        self.shared.killed.store(true, Ordering::SeqCst);
    }

    /// Marks a request of this connection as being handled until the guard drops: the idle
    /// timeout does not run meanwhile.
    pub fn handling(&self) -> Handling {
        self.shared.busy.fetch_add(1, Ordering::SeqCst);
        Handling {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// See [`Connection::handling`].
#[derive(Debug)]
pub struct Handling {
    shared: Arc<Shared>,
}

impl Drop for Handling {
    fn drop(&mut self) {
        self.shared.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        Self {
            peer: *stream.remote_addr(),
            shared: Arc::clone(&stream.io().shared),
        }
    }
}
