//! Where `roost cert` writes: the output directory, PEM files that never replace an existing
//! file unless `--force` was given, and private keys that exist only with mode 0600.
//!
//! A key file is created with mode 0600 in the `open` call itself, so it is never readable by
//! others, not even for a moment. Without `--force` a file is created with `create_new`, so a
//! file that appeared since the check is still not overwritten. With `--force` the new content
//! goes to a fresh temporary file beside the target, which is then renamed over it: the old
//! file's mode does not carry over and a reader never sees half a key.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::issue::Ca;

/// The mode of private keys: readable and writable by the owner only.
pub(crate) const KEY_MODE: u32 = 0o600;
/// The mode of certificates, which are public.
pub(crate) const CERT_MODE: u32 = 0o644;

/// Creates `dir` if needed and returns it as an absolute path (the printed configuration
/// lines must work from any directory).
pub(crate) fn output_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(dir).map_err(|error| {
        anyhow::anyhow!(
            "cannot create the directory {}: {}; choose one you can write with --dir DIR",
            dir.display(),
            io_reason(&error)
        )
    })?;
    fs::canonicalize(dir).with_context(|| format!("cannot resolve {}", dir.display()))
}

/// Fails, naming the file and `--force`, if any of `paths` exists and `force` is off.
/// `consequence` says what replacing it would break ("" for nothing).
pub(crate) fn check_free(paths: &[PathBuf], force: bool, consequence: &str) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    for path in paths {
        if path.symlink_metadata().is_ok() {
            anyhow::bail!(
                "{} already exists; pass --force to replace it{consequence}",
                path.display()
            );
        }
    }
    Ok(())
}

/// Writes `contents` to `path` with `mode`; replaces an existing file only if `force`.
pub(crate) fn write_file(
    path: &Path,
    contents: &str,
    mode: u32,
    force: bool,
) -> anyhow::Result<()> {
    let written = if force {
        replace(path, contents, mode)
    } else {
        create(path, contents, mode)
    };
    written.map_err(|error| match error.kind() {
        io::ErrorKind::AlreadyExists => anyhow::anyhow!(
            "{} already exists; pass --force to replace it",
            path.display()
        ),
        _ => anyhow::anyhow!(
            "cannot write {}: {}; choose a directory you can write with --dir DIR",
            path.display(),
            io_reason(&error)
        ),
    })
}

fn create(path: &Path, contents: &str, mode: u32) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

fn replace(path: &Path, contents: &str, mode: u32) -> io::Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "cert".into(), |name| name.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&temp);
    let result = create(&temp, contents, mode).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Reads the CA that signs new certificates from `dir`/ca.crt and `dir`/ca.key; returns it
/// with `dir` as an absolute path. Creates nothing, so a run refused for want of a CA leaves
/// no empty directory behind.
pub(crate) fn read_ca(dir: &Path) -> anyhow::Result<(PathBuf, Ca)> {
    let dir = fs::canonicalize(dir)
        .or_else(|_| std::path::absolute(dir))
        .with_context(|| format!("cannot resolve {}", dir.display()))?;
    let ca = read_ca_in(&dir)?;
    Ok((dir, ca))
}

fn read_ca_in(dir: &Path) -> anyhow::Result<Ca> {
    let cert_path = dir.join("ca.crt");
    let key_path = dir.join("ca.key");
    let missing = |path: &Path, error: &io::Error| {
        anyhow::anyhow!(
            "cannot read the CA from {}: {}; make a CA first with `roost cert ca --dir {}`, \
             or point --dir at the directory that holds ca.crt and ca.key",
            path.display(),
            io_reason(error),
            dir.display()
        )
    };
    let cert = fs::read(&cert_path).map_err(|error| missing(&cert_path, &error))?;
    let key = fs::read(&key_path).map_err(|error| missing(&key_path, &error))?;
    let key = String::from_utf8(key)
        .map_err(|_| anyhow::anyhow!("{} is not a PEM file", key_path.display()))?;
    Ca::load(
        &cert,
        &cert_path.display().to_string(),
        &key,
        &key_path.display().to_string(),
    )
}

/// An I/O error as a short phrase ("No such file or directory", "Permission denied").
fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("roost-cert-unit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn forced_replacement_takes_the_new_mode() {
        let dir = temp_dir("mode");
        let path = dir.join("server.key");
        fs::write(&path, "old").expect("old file");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        write_file(&path, "new", KEY_MODE, true).expect("replace");
        let meta = fs::metadata(&path).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read_to_string(&path).expect("read"), "new");
        assert_eq!(
            fs::read_dir(&dir).expect("dir").count(),
            1,
            "temp file left behind"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_overwrite_without_force() {
        let dir = temp_dir("keep");
        let path = dir.join("ca.crt");
        fs::write(&path, "keep me").expect("old file");
        let error = write_file(&path, "new", CERT_MODE, false).expect_err("refused");
        assert!(error.to_string().contains("pass --force"), "{error}");
        assert_eq!(fs::read_to_string(&path).expect("read"), "keep me");
        let checked = check_free(std::slice::from_ref(&path), false, "").expect_err("refused");
        assert!(checked.to_string().starts_with(&path.display().to_string()));
        let _ = fs::remove_dir_all(&dir);
    }
}
