//! The REPL's slash commands. One table drives parsing, `/help` and tab completion, so
//! a command cannot be listed without working or work without being listed.

/// A command the trainee can type instead of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Hint,
    Mood,
    Score,
    Undo,
    Restart,
    /// Save a copy of the transcript to this path (the parser refuses `/save` alone).
    Save(String),
    Quit,
}

/// One row of the table: the name as typed, its argument, what it does, and whether it
/// is open during an exam (no hints, no mood, no take-backs).
pub struct Spec {
    pub name: &'static str,
    pub arg: &'static str,
    pub help: &'static str,
    pub in_exam: bool,
}

pub const COMMANDS: [Spec; 8] = [
    Spec {
        name: "/help",
        arg: "",
        help: "列出这些命令",
        in_exam: true,
    },
    Spec {
        name: "/hint",
        arg: "",
        help: "这类客户的特征和应对建议",
        in_exam: false,
    },
    Spec {
        name: "/mood",
        arg: "",
        help: "客户现在的情绪、信任和已满足的需求",
        in_exam: false,
    },
    Spec {
        name: "/score",
        arg: "",
        help: "到目前为止的评分卡",
        in_exam: false,
    },
    Spec {
        name: "/undo",
        arg: "",
        help: "收回上一句，客户情绪恢复到那之前",
        in_exam: false,
    },
    Spec {
        name: "/restart",
        arg: "",
        help: "从头再来（本次记录保存为未完成）",
        in_exam: true,
    },
    Spec {
        name: "/save",
        arg: "路径",
        help: "把对话记录另存一份",
        in_exam: true,
    },
    Spec {
        name: "/quit",
        arg: "",
        help: "离开（记录已保存，可用 --resume 继续）",
        in_exam: true,
    },
];

/// What a line starting with `/` means.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Command(Command),
    Unknown(String),
    /// `/save` without a path.
    MissingArg(&'static str),
}

/// Parse a slash command; `None` when the line is a reply. A Chinese input method turns
/// the `/` key into `/` or `、`, so those start a command too when a Latin command
/// name follows (a reply may well begin with 、).
pub fn parse(line: &str) -> Option<Parsed> {
    let line = line.trim();
    let rest = match line.strip_prefix('/') {
        Some(r) => r,
        None => line
            .strip_prefix('/')
            .or_else(|| line.strip_prefix('、'))
            .filter(|r| r.starts_with(|c: char| c.is_ascii_alphabetic()))?,
    };
    let (name, arg) = match rest.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (rest, ""),
    };
    let cmd = match name {
        "help" | "h" | "?" => Command::Help,
        "hint" => Command::Hint,
        "mood" => Command::Mood,
        "score" => Command::Score,
        "undo" => Command::Undo,
        "restart" => Command::Restart,
        "save" if arg.is_empty() => return Some(Parsed::MissingArg("/save")),
        "save" => Command::Save(arg.to_string()),
        "quit" | "q" | "exit" => Command::Quit,
        _ => return Some(Parsed::Unknown(format!("/{name}"))),
    };
    Some(Parsed::Command(cmd))
}

/// The table row of a command, for the exam check.
pub fn spec(cmd: &Command) -> &'static Spec {
    let name = match cmd {
        Command::Help => "/help",
        Command::Hint => "/hint",
        Command::Mood => "/mood",
        Command::Score => "/score",
        Command::Undo => "/undo",
        Command::Restart => "/restart",
        Command::Save(_) => "/save",
        Command::Quit => "/quit",
    };
    COMMANDS
        .iter()
        .find(|s| s.name == name)
        .expect("every command is in the table")
}

/// Command names that complete what the trainee has typed so far.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    if !prefix.starts_with('/') {
        return Vec::new();
    }
    COMMANDS
        .iter()
        .map(|s| s.name)
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_row_parses_to_its_own_command() {
        for s in &COMMANDS {
            let line = if s.arg.is_empty() {
                s.name.to_string()
            } else {
                format!("{} x", s.name)
            };
            match parse(&line) {
                Some(Parsed::Command(c)) => assert_eq!(spec(&c).name, s.name),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn replies_are_not_commands_and_typos_are_named() {
        assert_eq!(parse("您好,请问有什么可以帮您?"), None);
        assert_eq!(parse("/sa"), Some(Parsed::Unknown("/sa".into())));
        assert_eq!(parse("/save"), Some(Parsed::MissingArg("/save")));
        assert_eq!(parse("/undo"), Some(Parsed::Command(Command::Undo)));
        assert_eq!(parse("、undo"), Some(Parsed::Command(Command::Undo)));
        assert_eq!(parse("、我们马上处理"), None);
        assert_eq!(complete("/u"), vec!["/undo"]);
        assert!(complete("你").is_empty());
    }
}
