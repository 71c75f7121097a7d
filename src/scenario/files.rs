//! The files a plan names (`include`, `data: {file}`, attachments, `ca_file`, `client_cert`,
//! `client_key`): resolved against the file being loaded, kept under the file root, read
//! through [`crate::files`] with their bounds, and checked at load so that nothing is sent
//! when one is missing or wrong.

use std::path::{Path, PathBuf};

use super::context::Cx;
use super::node::Node;
use crate::files::{FileError, FileRoot, MAX_PEM_BYTES};

/// A file named in the plan, read: the path as resolved (for messages) and its bytes.
pub(crate) struct NamedFile {
    pub path: PathBuf,
    pub canonical: PathBuf,
    pub bytes: Vec<u8>,
}

/// `rel` relative to the directory of the file `base`, unless absolute.
pub(crate) fn relative_to(base: &Path, rel: &str) -> PathBuf {
    let path = PathBuf::from(rel);
    if path.is_absolute() {
        return path;
    }
    match base.parent() {
        Some(dir) => dir.join(path),
        None => path,
    }
}

/// The help for a file that cannot be used, by why.
fn help(cx: &Cx<'_>, error: &FileError) -> Option<String> {
    match error {
        FileError::NotFound => Some(format!(
            "a relative path is relative to the directory of `{}`",
            cx.path.display()
        )),
        FileError::OutsideRoot { .. } => Some(
            "a plan reads files only under its file root (the directory of the plan named on the command line); widen it with `--file-root DIR`".into(),
        ),
        _ => None,
    }
}

impl Cx<'_> {
    /// Report that `what` at `path` cannot be used, at `node`.
    fn file_error(&mut self, node: &Node, what: &str, path: &Path, error: &FileError) {
        let help = help(self, error);
        self.error(node, format!("{what} `{}` {error}", path.display()), help);
    }

    /// Read the file named by `text` (written at `node`) with at most `max` bytes: resolved
    /// relative to the file being loaded, under the file root. Problems are reported at `node`.
    pub fn read_named_file(
        &mut self,
        node: &Node,
        text: &str,
        what: &str,
        max: u64,
    ) -> Option<NamedFile> {
        if text.trim().is_empty() {
            self.error(node, format!("{what} is empty"), None);
            return None;
        }
        let path = relative_to(self.path, text);
        self.read_path(node, path, what, max)
    }

    /// [`Cx::read_named_file`] for a path already resolved.
    pub fn read_path(
        &mut self,
        node: &Node,
        path: PathBuf,
        what: &str,
        max: u64,
    ) -> Option<NamedFile> {
        let Some(root) = &self.files.root else {
            let error = FileError::Io(std::io::Error::other(
                "the directory of the plan (its file root) cannot be read",
            ));
            self.file_error(node, what, &path, &error);
            return None;
        };
        let read = |root: &FileRoot, path: &Path| -> Result<NamedFile, FileError> {
            let canonical = root.check(path)?;
            let bytes = crate::files::read_file(&canonical, max)?;
            Ok(NamedFile {
                path: path.to_path_buf(),
                canonical,
                bytes,
            })
        };
        match read(root, &path) {
            Ok(file) => Some(file),
            Err(e) => {
                self.file_error(node, what, &path, &e);
                None
            }
        }
    }

    /// Open the file named by `text` (written at `node`) without reading it, for a caller that
    /// streams it (a message file): resolved like [`Cx::read_named_file`], under the file
    /// root, a regular file. Problems are reported at `node`.
    pub fn open_named_file(
        &mut self,
        node: &Node,
        text: &str,
        what: &str,
    ) -> Option<(PathBuf, PathBuf, std::fs::File)> {
        if text.trim().is_empty() {
            self.error(node, format!("{what} is empty"), None);
            return None;
        }
        let path = relative_to(self.path, text);
        let Some(root) = &self.files.root else {
            let error = FileError::Io(std::io::Error::other(
                "the directory of the plan (its file root) cannot be read",
            ));
            self.file_error(node, what, &path, &error);
            return None;
        };
        let opened = root
            .check(&path)
            .and_then(|canonical| Ok((crate::files::open_regular(&canonical)?, canonical)));
        match opened {
            Ok((file, canonical)) => Some((path, canonical, file)),
            Err(e) => {
                self.file_error(node, what, &path, &e);
                None
            }
        }
    }

    /// A PEM file the TLS handshake will need (`ca_file`, `client_cert`, `client_key`),
    /// checked now: a regular file, small enough, holding what it should. The client
    /// certificate and key must lie under the file root (they prove an identity to a server);
    /// a `ca_file` may lie anywhere (`/etc/ssl/...`): it is public, and never shown or sent.
    pub fn check_pem_file(&mut self, node: &Node, path: &Path, kind: PemKind) {
        if !self.files.check_tls_files {
            return;
        }
        let what = kind.what();
        let checked = match kind {
            // Read once per run: the handshakes that trust it use what is read here.
            PemKind::Ca => {
                if crate::transport::checked_ca_file(path).is_some() {
                    return;
                }
                let bytes = match crate::files::read_file(path, MAX_PEM_BYTES) {
                    Ok(bytes) => bytes,
                    Err(e) => return self.file_error(node, what, path, &e),
                };
                crate::transport::parse_pem_certificates(&bytes)
                    .map(|certs| crate::transport::remember_ca_file(path, certs))
            }
            PemKind::ClientCert | PemKind::ClientKey => {
                let Some(file) = self.read_path(node, path.to_path_buf(), what, MAX_PEM_BYTES)
                else {
                    return;
                };
                match kind {
                    PemKind::ClientKey => {
                        crate::transport::parse_pem_private_key(&file.bytes).map(drop)
                    }
                    _ => crate::transport::parse_pem_certificates(&file.bytes).map(drop),
                }
            }
        };
        if let Err(reason) = checked {
            self.error(
                node,
                format!("{what} `{}` is not usable: {reason}", path.display()),
                None,
            );
        }
    }
}

/// What a PEM file named in a plan must hold.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PemKind {
    Ca,
    ClientCert,
    ClientKey,
}

impl PemKind {
    /// The key, as messages name it.
    pub fn key(self) -> &'static str {
        match self {
            PemKind::Ca => "`ca_file`",
            PemKind::ClientCert => "`client_cert`",
            PemKind::ClientKey => "`client_key`",
        }
    }

    fn what(self) -> &'static str {
        match self {
            PemKind::Ca => "ca_file",
            PemKind::ClientCert => "client_cert",
            PemKind::ClientKey => "client_key",
        }
    }
}
