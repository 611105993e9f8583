use backend::config::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            backend::server::init_tracing(config.log_format);
            match backend::server::serve(config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("switchboard: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
