//! The process exit status: the documented exit codes as one closed set.

/// How the process ends; every command returns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; under `plan --detailed-exitcode`, success with no changes.
    Success,
    /// 1: an error (bad input, a failed statement, refused changes, a command-line typo).
    Failure,
    /// 2: `plan --detailed-exitcode` succeeded and the plan has changes; `status
    /// --detailed-exitcode` found something to act on.
    Changes,
}

impl ExitStatus {
    /// The documented code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_codes() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::Failure.code(), 1);
        assert_eq!(ExitStatus::Changes.code(), 2);
    }
}
