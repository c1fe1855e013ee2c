//! The `rgdb` binary: a thin wrapper over [`rgdb::cli::run`].

use std::io::Write;

fn main() {
    let mut out = std::io::stdout().lock();
    // Not locked: the progress spinner writes to stderr from its own thread.
    let mut err = std::io::stderr();
    let code = rgdb::cli::run(std::env::args_os(), &mut out, &mut err);
    let _ = out.flush();
    std::process::exit(code);
}
