//! The change feed: writers `NOTIFY` on [`CHANNEL`] in the transaction that makes a change, and
//! one listener task per store (on a connection of its own, outside the pool) turns the
//! notifications into [`StoreChange`]s on a broadcast channel.
//!
//! PostgreSQL delivers a notification only after its transaction commits, and to every
//! listening session, the writer's own included. A notification sent while the listener was
//! disconnected is lost: after every reconnect the listener sends [`StoreChange::Resync`] so the
//! server drops its caches. The task ends when the store is dropped.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use super::super::StoreChange;

/// The `LISTEN`/`NOTIFY` channel.
pub(super) const CHANNEL: &str = "ims_store_changes";

/// How many changes a slow subscriber may fall behind before it lags (and resyncs).
pub(super) const FEED_CAPACITY: usize = 4096;

/// Longest payload sent; PostgreSQL's limit is 8000 bytes. A longer id becomes a `Resync`.
const MAX_PAYLOAD: usize = 7000;

/// Reconnect back-off bounds.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);

/// The `NOTIFY` payload of a change: a one-letter kind and the id.
pub(super) fn encode(change: &StoreChange) -> String {
    let payload = match change {
        StoreChange::AccessTokenRevoked { jti } => format!("t:{jti}"),
        StoreChange::GrantRevoked { grant_id } => format!("g:{grant_id}"),
        StoreChange::ClientChanged { client_id } => format!("c:{client_id}"),
        StoreChange::ClientDeleted { client_id } => format!("d:{client_id}"),
        StoreChange::SigningKeysChanged => "k:".to_owned(),
        StoreChange::Resync => "r:".to_owned(),
    };
    if payload.len() > MAX_PAYLOAD {
        "r:".to_owned()
    } else {
        payload
    }
}

/// Reads a payload; anything unknown (a newer binary's kind) is a `Resync`, the safe answer.
pub(super) fn decode(payload: &str) -> StoreChange {
    let (kind, id) = payload.split_once(':').unwrap_or((payload, ""));
    let id = id.to_owned();
    match kind {
        "t" => StoreChange::AccessTokenRevoked { jti: id },
        "g" => StoreChange::GrantRevoked { grant_id: id },
        "c" => StoreChange::ClientChanged { client_id: id },
        "d" => StoreChange::ClientDeleted { client_id: id },
        "k" => StoreChange::SigningKeysChanged,
        _ => StoreChange::Resync,
    }
}

/// One listening session: the client (dropping it closes the connection) and the
/// notifications its connection delivers (`None` once the connection is gone).
struct Session {
    _client: Client,
    notifications: mpsc::UnboundedReceiver<String>,
}

async fn listen(config: &Config) -> Result<Session, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let (tx, notifications) = mpsc::unbounded_channel();
    // The connection must be polled for LISTEN to complete and for notifications to arrive; it
    // ends when the client is dropped or the server goes away.
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "PostgreSQL change-feed connection failed");
                    break;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok(Session {
        _client: client,
        notifications,
    })
}

/// Starts listening before returning (so no change made after the store opened is missed),
/// then keeps a task running until `shutdown`'s sender is dropped.
pub(super) async fn start(
    config: Config,
    feed: broadcast::Sender<StoreChange>,
    shutdown: oneshot::Receiver<()>,
) -> Result<(), tokio_postgres::Error> {
    let first = listen(&config).await?;
    tokio::spawn(run(config, feed, first, shutdown));
    Ok(())
}

async fn run(
    config: Config,
    feed: broadcast::Sender<StoreChange>,
    mut session: Session,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        // Deliver until the connection ends or the store is dropped.
        loop {
            tokio::select! {
                _ = &mut shutdown => return,
                payload = session.notifications.recv() => match payload {
                    // No subscriber is fine: the send only fails when nobody listens.
                    Some(p) => { let _ = feed.send(decode(&p)); }
                    None => break,
                },
            }
        }
        // Reconnect with back-off, then tell subscribers they may have missed changes.
        let mut delay = FIRST_RETRY;
        session = loop {
            tokio::select! {
                _ = &mut shutdown => return,
                () = tokio::time::sleep(delay) => {}
            }
            match listen(&config).await {
                Ok(s) => break s,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?delay, "PostgreSQL change feed cannot reconnect");
                    delay = (delay * 2).min(MAX_RETRY);
                }
            }
        };
        tracing::info!("PostgreSQL change feed reconnected; subscribers resync");
        let _ = feed.send(StoreChange::Resync);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        for change in [
            StoreChange::AccessTokenRevoked { jti: "j:1".into() },
            StoreChange::GrantRevoked {
                grant_id: "g".into(),
            },
            StoreChange::ClientChanged {
                client_id: "c".into(),
            },
            StoreChange::ClientDeleted {
                client_id: "d".into(),
            },
            StoreChange::SigningKeysChanged,
            StoreChange::Resync,
        ] {
            assert_eq!(decode(&encode(&change)), change);
        }
        assert_eq!(decode("x:future-kind"), StoreChange::Resync);
        let long = StoreChange::ClientChanged {
            client_id: "c".repeat(MAX_PAYLOAD),
        };
        assert_eq!(encode(&long), "r:");
    }
}
