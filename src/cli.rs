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

  ecship plan stacks/mysfits.yaml --format markdown
  ecship deploy stacks/mysfits.yaml --yes
  ecship status --stack mysfits
  ecship destroy stacks/mysfits.yaml --yes

Exit codes: 0 ok, 1 error, 2 changes present (plan --detailed-exitcode), 3 a rollout failed and was rolled back, 4 a rollout timed out,
130 interrupted.";

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

    /// AWS region (else the spec's `region:`, AWS_REGION, or the profile's).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send image pushes to this registry (e.g. http://127.0.0.1:5000) instead of the
    /// stack's ECR endpoint; task definitions still name the ECR repository.
    #[arg(long, global = true, env = "ECSHIP_REGISTRY_ENDPOINT", value_name = "URL")]
    pub registry_endpoint: Option<String>,

    /// Run canary and blue/green HTTP checks against this URL (e.g. a proxy, or the load
    /// balancer through a VPN) instead of the load balancer's own.
    #[arg(long, global = true, env = "ECSHIP_CHECK_ENDPOINT", value_name = "URL")]
    pub check_endpoint: Option<String>,

    /// Upload templates too large to send inline to this S3 bucket (of the account) instead
    /// of `ecship-assets-ACCOUNT-REGION` (or the spec's `assets.bucket`).
    #[arg(long, global = true, env = "ECSHIP_ASSET_BUCKET", value_name = "BUCKET")]
    pub asset_bucket: Option<String>,

    /// AWS profile from ~/.aws/config (else AWS_PROFILE or the default chain).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

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
    /// Create or update the stack's infrastructure and services, and wait for the rollouts.
    #[command(after_help = "Examples:
  ecship deploy stacks/mysfits.yaml
  ecship deploy stacks/blog.yaml --env prod --yes
  ecship deploy stacks/mysfits.yaml --image monolith=123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/monolith@sha256:…

Exit codes: 0 deployed (or nothing to change), 1 error, 3 rolled back, 4 timed out, 130 interrupted.")]
    Deploy(DeployArgs),
    /// Build and push the stack's images to its ECR repositories, without deploying services.
    #[command(after_help = "Examples:
  ecship push stacks/mysfits.yaml
  ecship push stacks/mysfits.yaml --service like --output json
  ecship push stacks/mysfits.yaml --registry-endpoint http://127.0.0.1:5000

A stack that was never deployed gets its repositories first (a stack with only them).
Images go by digest; the tag is the source's git commit (-dirty with uncommitted changes) unless
the spec sets `image.tag`. Tags never move.")]
    Push(PushArgs),
    /// Go back to what ran before: canary and blue/green services switch traffic to the other
    /// colour, rolling and doubling ones redeploy the previous task-definition revision.
    #[command(after_help = "Examples:
  ecship rollback stacks/mysfits.yaml --service like --yes
  ecship rollback stacks/blog.yaml --env prod

Exit codes: 0 rolled back, 1 error (or nothing to roll back to), 4 timed out, 130 interrupted.")]
    Rollback(RollbackArgs),
    /// Show every change deploy would make — infrastructure, images, services, rollout steps.
    #[command(after_help = "Examples:
  ecship plan stacks/mysfits.yaml
  ecship plan stacks/forum.yaml --env prod --format markdown >> \"$GITHUB_STEP_SUMMARY\"
  ecship plan stacks/blog.yaml --detailed-exitcode --out plan.json && ecship deploy stacks/blog.yaml --plan plan.json

Exit codes: 0 no changes (or changes, without --detailed-exitcode), 1 error, 2 changes present (with --detailed-exitcode).")]
    Plan(PlanArgs),
    /// Show the stack, its outputs and every service: running/desired, revision, image, rollout, events.
    #[command(after_help = "Examples:\n  ecship status stacks/mysfits.yaml\n  ecship status --stack mysfits-prod --output json")]
    Status(TargetArgs),
    /// Delete every service, task definition, image and the stack, then check nothing is left.
    #[command(after_help = "Examples:
  ecship destroy stacks/mysfits.yaml            # asks you to type the stack name
  ecship destroy --stack mysfits --yes          # CI, no questions

Exit codes: 0 nothing left (or nothing to destroy), 1 error or leftovers, 130 interrupted.")]
    Destroy(DestroyArgs),
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
pub struct DeployArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Do not ask: remove services that left the spec without confirmation (for CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// The image a service runs, for one whose `image:` is built or read from disk: an image
    /// already pushed, by tag or digest. Repeat for each service.
    #[arg(long = "image", value_name = "SERVICE=IMAGE")]
    pub images: Vec<String>,
    /// Apply a plan saved by `ecship plan --out`, exactly: refused if the spec or the deployed
    /// state changed since.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// How many services are registered, created or updated at once (1–64). Throttling is
    /// retried; a lower number is gentler on a busy account.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64), value_name = "N")]
    pub parallel: u16,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Roll back only this service (repeatable); default every service.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Do not ask for confirmation (needed without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Push only this service's image (repeatable).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// How to show the plan (`--output json` means `--format json`).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when there are changes (0 when there are none, 1 on error).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also write the plan as JSON, for `ecship deploy --plan`.
    #[arg(long = "out", value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// As for deploy: the image of a service that is built or read from disk.
    #[arg(long = "image", value_name = "SERVICE=IMAGE")]
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

/// A stack named by its spec or by `--stack`.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The stack spec (YAML); or use --stack.
    #[arg(required_unless_present = "stack", conflicts_with = "stack")]
    pub file: Option<PathBuf>,
    /// The deployed stack's name (with its `-ENV` suffix), when there is no spec at hand.
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Do not ask for the stack name (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep the ECR repositories and their images.
    #[arg(long)]
    pub keep_images: bool,
    /// Keep the CloudWatch Logs group.
    #[arg(long)]
    pub keep_logs: bool,
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
    /// Write the root template and each nested stack's (a stack too large for one) to DIR,
    /// as `root.json`, `Services1.json`, … (or `.yaml`).
    #[arg(long, value_name = "DIR")]
    pub stacks_dir: Option<PathBuf>,
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
