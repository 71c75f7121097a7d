//! Report directories (`--transcript-dir`, `--html`) hold only the files of the run that wrote
//! them: each run clears what the previous one left. Only a directory smtp-plan wrote (it holds
//! [`MARKER`]) is cleared; a directory with other files is refused, never emptied.

use std::io;
use std::path::Path;

/// The file that marks a directory as written by smtp-plan.
pub const MARKER: &str = ".smtp-plan-report";

/// Make `dir` an empty directory marked as ours: create it, or clear it when it is empty or
/// marked; refuse (an error naming it) when it holds anything else.
pub fn prepare(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir_all(dir)?,
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_dir() => {
            return Err(io::Error::other("it exists and is not a directory"));
        }
        Ok(_) => {
            let entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
            let ours = entries.iter().any(|e| e.file_name() == MARKER);
            if !entries.is_empty() && !ours {
                return Err(io::Error::other(
                    "it holds files smtp-plan did not write (name a new or empty directory)",
                ));
            }
            for entry in entries {
                let path = entry.path();
                if entry.file_type()?.is_dir() {
                    std::fs::remove_dir_all(&path)?;
                } else {
                    std::fs::remove_file(&path)?;
                }
            }
        }
    }
    std::fs::write(
        dir.join(MARKER),
        "Written by smtp-plan; each run replaces everything in this directory.\n",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn clears_only_its_own_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        prepare(&dir).unwrap();
        std::fs::create_dir(dir.join("old-suite")).unwrap();
        std::fs::write(dir.join("old-suite/gone.txt"), "x").unwrap();
        prepare(&dir).unwrap();
        assert!(!dir.join("old-suite").exists());
        assert!(dir.join(MARKER).is_file());

        let foreign = tmp.path().join("mine");
        std::fs::create_dir(&foreign).unwrap();
        std::fs::write(foreign.join("notes.txt"), "keep").unwrap();
        assert!(prepare(&foreign).is_err());
        assert_eq!(
            std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
            "keep"
        );

        let file = tmp.path().join("f");
        std::fs::write(&file, "x").unwrap();
        assert!(prepare(&file).is_err());
    }
}
