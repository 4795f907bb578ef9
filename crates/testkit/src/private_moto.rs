//! A moto server of a test's own, for the rare test the shared emulator cannot serve: moto's
//! ListOriginAccessControls ignores `Marker` and always answers the first 100, so in the shared
//! emulator, where other tests leave hundreds of OACs, new ones could never be listed.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A moto server on a free loopback port, stopped when dropped. It runs the project's pinned
/// moto (scripts/emulator.sh installs it under target/emulator/).
pub struct PrivateMoto {
    child: Child,
    endpoint: String,
}

impl PrivateMoto {
    /// Starts it and waits until it accepts connections. Panics (the test's failure report) if
    /// it does not start within 15 s.
    pub fn start() -> PrivateMoto {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .expect("testkit sits in crates/ of the workspace");
        let server = workspace.join("target/emulator/venv/bin/moto_server");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", server.display()));
        let moto = PrivateMoto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..150 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto did not start on port {port}");
    }

    /// Its address, e.g. `http://127.0.0.1:40123`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
