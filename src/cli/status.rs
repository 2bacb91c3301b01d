//! The process exit status: the documented exit codes as one closed set.

use super::output::exit;

/// How the process ends. Commands still report the raw [`exit`] codes; [`ExitStatus::from_code`]
/// reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success; under `plan --detailed-exitcode`, success with no changes.
    Success,
    /// 1: an error (bad input, a failed statement, refused changes, a command-line typo).
    Failure,
    /// 2: `plan --detailed-exitcode` succeeded and the plan has changes.
    Changes,
}

impl ExitStatus {
    /// The documented code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => exit::OK,
            ExitStatus::Failure => exit::ERROR,
            ExitStatus::Changes => exit::CHANGES,
        }
    }

    /// The status of a documented code; any other code is a failure.
    pub fn from_code(code: u8) -> Self {
        match code {
            exit::OK => ExitStatus::Success,
            exit::CHANGES => ExitStatus::Changes,
            _ => ExitStatus::Failure,
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
    fn codes_round_trip() {
        for status in [
            ExitStatus::Success,
            ExitStatus::Failure,
            ExitStatus::Changes,
        ] {
            assert_eq!(ExitStatus::from_code(status.code()), status);
        }
        assert_eq!(ExitStatus::from_code(7), ExitStatus::Failure);
    }
}
