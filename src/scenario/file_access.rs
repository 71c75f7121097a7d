//! How the files a plan names may be reached: the file root they must lie under, and
//! whether TLS files are read at load. Held by every loading context ([`super::context::Cx`]).

use crate::files::FileRoot;

/// How the files a plan names are reached and checked.
#[derive(Debug)]
pub(crate) struct FileAccess {
    /// Where they must lie; `None` when the root cannot be read (every file is then refused).
    pub root: Option<FileRoot>,
    /// Whether `ca_file`, `client_cert` and `client_key` are read and checked at load (not by
    /// `doc`, which describes plans without running them).
    pub check_tls_files: bool,
}

/// No files at all (a `--vars-file` names none).
pub(crate) static NO_FILES: FileAccess = FileAccess {
    root: None,
    check_tls_files: false,
};
