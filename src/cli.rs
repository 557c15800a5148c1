//! Command-line definitions (clap). Parsing only: `commands` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ops::WaitUntil;

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
5 a deploy.before task failed (no service changed), 130 interrupted; `run` exits with its task's exit code.";

/// `0.2.0 (commit 1a2b3c4d5e6f)`.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("ECSHIP_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(
    name = "ecship",
    version = VERSION,
    about = "Deploy containerised services to AWS ECS on Fargate from one YAML file",
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// Apply the overrides under `environments.NAME` (the stack is named STACK-NAME); empty: none.
    #[arg(long, global = true, env = "ECSHIP_ENV", value_name = "NAME")]
    pub env: Option<String>,

    /// AWS region (else the spec's `region:`, AWS_REGION, or the profile's).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,

    /// Send image pushes to this registry (e.g. http://127.0.0.1:5000) instead of the
    /// stack's ECR endpoint; task definitions still name the ECR repository.
    #[arg(long, global = true, env = "ECSHIP_REGISTRY_ENDPOINT", value_name = "URL")]
    pub registry_endpoint: Option<String>,

    /// Read images of HOST from this registry instead (`docker.io=https://mirror.example.com`;
    /// repeat, or separate with commas): where `plan` asks which digest a tag names.
    #[arg(long = "registry-mirror", global = true, env = "ECSHIP_REGISTRY_MIRRORS", value_name = "HOST=URL", value_delimiter = ',')]
    pub registry_mirrors: Vec<String>,

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
    /// Let a rollout held for approval (`deploy.approve`) move all its traffic to the new
    /// revision.
    #[command(after_help = "Examples:
  ecship approve stacks/mysfits.yaml like
  ecship approve stacks/blog.yaml --env prod api

A deploy of a canary, linear or blue/green service with `deploy.approve: true` holds its
rollout before production traffic moves in full, and says so; this answers it, from another
terminal or CI job. `ecship rollback SPEC SERVICE` rolls the held rollout back instead.

Exit codes: 0 approved, 1 error (or nothing held for approval).")]
    Approve(ApproveArgs),
    /// Show every change deploy would make — infrastructure, images, services, rollout steps.
    #[command(after_help = "Examples:
  ecship plan stacks/mysfits.yaml
  ecship plan stacks/forum.yaml --env prod --format markdown >> \"$GITHUB_STEP_SUMMARY\"
  ecship plan stacks/blog.yaml --detailed-exitcode --out plan.json && ecship deploy stacks/blog.yaml --plan plan.json

Exit codes: 0 no changes (or changes, without --detailed-exitcode), 1 error, 2 changes present (with --detailed-exitcode).")]
    Plan(PlanArgs),
    /// Estimate what the stack costs a month deployed, item by item, without reading AWS.
    #[command(after_help = "Examples:
  ecship cost stacks/mysfits.yaml
  ecship cost stacks/blog.yaml --env prod --output json
  ecship cost stacks/blog.yaml --prices prices.json

Priced at 730 hours a month from the built-in price table (or --prices FILE); usage ecship
cannot know (load balancer capacity units, NAT data, logs, requests, storage) is what the
spec's `cost:` assumes, 0 unless given. `ecship plan` ends with the cost before and after.

Exit codes: 0 estimated, 1 error (an invalid spec, a region or resource without a price).")]
    Cost(CostArgs),
    /// Set how many tasks a service runs, and wait until it runs them.
    #[command(after_help = "Examples:
  ecship scale stacks/mysfits.yaml like 4
  ecship scale stacks/blog.yaml --env prod api 10 --no-wait

An autoscaled service takes a count within its autoscaling min–max, and keeps it until
autoscaling moves it. Any other keeps it until the next deploy sets the spec's count again.

Exit codes: 0 scaled (and steady), 1 error, 3 the service failed and was rolled back, 4 timed out, 130 interrupted.")]
    Scale(ScaleArgs),
    /// Write a stack spec from a docker compose file, a service running in ECS, or a few answers.
    #[command(after_help = "Examples:
  ecship init --from-compose docker-compose.yml -o stacks/shop.yaml
  ecship init --from-copilot . -o stacks/shop.yaml
  ecship init --from-service shop/web --stack shop
  ecship init                          # on a terminal: a few questions

What could not be carried over is listed on stderr, with why. The written spec passes
`ecship validate`; an existing file is kept unless --force.

Exit codes: 0 written, 1 error (nothing written).")]
    Init(InitArgs),
    /// Run a job, or a one-off task of a service, in the stack's network; stream its logs and
    /// exit with its exit code.
    #[command(after_help = "Examples:
  ecship run stacks/shop.yaml migrate
  ecship run stacks/shop.yaml web -- ./manage.py createsuperuser --noinput
  ecship run stacks/shop.yaml report --detach

A job runs its latest registered task definition; a service's task runs the revision the
service runs now, with its command unless one is given after `--`.

Exit codes: the task's exit code (0 when it succeeded), 1 error (or no exit code), 4 stopped after --timeout (or the job's timeout), 130 interrupted (the task is stopped).")]
    Run(RunArgs),
    /// Print the CloudWatch Logs of services and jobs, interleaved by time.
    #[command(after_help = "Examples:
  ecship logs stacks/shop.yaml
  ecship logs stacks/shop.yaml web worker --since 1h --filter ERROR
  ecship logs stacks/shop.yaml --follow --output json

Each line starts with the service or job and its task's short id.

Exit codes: 0 ok, 1 error, 130 interrupted (how --follow ends).")]
    Logs(LogsArgs),
    /// Open a shell (or run a command) in a running task of a service, through ECS Exec.
    #[command(after_help = "Examples:
  ecship exec stacks/shop.yaml web
  ecship exec stacks/shop.yaml web --task 0a1b2c3d -- ls /app

Needs `exec: true` on the service (deployed), and AWS's Session Manager plugin
(session-manager-plugin) on PATH, as the AWS CLI does.

Exit codes: the session's exit code, 1 error.")]
    Exec(ExecArgs),
    /// Wait until services are steady: every task of their current revision running.
    #[command(after_help = "Examples:
  ecship wait stacks/mysfits.yaml
  ecship wait stacks/mysfits.yaml like --timeout 5m

Exit codes: 0 steady, 1 error, 3 a rollout failed (ECS rolled it back), 4 timed out, 130 interrupted.")]
    Wait(WaitArgs),
    /// Show the stack, its outputs and every service: running/desired, revision, image, rollout, events.
    #[command(after_help = "Examples:\n  ecship status stacks/mysfits.yaml\n  ecship status --stack mysfits-prod --output json")]
    Status(TargetArgs),
    /// Delete every service, task definition, image and the stack, then check nothing is left.
    #[command(after_help = "Examples:
  ecship destroy stacks/mysfits.yaml            # asks you to type the stack name
  ecship destroy --stack mysfits --yes          # CI, no questions

Exit codes: 0 nothing left (or nothing to destroy), 1 error or leftovers, 130 interrupted.")]
    Destroy(DestroyArgs),
    /// Print the least-privilege IAM policy a CI role needs to run ecship on a stack.
    #[command(after_help = "Examples:
  ecship iam-policy stacks/mysfits.yaml --account 123456789012 --region us-east-1 > deploy-role.json
  ecship iam-policy stacks/mysfits.yaml --for plan     # read-only: for pull-request jobs

The policy (IAM JSON) goes to standard output; why each statement on \"*\" is on \"*\" goes to
standard error. Without --account (or --region, the spec's region:, AWS_REGION) the ARNs
name any account (region): no AWS call is made.")]
    IamPolicy(IamPolicyArgs),
    /// Preview environments: some of the services, deployed beside a deployed environment
    /// (its cluster and load balancer), each answering on its own host or header.
    #[command(after_help = "Examples:
  ecship preview deploy stacks/shop.yaml pr-42 --yes
  ecship preview deploy stacks/shop.yaml pr-42 --ttl 24h --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:pr-42
  ecship preview list stacks/shop.yaml --output json
  ecship preview destroy stacks/shop.yaml pr-42
  ecship preview sweep stacks/shop.yaml        # destroys every expired preview

Exit codes: as deploy and destroy; 0 ok, 1 error, 130 interrupted.")]
    Preview(PreviewArgs),
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
    /// Return once the services are updated, without watching their rollouts or running
    /// `deploy.check`; ECS's circuit breaker still rolls a failing one back, and `ecship wait`
    /// follows them. Refused for canary, linear and blue/green, whose traffic ecship moves.
    #[arg(long, conflicts_with = "wait_until")]
    pub no_wait: bool,
    /// Return once every rollout reaches STAGE: `held` — rollouts with `deploy.approve` held
    /// for approval (the others to their end); `ecship approve`, then `ecship deploy` again,
    /// carries them on. `baking` — rollouts ECS runs natively (`deploy.engine: ecs`) once all
    /// production traffic is on the new revision and its bake begins (ECS finishes them; the
    /// others to their end). `steady` (the default): every rollout to its end.
    #[arg(long, value_enum, value_name = "STAGE", default_value_t = WaitUntil::Steady)]
    pub wait_until: WaitUntil,
    /// Carry out a plan that destroys data — deletes or replaces an EFS file system of a
    /// volume removed, renamed or changed in the spec, with its data. Without it such a
    /// plan is refused (with `--yes` too) before anything is written.
    #[arg(long)]
    pub allow_data_loss: bool,
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
    /// A price table to estimate the cost with, instead of the built-in one (as
    /// `scripts/prices` writes it).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// A price table instead of the built-in one (as `scripts/prices` writes it).
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// The service whose held rollout to approve.
    pub service: String,
}

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// The service to scale.
    pub service: String,
    /// How many tasks it runs (0–5000).
    #[arg(value_parser = clap::value_parser!(u32).range(0..=5000))]
    pub count: u32,
    /// Return once ECS has the new count, without waiting for the tasks.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Wait only for these services (default: every service of the spec).
    pub services: Vec<String>,
    /// Give up after this long (default: each service's `deploy.timeout`), e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Convert this docker compose file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from_service", "from_copilot"])]
    pub from_compose: Option<PathBuf>,
    /// Convert this AWS Copilot workspace (the directory holding `copilot/`).
    #[arg(long, value_name = "DIR", conflicts_with = "from_service")]
    pub from_copilot: Option<PathBuf>,
    /// Convert this ECS service (its task definition and load balancer wiring).
    #[arg(long, value_name = "CLUSTER/SERVICE")]
    pub from_service: Option<String>,
    /// The stack's name (default: the compose project's, or the cluster's).
    #[arg(long, value_name = "NAME")]
    pub stack: Option<String>,
    /// Where to write the spec.
    #[arg(long, short = 'o', value_name = "FILE", default_value = "ecship.yaml")]
    pub out: PathBuf,
    /// Replace the file when it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// A job, or a service (a one-off task of its current revision).
    pub name: String,
    /// Instead of the image's (or the spec's) command.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Print the task's ARN and return once it started.
    #[arg(long)]
    pub detach: bool,
    /// Stop the task after this long (default: the job's `timeout`, or 1h), e.g. 10m.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// Only these services and jobs (default: all of them).
    pub names: Vec<String>,
    /// Keep printing new lines until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// From this long ago, e.g. 30s, 10m, 2h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub since: std::time::Duration,
    /// Only lines matching this CloudWatch Logs filter pattern (e.g. ERROR, "\"timed out\"").
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// The service (with `exec: true`).
    pub service: String,
    /// The task (its id, or the start of it; default: a running task of the service).
    #[arg(long, value_name = "ID")]
    pub task: Option<String>,
    /// The command (default /bin/sh).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
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
    /// Destroy the stack's previews first (without it, destroy refuses while any exist).
    #[arg(long)]
    pub with_previews: bool,
    /// Keep the ECR repositories and their images.
    #[arg(long)]
    pub keep_images: bool,
    /// Keep the CloudWatch Logs group.
    #[arg(long)]
    pub keep_logs: bool,
    /// Delete the EFS file systems of the stack's volumes, with their data. Without it they
    /// are kept (and listed, with how to delete them); run again with it to delete them once
    /// the stack is gone.
    #[arg(long)]
    pub delete_data: bool,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// The verbs the role runs: deploy (with rollback and status), plan (reads only), destroy,
    /// all of those, or preview (`preview deploy|destroy|list|sweep` of the stack's previews only).
    #[arg(long = "for", value_enum, default_value_t = PolicyFor::All)]
    pub verbs: PolicyFor,
    /// The AWS account the stack lives in (else any: `*` in the ARNs).
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
    /// Write the policy to FILE instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyFor {
    Deploy,
    Plan,
    Destroy,
    All,
    Preview,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(subcommand)]
    pub command: PreviewCommand,
}

#[derive(Debug, Subcommand)]
pub enum PreviewCommand {
    /// Deploy (or update) preview NAME: show its plan, apply it, push its expiry forward.
    Deploy(PreviewDeployArgs),
    /// Destroy preview NAME: its services, task definitions and stack.
    Destroy(PreviewNameArgs),
    /// List the previews: name, URL or header, images, age and expiry.
    List(SpecArgs),
    /// Destroy every preview past its expiry, and say which.
    Sweep(SpecArgs),
}

#[derive(Debug, Args)]
pub struct PreviewDeployArgs {
    #[command(flatten)]
    pub deploy: DeployArgs,
    /// The preview's name: a DNS label (e.g. pr-42); its stack is STACK-NAME.
    pub name: String,
    /// How long it lives after this deploy (at least 1s: 45s, 30m, 72h); default the spec's
    /// `previews.ttl`.
    #[arg(long, value_name = "DURATION", value_parser = parse_ttl)]
    pub ttl: Option<std::time::Duration>,
}

/// A preview's time to live: whole seconds, at least one.
fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    let d = humantime::parse_duration(s).map_err(|_| format!("`{s}` is not a duration; write it like 45s, 30m or 72h"))?;
    if d.as_secs() < 1 || d.subsec_nanos() != 0 {
        return Err(format!("`{s}`: a preview lives whole seconds, at least 1s"));
    }
    Ok(d)
}

#[derive(Debug, Args)]
pub struct PreviewNameArgs {
    /// The stack spec (YAML).
    pub file: PathBuf,
    /// The preview's name.
    pub name: String,
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
