//! Finds libvnetrss with the `pkg-config` program (module `vnetrss`, or `vnetrss-static` with the
//! `static` feature), the .pc files `make install PREFIX=...` writes under PREFIX/lib/pkgconfig.
//!
//! Tells dependents where it found the library (`links = "vnetrss"`): DEP_VNETRSS_LIBDIR,
//! DEP_VNETRSS_INCLUDEDIR and DEP_VNETRSS_STATIC, and the crate's own tests the same through
//! VNET_RSS_LIBDIR / VNET_RSS_INCLUDEDIR (the layout test compiles against that header).

use std::env;
use std::path::Path;
use std::process::{exit, Command};

fn fail(message: &str) -> ! {
    eprintln!();
    eprintln!("error: vnet-rss-sys: {message}");
    eprintln!(
        "  libvnetrss is found through pkg-config: install it with `make install PREFIX=<dir>` \
         in the vnet-rss repository, then build with PKG_CONFIG_PATH=<dir>/lib/pkgconfig"
    );
    eprintln!();
    exit(1);
}

fn pkg_config(program: &str, arguments: &[&str]) -> String {
    let output = match Command::new(program).args(arguments).output() {
        Ok(output) => output,
        Err(error) => fail(&format!("cannot run `{program}` ({error}); install pkg-config")),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        fail(&format!("`{program} {}` failed: {}", arguments.join(" "), stderr.trim()));
    }
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn main() {
    for variable in ["PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"] {
        println!("cargo:rerun-if-env-changed={variable}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let program = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let is_static = env::var_os("CARGO_FEATURE_STATIC").is_some();
    let module = if is_static { "vnetrss-static" } else { "vnetrss" };

    let version = pkg_config(&program, &["--modversion", module]);
    let libdir = pkg_config(&program, &["--variable=libdir", module]);
    let includedir = pkg_config(&program, &["--variable=includedir", module]);
    let header = Path::new(&includedir).join("vnet_rss.h");
    if !header.is_file() {
        fail(&format!("pkg-config module {module} names {} but it is missing", header.display()));
    }
    println!("cargo:rerun-if-changed={}", header.display());

    let libs = pkg_config(&program, &["--libs", module]);
    for token in libs.split_whitespace() {
        if let Some(directory) = token.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={directory}");
        } else if let Some(name) = token.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={name}");
        } else if token.ends_with(".a") {
            // vnetrss-static names the archive by path.
            let path = Path::new(token);
            let (Some(directory), Some(stem)) = (path.parent(), path.file_stem()) else {
                fail(&format!("cannot use the archive `{token}`"));
            };
            let stem = stem.to_string_lossy();
            let name = stem.strip_prefix("lib").unwrap_or(&stem);
            println!("cargo:rustc-link-search=native={}", directory.display());
            println!("cargo:rustc-link-lib=static={name}");
        } else if token.starts_with("-Wl,") {
            // The rpath in vnetrss.pc: for this crate's own tests; dependents get DEP_VNETRSS_LIBDIR.
            println!("cargo:rustc-link-arg={token}");
        } else {
            println!("cargo:warning=vnet-rss-sys: ignoring `{token}` from pkg-config --libs {module}");
        }
    }
    println!("cargo:libdir={libdir}");
    println!("cargo:includedir={includedir}");
    println!("cargo:static={}", u8::from(is_static));
    println!("cargo:version={version}");
    println!("cargo:rustc-env=VNET_RSS_LIBDIR={libdir}");
    println!("cargo:rustc-env=VNET_RSS_INCLUDEDIR={includedir}");
    println!("cargo:rustc-env=VNET_RSS_STATIC={}", u8::from(is_static));
}
