//! Integration and browser tests live in `tests/`; this library is empty.
