//! Why a command failed, and the exit status that says so.

/// A failed check or evaluation.
pub const FAILED: u8 = 1;
/// A usage or parse error.
pub const USAGE: u8 = 2;

#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            code: USAGE,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Failure {
        Failure {
            code: FAILED,
            message: message.into(),
        }
    }
}
