//! Output held back for the store: everything a connection writes after a change waits until
//! the commit that holds the change has finished, and is dropped if a commit fails meanwhile.

use std::future::Future;
use std::pin::Pin;

use roost_proto::ReasonCode;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Connection, Ending};
use crate::store::Durability;

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Releases the output held back for the store once its commit has finished, or ends the
    /// connection (MQTT 5: DISCONNECT 0x97) if a commit failed meanwhile: what is held back may
    /// acknowledge a change that was not written, so it is dropped, never sent.
    pub(super) fn check_store(&mut self) -> Result<(), Ending> {
        let (first, last) = (self.held_from, self.hold);
        if last == 0 {
            return Ok(());
        }
        match self.broker.store_outcome(first, last) {
            None => Ok(()),
            Some(Ok(())) => {
                self.hold = 0;
                self.storing = None;
                Ok(())
            }
            Some(Err(_)) => Err(self.store_failed()),
        }
    }

    /// A wait that ends once the commits the held output waits for have finished or failed
    /// (it looks first, so a commit that finished before it was made is not missed).
    pub(super) fn await_store(&self) -> Option<Pin<Box<dyn Future<Output = ()> + Send>>> {
        let (first, last) = (self.held_from, self.hold);
        let mut progress = self.broker.store_progress()?;
        Some(Box::pin(async move {
            if progress
                .wait_for(|p| p.outcome(first, last).is_some())
                .await
                .is_err()
            {
                // The store is closing: what is held is dropped when the connection ends.
                std::future::pending::<()>().await;
            }
        }))
    }

    /// Holds everything written to the client from now on until `durability`'s commit; a change
    /// the store refused ends the connection.
    pub(crate) fn hold_for(&mut self, durability: Durability) -> Result<(), Ending> {
        if durability.failed {
            return Err(self.store_failed());
        }
        self.hold_until(durability.commit);
        Ok(())
    }

    /// Holds the output from now on until commit `commit` (0: nothing to wait for).
    pub(super) fn hold_until(&mut self, commit: u64) {
        if commit == 0 {
            return;
        }
        if self.hold == 0 {
            self.held_from = commit;
        }
        self.hold = self.hold.max(commit);
    }

    /// Drops the output held back and says why the connection ends.
    pub(super) fn store_failed(&mut self) -> Ending {
        self.pending.truncate(self.released);
        self.hold = 0;
        self.storing = None;
        Ending::Closing {
            reason: ReasonCode::QUOTA_EXCEEDED,
            why: "the message store cannot write (see the broker's log)".into(),
        }
    }
}
