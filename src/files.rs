//! Every file the tool reads goes through here: it must be a regular file (a FIFO, a device such
//! as `/dev/zero`, a socket or a directory is refused before a byte is read, and opening never
//! blocks), its size limit is enforced while reading (never from the size the OS reports), and a
//! file a plan names must lie under the [`FileRoot`].
//!
//! [`open_regular`] gives a checked handle (for callers that stream it); [`read_bounded`] reads
//! one into memory; [`read_file`] does both.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A plan, an included file or a `--vars-file`.
pub const MAX_PLAN_BYTES: u64 = 8 * 1024 * 1024;
/// A message file (`data: {file}`) or an attachment.
pub const MAX_MESSAGE_BYTES: u64 = 32 * 1024 * 1024;
/// A `--secrets-file`.
pub const MAX_SECRETS_BYTES: u64 = 1024 * 1024;
/// A PEM file: `ca_file`, `client_cert`, `client_key` (a full system CA bundle is ~250 KB).
pub const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file could not be read. The message names neither the file nor what it is for: the
/// caller says that (``"the message file `m.eml` " + error``).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("does not exist")]
    NotFound,
    #[error("is a {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    #[error("is larger than {} (the most allowed)", bytes_in_words(*.max))]
    TooLarge { max: u64 },
    #[error("is outside the file root `{}`", .root.display())]
    OutsideRoot { root: PathBuf },
    #[error("cannot be read: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => FileError::NotFound,
            _ => FileError::Io(e),
        }
    }
}

/// `8 MiB`, `1 KiB`, `300 bytes`.
pub fn bytes_in_words(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// Open `path` for reading without blocking (a FIFO with no writer would block `open`), and
/// refuse it unless the opened handle is a regular file.
pub fn open_regular(path: &Path) -> Result<File, FileError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(FileError::NotRegular {
        kind: kind_name(&kind),
    })
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "named pipe (FIFO)";
        }
        if kind.is_char_device() {
            return "character device";
        }
        if kind.is_block_device() {
            return "block device";
        }
        if kind.is_socket() {
            return "socket";
        }
    }
    if kind.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

/// Read a checked handle to its end, failing as soon as it holds more than `max` bytes.
pub fn read_bounded(file: File, max: u64) -> Result<Vec<u8>, FileError> {
    // Room for what the file holds now: a plan of several MB is not read into a buffer that
    // doubled its way up to twice that (the bound is still enforced while reading).
    let size = file.metadata().map_or(0, |m| m.len().min(max));
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge { max });
    }
    Ok(bytes)
}

/// [`open_regular`] then [`read_bounded`].
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
    read_bounded(open_regular(path)?, max)
}

/// The directory the files a plan names must lie under (`--file-root`, or the directory of the
/// plan named on the command line). Symbolic links are resolved before the check, so a link
/// inside the root that points outside it is outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRoot {
    /// Canonical.
    dir: PathBuf,
    /// Absolute, symbolic links not resolved (to judge a path that does not exist).
    lexical: PathBuf,
    /// As given, for messages (`.` for the current directory).
    shown: PathBuf,
}

impl FileRoot {
    /// The root at `dir` (which must exist).
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        Ok(Self {
            dir: std::fs::canonicalize(dir)?,
            lexical: lexically_normal(&std::path::absolute(dir)?),
            shown: dir.to_path_buf(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `path` resolved (it must exist), if it lies under the root. A missing path outside the
    /// root is reported as outside, so that the answer tells nothing about what exists there.
    pub fn check(&self, path: &Path) -> Result<PathBuf, FileError> {
        let outside = || FileError::OutsideRoot {
            root: self.shown.clone(),
        };
        match std::fs::canonicalize(path) {
            Ok(real) if real.starts_with(&self.dir) => Ok(real),
            Ok(_) => Err(outside()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::path::absolute(path).map(|p| lexically_normal(&p)) {
                    Ok(p) if !p.starts_with(&self.dir) && !p.starts_with(&self.lexical) => {
                        Err(outside())
                    }
                    _ => Err(FileError::NotFound),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Check `path` against the root, then open it as a regular file.
    pub fn open(&self, path: &Path) -> Result<File, FileError> {
        open_regular(&self.check(path)?)
    }

    /// Check `path` against the root, then read at most `max` bytes of it.
    pub fn read(&self, path: &Path, max: u64) -> Result<Vec<u8>, FileError> {
        read_bounded(self.open(path)?, max)
    }
}

/// `path` with `.` and `..` components resolved by name (symbolic links are not followed).
fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_small_file_and_refuses_a_large_one_while_reading() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        assert_eq!(read_file(&f, 5).unwrap(), b"hello");
        assert!(matches!(
            read_file(&f, 4),
            Err(FileError::TooLarge { max: 4 })
        ));
        assert!(matches!(
            read_file(&dir.path().join("nope"), 4),
            Err(FileError::NotFound)
        ));
    }

    #[test]
    fn special_files_are_refused_at_once() {
        let start = Instant::now();
        let e = read_file(Path::new("/dev/zero"), MAX_PLAN_BYTES).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
        let dir = tempfile::tempdir().unwrap();
        let e = read_file(dir.path(), 10).unwrap_err();
        assert_eq!(e.to_string(), "is a directory, not a regular file");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = read_file(&fifo, 10).unwrap_err();
            assert_eq!(e.to_string(), "is a named pipe (FIFO), not a regular file");
        } else {
            panic!("mkfifo is needed by this test");
        }
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_proc_file_that_reports_size_zero_is_still_bounded() {
        // /proc files report a size of 0 and still hold data: the bound holds while reading.
        let e = read_file(Path::new("/proc/self/maps"), 10).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { max: 10 }), "{e}");
    }

    #[test]
    fn the_root_keeps_files_under_it() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("plans");
        std::fs::create_dir(&inner).unwrap();
        std::fs::write(inner.join("a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("b.txt"), "b").unwrap();
        let root = FileRoot::new(&inner).unwrap();
        assert_eq!(root.read(&inner.join("a.txt"), 10).unwrap(), b"a");
        let e = root.read(&inner.join("../b.txt"), 10).unwrap_err();
        assert!(matches!(e, FileError::OutsideRoot { .. }), "{e}");
        std::os::unix::fs::symlink(dir.path().join("b.txt"), inner.join("link")).unwrap();
        let e = root.read(&inner.join("link"), 10).unwrap_err();
        assert!(matches!(e, FileError::OutsideRoot { .. }), "{e}");
        assert!(matches!(
            root.read(Path::new("/etc/shadow"), 10),
            Err(FileError::OutsideRoot { .. } | FileError::NotFound)
        ));
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(bytes_in_words(8 * 1024 * 1024), "8 MiB");
        assert_eq!(bytes_in_words(2048), "2 KiB");
        assert_eq!(bytes_in_words(10), "10 bytes");
    }
}
