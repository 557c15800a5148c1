//! Running until Ctrl-C. A run stops between calls, except in the middle of a traffic move:
//! a move sets every listener rule of a service, one ModifyRule each (ELB has no call that
//! sets several), and once begun it runs to its end, so Ctrl-C never leaves a service's rules
//! on different splits. Moves hold `MOVES` for reading; an interrupted run waits for them.

/// How a run that Ctrl-C can stop ended.
#[derive(Debug)]
pub enum Ended<T> {
    Finished(T),
    Interrupted,
}

/// Traffic moves under way (`move_guard`).
static MOVES: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// Held by a traffic move while it runs: an interrupted run waits until every guard is gone.
pub async fn move_guard() -> tokio::sync::RwLockReadGuard<'static, ()> {
    MOVES.read().await
}

/// Run `work` to its end, or until Ctrl-C: then `Interrupted`, once any traffic move under
/// way has finished.
pub async fn until_interrupted<T>(work: impl std::future::Future<Output = T>) -> Ended<T> {
    tokio::select! {
        r = work => Ended::Finished(r),
        _ = tokio::signal::ctrl_c() => {
            drop(MOVES.write().await);
            Ended::Interrupted
        }
    }
}
