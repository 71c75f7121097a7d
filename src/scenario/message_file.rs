//! `data: {file: F}`: the message file is scanned at load time in bounded chunks — checked to be
//! UTF-8, its `${..}` references parsed and checked — and only where those references are is
//! kept, never its text. The runner streams it from disk when the step runs. A file named by
//! several steps or scenarios is scanned once per process and shared.
//!
//! Why one file: about 500 lines of code (the bounded scan, its cache and the error
//! locations read the same file format), then its unit tests.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::context::{Cx, VarScope};
use super::diagnostic::{Diagnostic, did_you_mean};
use crate::model::{FilePart, MessageFile};
use crate::template::{Part, Template};

/// How much of the file is read at a time.
const CHUNK: usize = 64 * 1024;
/// A `${..}` longer than this is taken as unclosed.
const MAX_REFERENCE: usize = 4096;
/// The most bytes of a line kept to find a column in it.
const MAX_KEPT_LINE: usize = 1200;

/// Open a message file again when the step runs (the path checked against the file root at
/// load time, as canonical): a regular file, opened without blocking.
pub fn open_message_file(path: &Path) -> std::io::Result<File> {
    crate::files::open_regular(path).map_err(|e| match e {
        crate::files::FileError::Io(e) => e,
        crate::files::FileError::NotFound => std::io::ErrorKind::NotFound.into(),
        other => std::io::Error::other(other.to_string()),
    })
}

/// A problem found while scanning, at a byte offset of the file.
struct ScanError {
    offset: u64,
    message: String,
    help: Option<String>,
}

/// A scan, with the environment variables it looked up (to tell whether it can be reused).
#[derive(Debug)]
struct Scanned {
    file: Arc<MessageFile>,
    env_seen: Vec<(String, Option<String>)>,
}

/// What a scan failed with: a whole-file problem, or problems at offsets.
enum ScanFailure {
    File(String),
    At(Vec<ScanError>),
}

/// Scan the opened `file` (a literal when `raw`), or reuse an earlier scan of the same
/// unchanged file.
fn scan_cached(
    path: &Path,
    canonical: &Path,
    file: File,
    raw: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<MessageFile>, ScanFailure> {
    type Key = (PathBuf, bool);
    static CACHE: OnceLock<Mutex<HashMap<Key, Scanned>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (canonical.to_path_buf(), raw);
    let meta = file
        .metadata()
        .map_err(|e| ScanFailure::File(io_words(&e)))?;
    let stamp = (meta.len(), meta.modified().ok());
    if let Some(hit) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && hit.file.path == path
        && (hit.file.len, hit.file.modified) == stamp
        && hit.env_seen.iter().all(|(name, value)| env(name) == *value)
    {
        return Ok(Arc::clone(&hit.file));
    }
    let seen = std::cell::RefCell::new(Vec::new());
    let recording = |name: &str| {
        let value = env(name);
        seen.borrow_mut().push((name.to_owned(), value.clone()));
        value
    };
    let parts = scan(file, raw, &recording)?;
    let scanned = Arc::new(MessageFile {
        path: path.to_path_buf(),
        canonical: canonical.to_path_buf(),
        len: stamp.0,
        modified: stamp.1,
        parts,
    });
    cache.lock().unwrap_or_else(|e| e.into_inner()).insert(
        key,
        Scanned {
            file: Arc::clone(&scanned),
            env_seen: seen.into_inner(),
        },
    );
    Ok(scanned)
}

fn io_words(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        _ => format!("cannot be read: {e}"),
    }
}

/// Checks UTF-8 across chunk boundaries.
#[derive(Default)]
struct Utf8Check {
    /// An incomplete character at the end of the last chunk.
    carry: Vec<u8>,
}

impl Utf8Check {
    fn feed(&mut self, chunk: &[u8]) -> bool {
        let mut joined;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(chunk);
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.carry = bytes.get(e.valid_up_to()..).unwrap_or_default().to_vec();
                true
            }
            Err(_) => false,
        }
    }

    fn finish(&self) -> bool {
        self.carry.is_empty()
    }
}

/// The parts of a message file: byte ranges sent as they are, and the `${..}` references
/// (and `$${`, `${env:..}` as literal text) between them.
fn scan(
    mut file: File,
    raw: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<FilePart>, ScanFailure> {
    let not_utf8 = || ScanFailure::File("is not UTF-8 text".to_owned());
    let mut utf8 = Utf8Check::default();
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    // `buf` holds the file from offset `base` on; bytes before `pos` are scanned.
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + MAX_REFERENCE);
    let mut base = 0u64;
    let mut pos = 0usize;
    let mut literal_from = 0u64;
    let mut eof = false;
    let mut chunk = vec![0u8; CHUNK];
    loop {
        let more_needed = if raw {
            pos = buf.len();
            true
        } else {
            match scan_step(&buf, pos, eof, env) {
                Step::Literal(next) => {
                    pos = next;
                    pos >= buf.len()
                }
                Step::NeedMore(at) => {
                    pos = at;
                    true
                }
                Step::Reference { at, end, template } => {
                    let start = base + at as u64;
                    if start > literal_from {
                        parts.push(FilePart::Bytes(literal_from..start));
                    }
                    parts.push(FilePart::Template(template, start));
                    literal_from = base + end as u64;
                    pos = end;
                    false
                }
                Step::Bad { at, end, message } => {
                    errors.push(ScanError {
                        offset: base + at as u64,
                        message,
                        help: Some(literal_help()),
                    });
                    pos = end;
                    false
                }
            }
        };
        if !more_needed {
            continue;
        }
        if eof {
            break;
        }
        let keep = pos.min(buf.len());
        buf.drain(..keep);
        base += keep as u64;
        pos -= keep;
        let n = read_some(&mut file, &mut chunk).map_err(|e| ScanFailure::File(io_words(&e)))?;
        let got = chunk.get(..n).unwrap_or_default();
        if !utf8.feed(got) {
            return Err(not_utf8());
        }
        if n == 0 {
            eof = true;
        } else {
            buf.extend_from_slice(got);
        }
    }
    if !utf8.finish() {
        return Err(not_utf8());
    }
    let end = base + buf.len() as u64;
    if end > literal_from {
        parts.push(FilePart::Bytes(literal_from..end));
    }
    if errors.is_empty() {
        Ok(parts)
    } else {
        Err(ScanFailure::At(errors))
    }
}

fn read_some(file: &mut File, chunk: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

enum Step {
    /// Plain text up to here (an index into the buffer).
    Literal(usize),
    /// A `$` at this index needs more bytes to decide.
    NeedMore(usize),
    Reference {
        at: usize,
        end: usize,
        template: Template,
    },
    Bad {
        at: usize,
        end: usize,
        message: String,
    },
}

/// The next thing in `buf` from `pos`.
fn scan_step(buf: &[u8], pos: usize, eof: bool, env: &dyn Fn(&str) -> Option<String>) -> Step {
    let rest = buf.get(pos..).unwrap_or_default();
    let Some(i) = memchr::memchr(b'$', rest) else {
        return Step::Literal(buf.len());
    };
    let at = pos + i;
    let tail = buf.get(at..).unwrap_or_default();
    if tail.len() < 3 && !eof {
        return Step::NeedMore(at);
    }
    let literal = |end: usize, text: &str| Step::Reference {
        at,
        end,
        template: Template::literal(text),
    };
    if tail.starts_with(b"$${") {
        return literal(at + 3, "${");
    }
    if !tail.starts_with(b"${") {
        return Step::Literal(at + 1);
    }
    let window = tail.get(..MAX_REFERENCE.min(tail.len())).unwrap_or(tail);
    let Some(close) = memchr::memchr(b'}', window) else {
        if !eof && tail.len() < MAX_REFERENCE {
            return Step::NeedMore(at);
        }
        return Step::Bad {
            at,
            end: at + 2,
            message: "unclosed `${`: add `}` (or write `$${` for a literal `${`)".into(),
        };
    };
    let end = at + close + 1;
    // Checked UTF-8 as a whole already; a reference cut inside a character cannot parse.
    let text = String::from_utf8_lossy(tail.get(..=close).unwrap_or_default());
    match Template::parse(&text, env) {
        Ok(template) => Step::Reference { at, end, template },
        Err(e) => Step::Bad {
            at,
            end,
            message: e.message,
        },
    }
}

/// The message as the plan means it (literal text, `${name}` references), at most `max` bytes
/// of the file; for `doc`. A file that cannot be read any more shows as its path.
pub fn preview_message_file(
    file: &MessageFile,
    max: u64,
    show: &dyn Fn(&Template) -> String,
) -> String {
    use std::io::{Seek, SeekFrom};
    let Ok(mut handle) = open_message_file(&file.canonical) else {
        return format!("[message file {}]", file.path.display());
    };
    let mut out = Vec::new();
    for part in &file.parts {
        let room = max.saturating_sub(out.len() as u64);
        match part {
            FilePart::Bytes(range) => {
                let want = (range.end - range.start).min(room);
                if handle.seek(SeekFrom::Start(range.start)).is_err()
                    || (&mut handle).take(want).read_to_end(&mut out).is_err()
                {
                    break;
                }
            }
            FilePart::Template(t, _) => out.extend_from_slice(show(t).as_bytes()),
        }
        if out.len() as u64 >= max {
            out.extend_from_slice("\n…".as_bytes());
            break;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn literal_help() -> String {
    "write `$${` for a literal `${`, or send the file as it is with `raw: true`".into()
}

/// The message file named at `node` for a step: opened under the file root, scanned, its
/// references checked against `scope`; problems point into the file (line, column and the
/// line itself), or at `node` for the file as a whole.
pub(crate) fn load_message_file(
    cx: &mut Cx<'_>,
    node: &super::node::Node,
    raw: bool,
    scope: &VarScope<'_>,
) -> Option<Arc<MessageFile>> {
    let text = cx.text(node, "the message file")?;
    let (path, canonical, file) = cx.open_named_file(node, &text, "the message file")?;
    let mut problems = match scan_cached(&path, &canonical, file, raw, cx.env) {
        Ok(file) => {
            let unknown = unknown_references(&file, scope);
            if unknown.is_empty() {
                return Some(file);
            }
            unknown
        }
        Err(ScanFailure::File(why)) => {
            let help = why.contains("UTF-8").then(|| {
                "encode binary parts (base64) in the file, or attach them with `attachments`"
                    .to_owned()
            });
            cx.error(
                node,
                format!("the message file `{}` {why}", path.display()),
                help,
            );
            return None;
        }
        Err(ScanFailure::At(errors)) => errors,
    };
    problems.sort_by_key(|p| p.offset);
    let places = locate(&canonical, problems.iter().map(|p| p.offset));
    for (p, place) in problems.into_iter().zip(places) {
        cx.diags.push(Diagnostic {
            path: path.clone(),
            line: place.line,
            col: place.col,
            width: place.width,
            message: p.message,
            help: p.help,
            // Never the line itself: a message file is not YAML, and may hold anything.
            source_line: None,
        });
    }
    None
}

/// The references of `file` to variables that `scope` does not know.
fn unknown_references(file: &MessageFile, scope: &VarScope<'_>) -> Vec<ScanError> {
    let mut out = Vec::new();
    for part in &file.parts {
        let FilePart::Template(t, offset) = part else {
            continue;
        };
        for p in t.parts() {
            let names: Vec<&String> = match p {
                Part::Var { name, .. } => vec![name],
                Part::Func { args, .. } => args.iter().collect(),
                Part::Lit(_) | Part::Env { .. } => Vec::new(),
            };
            for name in names {
                if scope.known.contains(name) {
                    continue;
                }
                let help = match did_you_mean(name, scope.known.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!(
                        "define it under `vars:`, pass `--var {name}=VALUE`, or `capture` it in an earlier step; {}",
                        literal_help()
                    ),
                };
                out.push(ScanError {
                    offset: *offset,
                    message: format!("undefined variable `{name}`"),
                    help: Some(help),
                });
            }
        }
    }
    out
}

/// Where a byte offset is: 1-based line and character column, and the caret's width (up to
/// the `}` on that line).
#[derive(Debug, Default, PartialEq, Eq)]
struct Place {
    line: u32,
    col: u32,
    width: u32,
}

/// The places of `offsets` (ascending) in the file, in one more pass over it.
fn locate(path: &Path, offsets: impl Iterator<Item = u64>) -> Vec<Place> {
    let offsets: Vec<u64> = offsets.collect();
    let mut places: Vec<Place> = Vec::with_capacity(offsets.len());
    let Ok(mut file) = open_message_file(path) else {
        return offsets.iter().map(|_| Place::default()).collect();
    };
    let mut line = 1u32;
    // The current line's bytes, up to a bound.
    let mut current: Vec<u8> = Vec::new();
    let mut line_start = 0u64;
    let mut at = 0u64;
    let mut next = 0usize;
    // Offsets on the current line waiting for its end (to show the whole line).
    let mut waiting: Vec<u64> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    let keep = MAX_KEPT_LINE + MAX_REFERENCE;
    let mut finish_line = |current: &[u8], line: u32, line_start: u64, waiting: &mut Vec<u64>| {
        let text = String::from_utf8_lossy(current);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        for offset in waiting.drain(..) {
            let upto = usize::try_from(offset - line_start).unwrap_or(usize::MAX);
            let before = String::from_utf8_lossy(current.get(..upto).unwrap_or(current));
            let col = before.chars().count() + 1;
            let after = text.get(upto.min(text.len())..).unwrap_or_default();
            let width = after
                .find('}')
                .and_then(|e| after.get(..=e))
                .map_or(2, |s| s.chars().count());
            places.push(Place {
                line,
                col: u32::try_from(col).unwrap_or(u32::MAX),
                width: u32::try_from(width).unwrap_or(u32::MAX),
            });
        }
    };
    loop {
        let n = read_some(&mut file, &mut chunk).unwrap_or(0);
        if n == 0 {
            break;
        }
        for &b in chunk.get(..n).unwrap_or_default() {
            while offsets.get(next) == Some(&at) {
                waiting.push(at);
                next += 1;
            }
            if b == b'\n' {
                finish_line(&current, line, line_start, &mut waiting);
                current.clear();
                line = line.saturating_add(1);
                line_start = at + 1;
            } else if current.len() < keep {
                current.push(b);
            }
            at += 1;
        }
        if next >= offsets.len() && waiting.is_empty() {
            break;
        }
    }
    finish_line(&current, line, line_start, &mut waiting);
    while places.len() < offsets.len() {
        places.push(Place::default());
    }
    places
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn scan_text(text: &[u8]) -> Result<Vec<FilePart>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(&path, text).unwrap();
        let env = |name: &str| (name == "HOME_X").then(|| "/home/x".to_owned());
        match scan(File::open(&path).unwrap(), false, &env) {
            Ok(parts) => Ok(parts),
            Err(ScanFailure::File(m)) => Err(m),
            Err(ScanFailure::At(e)) => Err(e
                .iter()
                .map(|e| format!("{}: {}", e.offset, e.message))
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }

    #[test]
    fn references_and_literals_are_found() {
        let parts = scan_text(b"a ${x} b $${y} ${env:HOME_X} $ c").unwrap();
        let shown: Vec<String> = parts
            .iter()
            .map(|p| match p {
                FilePart::Bytes(r) => format!("{}..{}", r.start, r.end),
                FilePart::Template(t, at) => format!(
                    "{at}:{}",
                    t.render(&std::collections::BTreeMap::from([(
                        "x".into(),
                        "X".into()
                    )]))
                    .unwrap()
                ),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "0..2",
                "2:X",
                "6..9",
                "9:${",
                "12..15",
                "15:/home/x",
                "28..32"
            ]
        );
    }

    #[test]
    fn a_reference_across_chunks_is_whole() {
        let mut text = vec![b'a'; CHUNK - 3];
        text.extend_from_slice(b"${name} end");
        let parts = scan_text(&text).unwrap();
        assert!(matches!(&parts[1], FilePart::Template(t, at)
            if t.to_string() == "${name}" && *at == (CHUNK - 3) as u64));
        // A dollar as the very last byte of a chunk is plain text.
        let mut text = vec![b'a'; CHUNK - 1];
        text.extend_from_slice(b"$ x");
        assert_eq!(scan_text(&text).unwrap().len(), 1);
    }

    #[test]
    fn problems_are_at_their_offsets() {
        let bad_name = Template::parse("${bad name}", &|_| None)
            .unwrap_err()
            .message;
        assert_eq!(
            scan_text(b"ok ${bad name} ${x").unwrap_err(),
            format!(
                "3: {bad_name}; 15: unclosed `${{`: add `}}` (or write `$${{` for a literal `${{`)"
            )
        );
        assert_eq!(scan_text(b"caf\xc3").unwrap_err(), "is not UTF-8 text");
        assert_eq!(scan_text(b"\xff").unwrap_err(), "is not UTF-8 text");
        // A character split across two chunks is fine.
        let mut text = vec![b'a'; CHUNK - 1];
        text.extend_from_slice("é".as_bytes());
        assert!(scan_text(&text).is_ok());
    }

    #[test]
    fn places_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(&path, "Subject: x\r\n\r\nHello ${who}, é ${x}\n").unwrap();
        let places = locate(&path, [20u64, 31].into_iter());
        assert_eq!(places[0].line, 3);
        assert_eq!(places[0].col, 7);
        assert_eq!(places[0].width, 6);
        assert_eq!(places[1].col, 17);
    }
}
