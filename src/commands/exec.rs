//! `ecship exec FILE SERVICE [--task ID] [-- CMD…]`: ECS Exec through the Session Manager
//! plugin; the session's exit code as ecship's.

use crate::cli::ExecArgs;
use crate::exit;
use crate::ops::exec;
use crate::report::Report;

use super::session::Session;

pub fn run(args: &ExecArgs, global: &super::Global<'_>, report: &mut Report) -> anyhow::Result<u8> {
    // Without the plugin nothing can work: say so before reading the spec or asking AWS.
    if let Err(e) = exec::plugin() {
        report.error(&anyhow::Error::new(e));
        return Ok(exit::ERROR);
    }
    let compiled = match super::compile_or_report(&args.file, global.env, report)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let m = &compiled.model;
    let svc = super::one_service(&args.service, m)?;
    if let Err(e) = exec::ready(svc) {
        report.error(&anyhow::Error::new(e));
        return Ok(exit::ERROR);
    }
    let command = if args.command.is_empty() { "/bin/sh".to_string() } else { shell_words(&args.command) };
    let session = Session::open(global, m.region.as_deref())?;
    match session.call(async |aws| exec::run(aws, &compiled, svc, args.task.as_deref(), &command).await) {
        Ok(code) => Ok(u8::try_from(code).unwrap_or(exit::ERROR)),
        Err(e) => {
            report.error(&anyhow::Error::new(e));
            Ok(exit::ERROR)
        }
    }
}

/// The command as one string (ExecuteCommand takes one), each word quoted when it needs it.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c)) {
                w.clone()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_that_need_it_are_quoted() {
        let words: Vec<String> = ["ls", "-la", "/app dir", "it's"].map(String::from).to_vec();
        assert_eq!(super::shell_words(&words), "ls -la '/app dir' 'it'\\''s'");
    }
}
