//! Integration tests: the real binary, one module per command.
