//! The project's runner, behind `cargo xtask`. One flat match over subcommands; each task lives
//! in its own module. Run bare to see the list.

mod emulator;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use xshell::Shell;

const USAGE: &str = "\
cargo xtask <command>

Commands:
  test [ARGS...]          start the emulator, run every test against it, stop it
                          (ARGS go to `cargo test`, e.g. `-p rm-dynamodb`)
  emulator start|stop|status
                          manage the local AWS emulator (moto) under target/emulator/";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    match command {
        "test" => test::run(&sh, rest),
        "emulator" => emulator::run(&sh, rest),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("xtask: unknown command {other:?}\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The workspace root: xtask's manifest lives one level below it.
fn project_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}
