use std::process::ExitCode;

use clap::Parser;
use ketenzorg::cli::{run, Cli};
use ketenzorg::config::Config;

fn main() -> ExitCode {
    ketenzorg::memory::tune_allocator();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(errors) => {
            // Logging is not set up yet (its level is part of what failed), so say it plainly.
            let mut text = String::from("ketenzorg: refusing to start; fix the environment:\n");
            for e in errors {
                text.push_str(&format!("  - {e}\n"));
            }
            let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log_filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{}", ketenzorg::error::chain(&e));
            ExitCode::FAILURE
        }
    }
}
