//! Release builds: the portal by Trunk into `dist/`, the worker by
//! worker-build into `edge/build/`. Neither may download anything: both are
//! pointed at the pinned local wasm-bindgen and the npm wasm-opt.

use crate::proc::{run, step};
use crate::tools::Tools;
use crate::{Result, root};
use std::process::Command;

pub fn all(t: &Tools) -> Result<()> {
    portal(t)?;
    edge(t)
}

pub fn portal(t: &Tools) -> Result<()> {
    step("build the portal (trunk --release)", || {
        run(Command::new(&t.trunk)
            .args(["build", "--release", "--offline"])
            .current_dir(root())
            .env("PATH", &t.path)
            .env("NO_COLOR", "true"))
    })
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
    })
}
