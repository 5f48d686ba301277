//! Container log rotation, as the kubelet's `containerLogMaxSize`/`containerLogMaxFiles`:
//! containerd appends to a container's log file for as long as the container runs, so
//! every few seconds a log past the size limit is renamed aside (`N.log.<time>`), the
//! runtime is told to reopen it (CRI `ReopenContainerLog`), and the oldest rotated files
//! beyond the limit are deleted. Like the kubelet, `kubectl logs` then reads the current
//! file only.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

use k8s_cri::v1 as cri;
use tracing::{debug, warn};

use super::CriRuntime;

/// How often log sizes are checked (the kubelet's `containerLogMonitorInterval`).
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// The rotated files of `log` (`<log>.<suffix>`) to delete so that at most `max_files`
/// files remain including the current one: the oldest go first (suffixes sort by time).
pub fn surplus(log: &Path, siblings: &[PathBuf], max_files: usize) -> Vec<PathBuf> {
    let Some(name) = log.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let prefix = format!("{name}.");
    let mut rotated: Vec<&PathBuf> = siblings
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect();
    rotated.sort();
    let keep = max_files.saturating_sub(1);
    let excess = rotated.len().saturating_sub(keep);
    rotated.into_iter().take(excess).cloned().collect()
}

impl CriRuntime {
    /// Checks every few seconds, for as long as the runtime lives.
    pub fn start_log_rotation(self: &Arc<Self>) {
        if self.options.log_max_size == 0 {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let Some(runtime) = weak.upgrade() else {
                    return;
                };
                runtime.rotate_logs().await;
            }
        });
    }

    /// One pass over the running containers' logs.
    pub async fn rotate_logs(&self) {
        let labels = self.own_labels();
        let running = self
            .containers_with(cri::ContainerFilter {
                label_selector: labels,
                state: Some(cri::ContainerStateValue {
                    state: cri::ContainerState::ContainerRunning as i32,
                }),
                ..Default::default()
            })
            .await;
        for c in running {
            let attempt = c.metadata.as_ref().map_or(0, |m| m.attempt);
            let log = self.container_log(&c);
            let size = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            if size <= self.options.log_max_size {
                continue;
            }
            let stamp = jiff::Timestamp::now()
                .strftime("%Y%m%d-%H%M%S%.6f")
                .to_string();
            let aside = log.with_file_name(format!("{attempt}.log.{stamp}"));
            if let Err(e) = std::fs::rename(&log, &aside) {
                warn!(log = %log.display(), error = %e, "cannot rotate a container log");
                continue;
            }
            if let Err(e) = self
                .rt()
                .reopen_container_log(cri::ReopenContainerLogRequest {
                    container_id: c.id.clone(),
                })
                .await
            {
                // The runtime keeps writing to the renamed file; put it back.
                let _ = std::fs::rename(&aside, &log);
                warn!(container = %c.id, error = %e.message(), "cannot reopen a container log");
                continue;
            }
            debug!(log = %log.display(), size, "rotated a container log");
            let siblings: Vec<PathBuf> = log
                .parent()
                .and_then(|dir| std::fs::read_dir(dir).ok())
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            for old in surplus(&log, &siblings, self.options.log_max_files) {
                let _ = std::fs::remove_file(old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_rotated_files_go_first() {
        let log = PathBuf::from("/l/web/0.log");
        let siblings: Vec<PathBuf> = [
            "0.log",
            "0.log.20261127-070001.000000",
            "0.log.20261127-070003.000000",
            "0.log.20261127-070002.000000",
            "1.log.20261127-070000.000000",
        ]
        .iter()
        .map(|n| PathBuf::from("/l/web").join(n))
        .collect();
        assert_eq!(
            surplus(&log, &siblings, 2),
            [
                PathBuf::from("/l/web/0.log.20261127-070001.000000"),
                PathBuf::from("/l/web/0.log.20261127-070002.000000"),
            ]
        );
        assert!(surplus(&log, &siblings, 5).is_empty());
    }
}
