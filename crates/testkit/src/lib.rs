//! Test-only helpers shared by every crate's integration tests: where the emulator is, SDK
//! clients for fixtures, unique names, and commands that run our binaries against it.

pub mod emulator;
pub mod proxy;

pub use emulator::{ACCOUNT, REGION, command, endpoint, sdk_config, sdk_config_for, unique_name};
