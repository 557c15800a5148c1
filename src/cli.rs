//! Command-line definitions (clap). Parsing only: `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  ecship validate stacks/mysfits.yaml
  ecship validate stacks/mysfits.yaml --env prod
  ecship render stacks/mysfits.yaml --format yaml -o mysfits.template.yaml
  ecship schema -o ecship.schema.json
  ecship completions bash > /etc/bash_completion.d/ecship

Exit codes: 0 ok, 1 error (an invalid spec, an unreadable file, a usage error).";

#[derive(Debug, Parser)]
#[command(
    name = "ecship",
    version,
    about = "Deploy containerised services to AWS ECS on Fargate from one YAML file",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Apply the overrides under `environments.NAME` (the stack is named STACK-NAME).
    #[arg(long, global = true, env = "ECSHIP_ENV", value_name = "NAME")]
    pub env: Option<String>,

    /// Output format for results and errors.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a stack spec and report every problem, with file:line:column.
    #[command(
        after_help = "Examples:\n  ecship validate stacks/mysfits.yaml\n  ecship validate stacks/mysfits.yaml --env prod --output json"
    )]
    Validate(SpecArgs),
    /// Print the CloudFormation template of a stack's infrastructure.
    #[command(
        after_help = "Examples:\n  ecship render stacks/mysfits.yaml\n  ecship render stacks/mysfits.yaml --env prod --format yaml -o template.yaml"
    )]
    Render(RenderArgs),
    /// Print the JSON Schema of the stack spec (for editors and yaml-language-server).
    #[command(
        after_help = "Examples:\n  ecship schema -o ecship.schema.json\n  # then, first line of a stack file:\n  # yaml-language-server: $schema=./ecship.schema.json"
    )]
    Schema(OutFile),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  ecship completions bash > ~/.local/share/bash-completion/completions/ecship\n  ecship completions zsh > ~/.zfunc/_ecship"
    )]
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct OutFile {
    /// Write to FILE instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}
