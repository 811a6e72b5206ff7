//! Keeping this instance's caches coherent with changes other instances make to a shared store:
//! a task follows the store's change feed ([`Store::changes`](super::Store::changes); PostgreSQL
//! `LISTEN/NOTIFY`) and applies each change.
//!
//! | change | applied as |
//! |---|---|
//! | access token or grant revoked | forget the tokens known to be live ([`super::live_tokens`]) |
//! | client changed / deleted | drop it from the client cache (deleted: also forget live tokens) |
//! | signing keys changed | re-read the key ring from the store |
//! | `Resync` (the feed reconnected) or this task lagged behind the feed | all of the above |
//!
//! Without a feed (SQLite: one process) nothing runs; the server applies its own changes
//! directly, as it always has. The task ends when the server or the store is dropped.

use std::sync::Weak;

use tokio::sync::broadcast::{self, error::RecvError};

use super::key_rotation;
use super::state::ServerState;
use super::store::StoreChange;

/// Starts following `changes` for the server whose state is `state`.
pub(crate) fn follow(state: Weak<ServerState>, mut changes: broadcast::Receiver<StoreChange>) {
    tokio::spawn(async move {
        loop {
            let change = match changes.recv().await {
                Ok(change) => change,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "store change feed lagged; resyncing caches");
                    StoreChange::Resync
                }
                Err(RecvError::Closed) => return,
            };
            let Some(state) = state.upgrade() else {
                return;
            };
            apply(&state, change).await;
        }
    });
}

async fn apply(state: &ServerState, change: StoreChange) {
    tracing::debug!(?change, "applying store change");
    match change {
        StoreChange::AccessTokenRevoked { .. } | StoreChange::GrantRevoked { .. } => {
            state.revocations.forget_live_tokens();
        }
        StoreChange::ClientChanged { client_id } => state.clients.forget(&client_id),
        StoreChange::ClientDeleted { client_id } => {
            state.clients.forget(&client_id);
            state.revocations.forget_live_tokens();
        }
        StoreChange::SigningKeysChanged => reload_keys(state).await,
        StoreChange::Resync => {
            state.revocations.forget_live_tokens();
            state.clients.forget_all();
            reload_keys(state).await;
        }
    }
}

async fn reload_keys(state: &ServerState) {
    if let Err(e) = key_rotation::reload_stored(state.store.as_ref(), &state.signing_keys).await {
        // The ring in use stays; the next change or resync tries again.
        tracing::warn!(error = %e, "cannot reload signing keys after a store change");
    }
}
