//! Builds the web interface's files into the binary: every file under `templates/web/` and
//! `assets/` becomes an entry of `WEB_FILES` (see `src/web/files.rs`), so a page, a strings
//! file or a stylesheet is added by adding the file, with no list to keep in step.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    for dir in ["templates/web", "assets"] {
        // A directory: cargo looks at every file under it.
        println!("cargo:rerun-if-changed={dir}");
        walk(&root.join(dir), &mut files);
    }
    // `embed_migrations!` reads this folder at compile time, which cargo cannot see: a new
    // migration must rebuild the crate (diesel_migrations' documented advice).
    println!("cargo:rerun-if-changed=migrations");
    files.sort();
    let mut code = String::from("pub static WEB_FILES: &[(&str, &[u8])] = &[\n");
    for file in files {
        let name = file
            .strip_prefix(&root)
            .expect("under the manifest dir")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            file.display()
        )
        .expect("string");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("web_files.rs");
    std::fs::write(out, code).expect("write web_files.rs");
}
