//! Release builds: the portal by Trunk into `dist/`, the worker by
//! worker-build into `edge/build/`. Neither may download anything: both are
//! pointed at the pinned local wasm-bindgen and the npm wasm-opt.

use crate::proc::{run, step};
use crate::tools::Tools;
use crate::{Result, root};
use std::process::Command;

pub fn all(t: &Tools) -> Result<()> {
    portal(t)?;
    console(t)?;
    disputes(t)?;
    edge(t)
}

/// The console into `dist/console/`, after the portal (whose build empties
/// `dist/`), served under `/console/`.
pub fn console(t: &Tools) -> Result<()> {
    step("build the console (trunk --release)", || {
        run(Command::new(&t.trunk)
            .args([
                "build",
                "console/index.html",
                "--release",
                "--offline=true",
                "--dist",
                "dist/console",
                "--public-url",
                "/console/",
            ])
            .current_dir(root())
            .env("PATH", &t.path)
            .env("NO_COLOR", "true"))
    })?;
    step("minify the console's JS glue (esbuild)", || {
        minify_glue(t, &root().join("dist").join("console"))
    })
}

/// The customer's dispute pages into `dist/disputes/`, a bundle apart from
/// the portal's pay path (same crate, binary `settle-thread`), served under
/// `/disputes/`.
pub fn disputes(t: &Tools) -> Result<()> {
    step("build the dispute pages (trunk --release)", || {
        run(Command::new(&t.trunk)
            .args([
                "build",
                "portal/disputes/index.html",
                "--release",
                "--offline=true",
                "--dist",
                "dist/disputes",
                "--public-url",
                "/disputes/",
            ])
            .current_dir(root())
            .env("PATH", &t.path)
            .env("NO_COLOR", "true"))
    })?;
    step("minify the dispute pages' JS glue (esbuild)", || {
        minify_glue(t, &root().join("dist").join("disputes"))
    })
}

pub fn portal(t: &Tools) -> Result<()> {
    step("build the portal (trunk --release)", || {
        run(Command::new(&t.trunk)
            .args(["build", "--release", "--offline"])
            .current_dir(root())
            .env("PATH", &t.path)
            .env("NO_COLOR", "true"))
    })?;
    step("minify the portal's JS glue (esbuild)", || {
        minify_glue(t, &root().join("dist"))
    })
}

/// Trunk minifies the CSS and HTML but not wasm-bindgen's JS glue: esbuild
/// does (about 2 KB gzip off the pay path's first load), and the glue's
/// `integrity` hash in index.html is brought up to date.
fn minify_glue(t: &Tools, dist: &std::path::Path) -> Result<()> {
    use base64::Engine;
    use sha2::{Digest, Sha384};
    let integrity = |bytes: &[u8]| {
        format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(bytes))
        )
    };
    let glue = std::fs::read_dir(dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "js"))
        .ok_or("no JS glue in dist/")?;
    let before = std::fs::read(&glue).map_err(|e| e.to_string())?;
    run(Command::new(&t.esbuild)
        .arg(&glue)
        .args([
            "--minify",
            "--format=esm",
            "--allow-overwrite",
            "--log-level=warning",
        ])
        .arg(format!("--outfile={}", glue.display())))?;
    let after = std::fs::read(&glue).map_err(|e| e.to_string())?;
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(|e| e.to_string())?;
    let (old, new) = (integrity(&before), integrity(&after));
    if !html.contains(&old) {
        return Err(format!(
            "index.html does not name the glue's integrity {old}"
        ));
    }
    std::fs::write(&index, html.replace(&old, &new)).map_err(|e| e.to_string())?;
    println!(
        "    {}: {} B → {} B",
        glue.file_name().unwrap_or_default().to_string_lossy(),
        before.len(),
        after.len()
    );
    Ok(())
}

pub fn edge(t: &Tools) -> Result<()> {
    step("build the worker (worker-build --release)", || {
        run(Command::new(&t.worker_build)
            .arg("--release")
            .current_dir(root().join("edge"))
            .env("PATH", &t.path)
            .env("WASM_BINDGEN_BIN", &t.wasm_bindgen)
            .env("WASM_OPT_BIN", &t.wasm_opt)
            .env("ESBUILD_BIN", &t.esbuild))
    })?;
    step("shrink the worker (wasm-opt -O1)", || shrink_worker(t))
}

/// Runs binaryen over the worker's wasm in place. `-O1` is the level that
/// compresses best here: measured on this worker, 1,023,905 B gzip before,
/// 813,202 B after `-O1` (15 s), 877,449 B after `-Os` and 885,309 B after
/// `-Oz` (75–80 s each; their outlining compresses worse). The worker uses
/// wasm exception-handling tags, so binaryen gets the features workerd's V8
/// runs (not `--all-features`: its compact import section fails to compile).
const FEATURES: [&str; 8] = [
    "sign-ext",
    "mutable-globals",
    "nontrapping-float-to-int",
    "bulk-memory",
    "bulk-memory-opt",
    "exception-handling",
    "reference-types",
    "multivalue",
];

fn shrink_worker(t: &Tools) -> Result<()> {
    let wasm = root().join("edge").join("build").join("index_bg.wasm");
    let out = wasm.with_extension("opt.wasm");
    let before = std::fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    run(Command::new(&t.wasm_opt)
        .args(["-O1"])
        .args(FEATURES.map(|f| format!("--enable-{f}")))
        .arg(&wasm)
        .arg("-o")
        .arg(&out))?;
    std::fs::rename(&out, &wasm).map_err(|e| e.to_string())?;
    let after = std::fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    println!("    index_bg.wasm: {before} B → {after} B");
    Ok(())
}
