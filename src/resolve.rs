//! Where each setting's value comes from. Every setting is looked up in one order —
//! command-line flag, environment variable, config file, default — and the functions
//! here are the only place that order is written down, so that `config show` and the
//! command that uses a value cannot disagree (they once did: a blank `OPENAI_BASE_URL`
//! was named by `config show` while `llm check` used the default).
//!
//! A flag counts only when clap says it came from the command line
//! ([`clap::ArgMatches::value_source`]); clap's own reading of a flag's environment
//! variable is ignored and the variable read here, so a blank variable is unset for
//! every setting alike. This module performs no I/O besides reading the environment.

use clap::ArgMatches;
use clap::parser::ValueSource;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag, by its name (`--base-url`).
    Flag(&'static str),
    /// An environment variable, by its name.
    Env(&'static str),
    /// The config file, by the key (`backend.base_url`).
    File(&'static str),
    /// The built-in default.
    Default,
}

impl Origin {
    /// What `config show` prints in its 来源 column.
    pub fn label(&self) -> String {
        match self {
            Origin::Flag(_) => "命令行参数".into(),
            Origin::Env(name) => format!("环境变量 {name}"),
            Origin::File(_) => "配置文件".into(),
            Origin::Default => "默认".into(),
        }
    }

    /// The origin named precisely, for an error message about its value.
    pub fn detail(&self) -> String {
        match self {
            Origin::Flag(name) => (*name).to_string(),
            Origin::Env(name) => format!("环境变量 {name}"),
            Origin::File(key) => format!("配置文件 {key}"),
            Origin::Default => "默认值".into(),
        }
    }

    /// The stable word `--json` output uses: `flag`, `env`, `file` or `default`.
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::Flag(_) => "flag",
            Origin::Env(_) => "env",
            Origin::File(_) => "file",
            Origin::Default => "default",
        }
    }

    /// The flag, variable or key, for `--json`; none for a default.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Origin::Flag(n) | Origin::Env(n) | Origin::File(n) => Some(n),
            Origin::Default => None,
        }
    }
}

/// A setting's value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced::new(f(self.value), self.origin)
    }
}

/// The environment as the resolver sees it; tests pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, for [`Env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The first of `names` set to something other than blanks, with its name. A blank
/// variable counts as unset: shells make it easy to export one by mistake.
pub fn env_first(env: Env<'_>, names: &[&'static str]) -> Option<Sourced<String>> {
    names.iter().find_map(|&n| {
        env(n)
            .filter(|v| !v.trim().is_empty())
            .map(|v| Sourced::new(v, Origin::Env(n)))
    })
}

/// flag > environment > config file, the whole order in one expression; `None` when
/// none is set (the caller knows the default).
pub fn first<T>(
    flag: Option<(T, &'static str)>,
    env: Option<Sourced<T>>,
    file: Option<(T, &'static str)>,
) -> Option<Sourced<T>> {
    flag.map(|(v, n)| Sourced::new(v, Origin::Flag(n)))
        .or(env)
        .or_else(|| file.map(|(v, k)| Sourced::new(v, Origin::File(k))))
}

/// The value parser of a path flag that has an environment variable. clap's own path
/// parser refuses an empty value, so `PEILIAN_SESSIONS_DIR=` (set but empty) was a
/// usage error for every command; this one accepts it and the resolver then treats
/// the blank variable as unset.
pub fn any_path() -> impl clap::builder::TypedValueParser<Value = std::path::PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(std::path::PathBuf::from)
}

/// Which flags were typed on the command line, as clap recorded it. Global flags are
/// looked up in the innermost subcommand that knows them.
#[derive(Debug, Clone, Default)]
pub struct Flags(Option<ArgMatches>);

impl Flags {
    pub fn new(matches: ArgMatches) -> Self {
        Self(Some(matches))
    }

    /// Whether the argument `id` (clap's id: the field name) came from the command line.
    pub fn given(&self, id: &str) -> bool {
        let mut m = self.0.as_ref();
        let mut found = false;
        while let Some(cur) = m {
            if cur.try_contains_id(id).unwrap_or(false) {
                found = cur.value_source(id) == Some(ValueSource::CommandLine);
            }
            m = cur.subcommand().map(|(_, s)| s);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_variables_are_unset_and_the_order_holds() {
        let env = |n: &str| match n {
            "A" => Some("  ".to_string()),
            "B" => Some("b".to_string()),
            _ => None,
        };
        let got = env_first(&env, &["A", "B"]).unwrap();
        assert_eq!(got, Sourced::new("b".to_string(), Origin::Env("B")));
        assert_eq!(env_first(&env, &["A"]), None);
        let pick = first(
            Some((1, "--x")),
            Some(Sourced::new(2, Origin::Env("X"))),
            None,
        );
        assert_eq!(pick.unwrap().origin, Origin::Flag("--x"));
        let pick = first(None, None, Some((3, "x")));
        assert_eq!(pick.unwrap().origin, Origin::File("x"));
        assert_eq!(first::<i32>(None, None, None), None);
    }
}
