fn main() -> std::process::ExitCode {
    smtp_plan::cli::main_entry()
}
