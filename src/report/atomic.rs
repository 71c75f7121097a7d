//! Report files appear whole or not at all.

/// Write `text` to `path` atomically (a temporary file beside it, then a rename), creating the
/// parent directory. A path that names something other than a regular file or a directory —
/// `/dev/null`, `/dev/stdout`, a FIFO — is written into instead: a rename would replace it
/// (run as root, `--junit /dev/null` turned /dev/null into a regular file for the machine).
pub fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::write(path, text);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
