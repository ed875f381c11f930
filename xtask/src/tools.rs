//! Installs the pinned tools a fresh machine lacks, and skips whatever is
//! already at the pinned version. Nothing is downloaded outside the package
//! registries: Rust tools come from crates.io, JavaScript tools from the
//! committed package-lock.json, Chromium from Debian.

use crate::proc::{output, run, step};
use crate::{Result, root};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TRUNK: &str = "0.21.14";
pub const WORKER_BUILD: &str = "0.8.7";
/// Must equal the wasm-bindgen in Cargo.lock.
pub const WASM_BINDGEN: &str = "0.2.130";

/// Where the pinned tools are.
pub struct Tools {
    pub trunk: PathBuf,
    pub worker_build: PathBuf,
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
    pub esbuild: PathBuf,
    pub wrangler: PathBuf,
    /// `node_modules/.bin` first, then the inherited PATH.
    pub path: String,
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    home.join("bin").join(name)
}

fn version_of(bin: &Path) -> String {
    output(Command::new(bin).arg("--version")).unwrap_or_default()
}

/// Installs one tool from crates.io unless it is already at its version.
///
/// A build tool's own speed does not need fat LTO and one codegen unit (trunk's
/// release profile asks for both, which is most of its 15 minutes on 2 cores):
/// the environment overrides turn them off, and one target directory shared by
/// the three installs compiles their common dependencies once.
fn cargo_install(bin: &str, krate: &str, version: &str, locked: bool, minutes: u32) -> Result<()> {
    let path = cargo_bin(bin);
    if version_of(&path).contains(version) {
        return Ok(());
    }
    step(
        &format!("install {krate} {version} (one time only; about {minutes} min on 2 cores)"),
        || {
            let mut cmd = Command::new("cargo");
            cmd.args(["install", krate, "--version", version, "--force"])
                .arg("--target-dir")
                .arg(crate::stack::target_dir().join("tool-builds"))
                .env("CARGO_PROFILE_RELEASE_LTO", "false")
                .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
                .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
            if locked {
                cmd.arg("--locked");
            }
            let started = std::time::Instant::now();
            let r = run(&mut cmd);
            println!(
                "    {krate}: {:.0} s (estimate was {minutes} min)",
                started.elapsed().as_secs_f64()
            );
            r
        },
    )
}

/// Makes sure every tool is there; `browser` adds Chromium for browser tests.
pub fn ensure(browser: bool) -> Result<Tools> {
    let root = root();
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.contains("wasm32-unknown-unknown") {
        step("add the wasm32 target", || {
            run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
        })?;
    }
    cargo_install("trunk", "trunk", TRUNK, true, 7)?;
    cargo_install("worker-build", "worker-build", WORKER_BUILD, true, 5)?;
    // Its own lock file names a webpki-roots version the registry may not serve.
    cargo_install("wasm-bindgen", "wasm-bindgen-cli", WASM_BINDGEN, false, 3)?;

    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let stale = match (
        std::fs::metadata(&stamp).and_then(|m| m.modified()),
        std::fs::metadata(&lock).and_then(|m| m.modified()),
    ) {
        (Ok(s), Ok(l)) => s < l,
        _ => true,
    };
    if stale {
        step("install JavaScript tools from package-lock.json", || {
            run(Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&root))
        })?;
    }
    if browser && !Path::new("/usr/bin/chromium").exists() {
        step("install Debian's chromium", || {
            run(Command::new("apt-get").arg("update"))?;
            run(Command::new("apt-get").args(["install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]).env("DEBIAN_FRONTEND", "noninteractive"))
        })
        .map_err(|e| format!("{e}; browser tests need Debian's chromium (apt-get install chromium chromium-driver)"))?;
    }

    // Arabic in a real Arabic font, as customers see it; the browser tests
    // must pass with it (and do without it).
    if browser && !Path::new("/usr/share/fonts/truetype/noto").exists() {
        step("install Debian's fonts-noto-core", || {
            run(Command::new("apt-get").arg("update"))?;
            run(Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "fonts-noto-core",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"))
        })
        .map_err(|e| format!("{e}; apt-get install fonts-noto-core"))?;
    }

    let bin = root.join("node_modules/.bin");
    let esbuild_native = root.join("node_modules/@esbuild/linux-x64/bin/esbuild");
    let tools = Tools {
        trunk: cargo_bin("trunk"),
        worker_build: cargo_bin("worker-build"),
        wasm_bindgen: cargo_bin("wasm-bindgen"),
        wasm_opt: bin.join("wasm-opt"),
        esbuild: if esbuild_native.exists() {
            esbuild_native
        } else {
            root.join("node_modules/esbuild/bin/esbuild")
        },
        wrangler: bin.join("wrangler"),
        path: format!(
            "{}:{}:{}",
            bin.display(),
            cargo_bin("").display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    };
    let v = version_of(&tools.wasm_opt);
    if !v.contains("132") {
        return Err(format!(
            "wasm-opt from npm binaryen should be version 132, found `{}`",
            v.trim()
        ));
    }
    Ok(tools)
}
