//! Build script with one job: the link order of the `rgdb` binary's hot code (issue 22).
//!
//! A tiny query executes about 2 M instructions, but they are spread over the binary's 68.6 MB
//! of code (`.text`, `size -A`), and Linux maps code in 64 KiB windows. `assets/hot-symbols.txt`
//! lists the functions a short session executes (written by `benches/startup/hot_symbols.py`
//! under callgrind); lld's `--symbol-ordering-file` places them first and side by side, about
//! 6 MiB. Measured on 2026-12-07 with the same code linked without and with the list: peak RSS
//! of a `SELECT count(*) FROM subjects` process 52.3 → 18.5 / 19.2 MiB (S / M), first statement
//! 2.0× → 1.5× / 1.7× a later one (`benches/README.md`, "The hot-code order").
//!
//! Only for release builds, and only when rustc links with its own lld: x86_64 Linux with
//! rustc 1.90 or later from rustup, whose sysroot ships `gcc-ld/ld.lld`, and no other linker
//! configured. A rustc that links with the system's `ld` (a distribution's package) would
//! refuse the flag, so it gets none. The names are mangled names of one rustc and one
//! Cargo.lock: lld ignores names it does not find, so a stale list costs speed, never
//! correctness.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const LIST: &str = "assets/hot-symbols.txt";

fn main() {
    println!("cargo:rerun-if-changed={LIST}");
    println!("cargo:rerun-if-changed=build.rs");
    let cfg = |name: &str| env::var(name).unwrap_or_default();
    let list = Path::new(&cfg("CARGO_MANIFEST_DIR")).join(LIST);
    if cfg("PROFILE") != "release" || !list.is_file() || !links_with_rust_lld(&cfg) {
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

/// Whether rustc links this build with the lld of its own sysroot.
fn links_with_rust_lld(cfg: &dyn Fn(&str) -> String) -> bool {
    let target = cfg("TARGET");
    if target != "x86_64-unknown-linux-gnu" {
        return false;
    }
    let flags = cfg("CARGO_ENCODED_RUSTFLAGS");
    if env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("fuse-ld")
    {
        return false;
    }
    let rustc = cfg("RUSTC");
    let run = |args: &[&str]| {
        Command::new(&rustc)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    // `release: 1.95.0`: lld became the default linker here in 1.90.
    let recent = run(&["-vV"]).is_some_and(|v| {
        v.lines()
            .find_map(|l| l.strip_prefix("release: "))
            .and_then(|r| r.split('.').nth(1))
            .and_then(|minor| minor.parse::<u32>().ok())
            .is_some_and(|minor| minor >= 90)
    });
    let ships_lld = run(&["--print", "sysroot"]).is_some_and(|sysroot| {
        PathBuf::from(sysroot)
            .join("lib/rustlib")
            .join(&target)
            .join("bin/gcc-ld/ld.lld")
            .is_file()
    });
    recent && ships_lld
}
