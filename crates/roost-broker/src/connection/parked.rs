//! Plain TCP connections, which park while idle: their task ends and their state waits in the
//! parking lot ([`crate::parking`]) until the socket or the broker has something for them.
//!
//! A connection runs in two tasks one after the other: one for CONNECT, which ends once the
//! client is connected, and one for the connected client, spawned again each time the
//! connection comes back from the lot. The split keeps the connected task's future as small as
//! [`super::serve`]'s: the first task's captured state would otherwise sit beside it.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tracing::warn;

use super::{Client, Connection, Ending, Stop};
use crate::broker::Broker;
use crate::config::Listener;
use crate::server::Guard;
use crate::session::ConnectionInfo;
use crate::transport::PeerIdentity;

/// A connection in the parking lot: what is left of it once it holds nothing but its client. The
/// socket is the lot's; what a working connection keeps (its buffers, the commit it waits for,
/// the configuration it read) is empty or read again when it comes back. So a parked
/// connection is 120 bytes here rather than 272, and an idle broker holds thousands of them.
pub(crate) struct Parked {
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    identity: Option<Box<PeerIdentity>>,
    conn_id: u64,
    listener_index: u32,
    client: Client,
    guard: Guard,
}

impl Parked {
    /// What is kept of `conn`, which [`Connection::can_park`] found holding nothing.
    fn new(conn: Connection<()>, client: Client, guard: Guard) -> Parked {
        debug_assert!(conn.pending.is_empty() && conn.inbuf.is_empty() && conn.hold == 0);
        Parked {
            broker: conn.broker,
            listener: conn.listener,
            identity: conn.identity,
            conn_id: conn.conn_id,
            listener_index: conn.listener_index,
            client,
            guard,
        }
    }

    /// The connection again, over `stream`, with the configuration in force now (a reload
    /// while it was parked woke it, so it is the one it would have read).
    fn resume<T>(self, stream: T) -> (Connection<T>, Client, Guard) {
        let Parked {
            broker,
            listener,
            identity,
            conn_id,
            listener_index,
            client,
            guard,
        } = self;
        let peer = client.info.peer;
        let mut conn = Connection::idle(
            broker,
            listener,
            listener_index,
            conn_id,
            stream,
            peer,
            identity,
        );
        conn.may_park = true;
        conn.version = client.info.protocol;
        (conn, client, guard)
    }

    /// The connection's shared facts, with the link its news comes through.
    pub(crate) fn info(&self) -> &ConnectionInfo {
        &self.client.info
    }
}

impl<S> Connection<S> {
    /// The same connection over `stream`, and the stream it had.
    fn with_stream<T>(self, stream: T) -> (Connection<T>, S) {
        let Connection {
            broker,
            listener,
            config,
            listener_index,
            conn_id,
            peer,
            stream: old,
            inbuf,
            pending,
            released,
            unflushed,
            may_park,
            version,
            identity,
            storing,
            hold,
            held_from,
            throttle,
        } = self;
        let conn = Connection {
            broker,
            listener,
            config,
            listener_index,
            conn_id,
            peer,
            stream,
            inbuf,
            pending,
            released,
            unflushed,
            may_park,
            version,
            identity,
            storing,
            hold,
            held_from,
            throttle,
        };
        (conn, old)
    }
}

/// Serves one accepted plain TCP connection: CONNECT here, then the connected client in a
/// task of its own. `guard` is dropped when the connection ends.
pub(crate) fn serve_tcp(
    broker: Arc<Broker>,
    listener: Arc<Listener>,
    listener_index: usize,
    stream: TcpStream,
    peer: SocketAddr,
    guard: Guard,
) -> impl std::future::Future<Output = ()> + Send {
    let identity = PeerIdentity::FromConnect;
    let mut conn = Connection::new(broker, listener, listener_index, stream, peer, identity);
    conn.may_park = true;
    async move {
        let Some((client, started)) = conn.open().await else {
            drop(guard);
            return;
        };
        match started {
            Ok(()) => drop(tokio::spawn(serve_connected(conn, client, guard))),
            Err(ending) => {
                Box::pin(conn.finish(client, ending)).await;
                drop(guard);
            }
        }
    }
}

/// The connected client, until the connection ends or parks. (A function returning a block,
/// not an `async fn`: that would keep its arguments beside their moved copies.)
fn serve_connected(
    conn: Connection<TcpStream>,
    client: Client,
    guard: Guard,
) -> impl std::future::Future<Output = ()> + Send {
    let (mut conn, mut client, mut guard) = (conn, client, guard);
    async move {
        loop {
            match conn.run(&mut client).await {
                Stop::End(ending) => {
                    Box::pin(conn.finish(client, ending)).await;
                    drop(guard);
                    return;
                }
                Stop::Park => match park(conn, client, guard) {
                    None => return,
                    Some(back) => (conn, client, guard) = back,
                },
            }
        }
    }
}

/// Moves the connection into the parking lot; gives it back when the lot cannot take it.
fn park(
    conn: Connection<TcpStream>,
    client: Client,
    guard: Guard,
) -> Option<(Connection<TcpStream>, Client, Guard)> {
    let (conn, stream) = conn.with_stream(());
    let socket = match stream.into_std() {
        Ok(socket) => mio::net::TcpStream::from_std(socket),
        Err(e) => {
            end_without_socket(conn, client, guard, &e);
            return None;
        }
    };
    let broker = conn.broker.clone();
    client.info.link.parked(broker.links().now_ms());
    let parked = Box::new(Parked::new(conn, client, guard));
    let (parked, socket) = broker.parking().park(parked, socket).err()?;
    client_back(&broker, &parked);
    match TcpStream::from_std(std::net::TcpStream::from(socket)) {
        Ok(stream) => Some(parked.resume(stream)),
        Err(e) => {
            let (conn, client, guard) = parked.resume(());
            end_without_socket(conn, client, guard, &e);
            None
        }
    }
}

/// Notes on the link that the connection is out of the lot.
fn client_back(broker: &Broker, parked: &Parked) {
    parked.client.info.link.unparked(broker.links().now_ms());
}

/// Takes a connection out of the parking lot and serves it again in a task of its own (called
/// by the lot's thread, inside the runtime). `socket` is its socket given back to tokio.
pub(crate) fn unpark(parked: Box<Parked>, socket: std::io::Result<TcpStream>) {
    client_back(&parked.broker, &parked);
    match socket {
        Ok(stream) => {
            let (conn, client, guard) = parked.resume(stream);
            drop(tokio::spawn(serve_connected(conn, client, guard)));
        }
        Err(e) => {
            let (conn, client, guard) = parked.resume(());
            end_without_socket(conn, client, guard, &e);
        }
    }
}

/// Ends a connection whose socket tokio could not take back (the will, the session and the
/// counters as for any closed connection; nothing can be written).
fn end_without_socket(conn: Connection<()>, client: Client, guard: Guard, e: &std::io::Error) {
    warn!(
        "Client {} from {}: its socket could not be moved between tokio and the parking \
         lot ({e}); closing it.",
        client.id(),
        conn.peer
    );
    let (gone, _) = tokio::io::duplex(1);
    let mut conn = conn.with_stream(gone).0;
    drop(tokio::spawn(async move {
        Box::pin(conn.finish(client, Ending::Closed)).await;
        drop(guard);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A broker-side connection over a real socket, and the client's end of it.
    async fn socket_pair(broker: &Arc<Broker>) -> (Connection<TcpStream>, TcpStream) {
        let listener = Arc::new(Listener::new("127.0.0.1:1883".parse().unwrap()));
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client_side = TcpStream::connect(socket.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, peer) = socket.accept().await.unwrap();
        let identity = PeerIdentity::FromConnect;
        let conn = Connection::new(broker.clone(), listener, 0, stream, peer, identity);
        (conn, client_side)
    }

    /// A parked connection is most of what an idle broker holds per connection.
    #[test]
    fn a_parked_connection_keeps_only_its_client() {
        let size = std::mem::size_of::<Parked>();
        assert!(size <= 120, "a parked connection grew to {size} bytes");
    }

    /// The connected task's future is most of an idle connection's memory while it is not
    /// parked; tokio's task cell adds 104 bytes and rounds up to 128, so 408 bytes fit 512.
    #[tokio::test]
    async fn the_connected_future_fits_a_512_byte_task() {
        let broker = crate::Broker::new(crate::Config::default()).unwrap();
        let (conn, _client_side) = socket_pair(&broker).await;
        let client = Client::for_tests();
        let (tx, _rx) = tokio::sync::mpsc::channel(1);
        let guard = Guard::for_tests(tx);
        let size = std::mem::size_of_val(&serve_connected(conn, client, guard));
        assert!(size <= 408, "the connected future grew to {size} bytes");
    }

    /// A parked connection comes back when its client writes, ends when the client closes, and
    /// once the broker is gone the lot's thread ends too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_parked_connection_comes_back_and_the_lot_ends_with_the_broker() {
        use tokio::io::AsyncWriteExt;
        let broker = crate::Broker::new(crate::Config::default()).unwrap();
        broker.metrics.client_connected();
        let (conn, mut peer_side) = socket_pair(&broker).await;
        let client = Client::for_tests();
        let info = client.info.clone();
        let (alive, mut ended) = tokio::sync::mpsc::channel::<()>(1);
        assert!(
            park(conn, client, Guard::for_tests(alive)).is_none(),
            "parked"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while broker.parked_count() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the lot never took it"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let lot = broker.parking().liveness().expect("the lot started");
        // A PINGREQ from the client brings it back, and it answers.
        peer_side.write_all(&[0xC0, 0x00]).await.unwrap();
        let mut answer = [0u8; 2];
        tokio::time::timeout(Duration::from_secs(5), async {
            use tokio::io::AsyncReadExt;
            peer_side.read_exact(&mut answer).await
        })
        .await
        .expect("an answer in time")
        .unwrap();
        assert_eq!(answer, [0xD0, 0x00], "PINGRESP");
        assert_eq!(broker.parked_count(), 0);
        assert!(!info.link.has_news());
        // The client goes; the connection ends and drops its guard.
        drop(peer_side);
        let gone = tokio::time::timeout(Duration::from_secs(5), ended.recv()).await;
        assert!(matches!(gone, Ok(None)), "the connection ended");
        drop(broker);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while lot.upgrade().is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "the lot's thread still runs"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
