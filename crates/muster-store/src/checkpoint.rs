//! WAL checkpoints on SQLite, away from the commit path.
//!
//! Left to itself, SQLite checkpoints inside whichever commit takes the write-ahead log past 1,000
//! pages: that commit copies the pages into the database file and waits for its fsync, several
//! milliseconds during which every request of its batch waits for its answer. So the writer turns
//! automatic checkpoints off, and this task runs a `PASSIVE` checkpoint from a reader connection
//! every second instead, beside the writer (a passive checkpoint waits for no one, and a
//! `query_only` connection may run one).

use std::time::Duration;

use sqlx::AnyPool;
use tokio::sync::oneshot;

/// How often the log is copied into the database file; at the highest ingestion rates measured a
/// second of log is a few thousand pages.
const EVERY: Duration = Duration::from_secs(1);

/// Keeps the checkpoint task running; it stops when this is dropped (with the last clone of the
/// store).
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: oneshot::Sender<()>,
}

impl Checkpointer {
    pub(crate) fn start(reader: AnyPool) -> Checkpointer {
        let (stop, mut stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = ticks.tick() => {}
                }
                if let Err(error) = checkpoint(&reader).await {
                    if reader.is_closed() {
                        return;
                    }
                    tracing::warn!(error = %error, "WAL checkpoint failed; the next one will try again");
                }
            }
        });
        Checkpointer { _stop: stop }
    }
}

/// Copies what it can of the write-ahead log into the database file, waiting for no one.
pub(crate) async fn checkpoint(reader: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(reader).await?;
    Ok(())
}
