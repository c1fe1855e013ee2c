//! Build script with one job: the link order of the `rgdb` binary's hot code (issue 22).
//!
//! A tiny query executes about 2 M instructions, but before this they were spread over the
//! binary's 68 MB of code, and Linux maps code in 64 KiB windows: a first
//! `SELECT count(*) FROM subjects` made about 1,000 page faults, held 42 MiB resident and
//! took 2.7× as long as the same statement run again. `assets/hot-symbols.txt` lists the
//! functions a short session executes (written by `benches/startup/hot_symbols.py` under
//! callgrind); lld's `--symbol-ordering-file` places them first and side by side, about
//! 6 MiB, so the same process holds 19 MiB and its first statement costs 1.4× a later one
//! (`benches/README.md`).
//!
//! Only for release builds on x86_64 Linux, where rustc links with lld by default (1.90 and
//! later), and only when no other linker is configured. The names are mangled names of one
//! rustc and one Cargo.lock: lld ignores names it does not find, so a stale list costs
//! speed, never correctness.

use std::env;
use std::path::Path;

const LIST: &str = "assets/hot-symbols.txt";

fn main() {
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-changed=build.rs");
    let cfg = |name: &str| env::var(name).unwrap_or_default();
    let lld_by_default = cfg("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && cfg("CARGO_CFG_TARGET_OS") == "linux"
        && cfg("CARGO_CFG_TARGET_ENV") == "gnu";
    let flags = cfg("CARGO_ENCODED_RUSTFLAGS");
    let other_linker = env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || (flags.contains("fuse-ld") && !flags.contains("fuse-ld=lld"));
    let list = Path::new(&cfg("CARGO_MANIFEST_DIR")).join(LIST);
    if cfg("PROFILE") != "release" || !lld_by_default || other_linker || !list.is_file() {
        return;
    }
    // `-Xlinker` passes the path whole (`-Wl,` would split it at a comma).
    for arg in [
        "-Xlinker".to_string(),
        format!("--symbol-ordering-file={}", list.display()),
        "-Xlinker".to_string(),
        "--no-warn-symbol-ordering".to_string(),
    ] {
        println!("cargo:rustc-link-arg-bin=rgdb={arg}");
    }
}
