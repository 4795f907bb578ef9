//! Test-only helpers shared by every crate's integration tests: where the emulator is, SDK
//! clients for fixtures, unique names, and commands that run our binaries against it.

pub mod bad_input;
pub mod emulator;
pub mod private_moto;
pub mod proxy;

pub use bad_input::assert_bad_input;
pub use emulator::{
    ACCOUNT, REGION, command, endpoint, hermetic, sdk_config, sdk_config_for, send_ctrl_c,
    unique_name,
};
pub use private_moto::PrivateMoto;
