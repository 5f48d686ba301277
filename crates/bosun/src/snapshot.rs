//! `bosun snapshot save|restore`: a point-in-time copy of the embedded datastore. `save`
//! works while the server runs (it reads the log, keeps every acknowledged write up to
//! that moment and cuts a torn tail from its copy), then compacts the copy so the file
//! holds current values only. `restore` puts such a file into an empty data dir. (For
//! the etcd backend, use etcd's own `etcdctl snapshot save/restore`.)

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bosun_store::Store;

#[derive(clap::Subcommand)]
pub enum SnapshotCommand {
    /// Writes a snapshot of DIR's datastore to FILE.
    Save {
        #[arg(long, default_value = "./bosun-data")]
        data_dir: PathBuf,
        file: PathBuf,
    },
    /// Restores FILE into DIR, which must hold no datastore yet.
    Restore {
        #[arg(long, default_value = "./bosun-data")]
        data_dir: PathBuf,
        file: PathBuf,
    },
}

pub async fn run(command: SnapshotCommand) -> Result<()> {
    match command {
        SnapshotCommand::Save { data_dir, file } => save(&data_dir, &file).await,
        SnapshotCommand::Restore { data_dir, file } => restore(&data_dir, &file).await,
    }
}

/// Opens a copy of a log, compacts it to its current revision, and reports what it holds.
async fn compact_copy(path: &Path) -> Result<(i64, usize)> {
    let store = bosun_store::EmbeddedStore::open(path)
        .with_context(|| format!("{} is not a bosun datastore", path.display()))?;
    let revision = store.current_revision().await?;
    store.compact(revision).await?;
    let keys = store.list("/", Default::default()).await?.kvs.len();
    Ok((revision, keys))
}

async fn save(data_dir: &Path, file: &Path) -> Result<()> {
    let wal = data_dir.join("store.wal");
    if !wal.exists() {
        bail!(
            "{} holds no embedded datastore (store.wal)",
            data_dir.display()
        );
    }
    let tmp = file.with_extension("partial");
    std::fs::copy(&wal, &tmp).with_context(|| format!("copying {}", wal.display()))?;
    let (revision, keys) = match compact_copy(&tmp).await {
        Ok(found) => found,
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(err);
        }
    };
    std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
    println!(
        "saved revision {revision} ({keys} keys) to {}",
        file.display()
    );
    Ok(())
}

async fn restore(data_dir: &Path, file: &Path) -> Result<()> {
    crate::pki::prepare_data_dir(data_dir)?;
    let wal = data_dir.join("store.wal");
    if wal.exists() {
        bail!(
            "{} already holds a datastore; restore into an empty data dir",
            data_dir.display()
        );
    }
    let tmp = data_dir.join("store.wal.restore");
    std::fs::copy(file, &tmp).with_context(|| format!("reading {}", file.display()))?;
    let (revision, keys) = match compact_copy(&tmp).await {
        Ok(found) => found,
        Err(err) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(err);
        }
    };
    std::fs::rename(&tmp, &wal).with_context(|| format!("writing {}", wal.display()))?;
    println!(
        "restored revision {revision} ({keys} keys) into {}",
        data_dir.display()
    );
    Ok(())
}
