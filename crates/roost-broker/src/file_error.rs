//! The error of a file Roost reads — configuration, password or ACL file: which file, which
//! line, what is wrong with it and how to fix it. Shown as `FILE:LINE: message`.

use std::fmt;
use std::path::PathBuf;

/// A file that cannot be read or has a bad line.
#[derive(Debug, thiserror::Error)]
pub struct FileError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number; 0 when the error is about the file as a whole.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}
