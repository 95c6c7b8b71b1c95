//! Which listeners the broker reports as bound (`Broker::is_listening`, read by the HTTP API's
//! `/api/v5/listeners`): an optional listener that could not bind is not running, and the
//! listeners after it keep their place in the configuration.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use roost_broker::config::{Config, Listener};
use roost_broker::Server;

fn local(port: u16) -> Listener {
    Listener::new(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}

#[tokio::test]
async fn an_optional_listener_that_cannot_bind_is_not_listening() {
    let held = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    let busy = held.local_addr().expect("its address").port();
    let mut optional = local(busy);
    optional.optional = true;
    let config = Config {
        listeners: vec![local(0), optional, local(0)],
        ..Config::default()
    };
    let server = Server::bind(config).await.expect("binds");
    let broker = server.broker();
    assert!(broker.is_listening(0));
    assert!(!broker.is_listening(1), "port {busy} is held by the test");
    assert!(broker.is_listening(2));
    assert!(!broker.is_listening(3), "there is no fourth listener");
    assert_eq!(server.local_addrs().len(), 2);
}
