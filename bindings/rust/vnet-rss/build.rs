//! Links vnet-rss's own tests, examples and binaries with the rpath of the libvnetrss that
//! vnet-rss-sys found (DEP_VNETRSS_LIBDIR), so they run without LD_LIBRARY_PATH. A crate that
//! depends on vnet-rss and links libvnetrss.so dynamically sets its own rpath (or
//! LD_LIBRARY_PATH); cargo passes link arguments only to the package that prints them.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_VNETRSS_LIBDIR");
    println!("cargo:rerun-if-env-changed=DEP_VNETRSS_STATIC");
    let is_static = std::env::var("DEP_VNETRSS_STATIC").map(|v| v == "1").unwrap_or(false);
    if let (Ok(libdir), false) = (std::env::var("DEP_VNETRSS_LIBDIR"), is_static) {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    }
}
